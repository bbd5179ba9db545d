#include "c1d_kernels.h"

#include <stdlib.h>  // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <stdint.h>
#include <sys/mman.h>
#endif

int c1d_retain_freed_memory(void) {
#if defined(__GLIBC__)
  // M_MMAP_THRESHOLD is capped at 32 MiB, so turn block mapping off altogether instead.
  int no_mmap = mallopt(M_MMAP_MAX, 0);
  int no_trim = mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return no_mmap && no_trim;
#else
  return 0;
#endif
}

int c1d_heap_prefer_huge_pages(size_t bytes) {
#if defined(__GLIBC__) && defined(__linux__) && defined(MADV_HUGEPAGE)
  // The block comes from the top of the heap (block mapping is off), untouched but for its two headers;
  // freed, it merges back into the top, which the trim threshold keeps. The range stays advised, so the
  // allocations carved from it later fault in 2 MiB at a time instead of 4 KiB.
  const uintptr_t huge = (uintptr_t)2 << 20;
  if (bytes < 2 * huge) return 0;
  // Threads would otherwise allocate from arenas of their own, mapped apart from this heap: the loader
  // decodes and packs weights on worker threads.
  mallopt(M_ARENA_MAX, 1);
  char *block = malloc(bytes);
  if (!block) return 0;
  uintptr_t start = ((uintptr_t)block + huge - 1) & ~(huge - 1);
  uintptr_t end = ((uintptr_t)block + bytes) & ~(huge - 1);
  int advised = end > start && madvise((void *)start, end - start, MADV_HUGEPAGE) == 0;
  free(block);
  return advised;
#else
  (void)bytes;
  return 0;
#endif
}
