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

#if defined(__GLIBC__) && defined(__linux__) && defined(MADV_HUGEPAGE)
// Kept for the life of the process (an unused allocation would be optimized away).
static void *volatile held_below_huge_pages;
#endif

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
  // The allocations that follow start where the block did, up to 2 MiB below the advised range: they
  // would fault in 4 KiB at a time (~200 faults of a small model's process). A chunk that is never
  // touched holds that stretch, so that they start inside the range instead.
  const size_t header = 2 * sizeof(size_t);
  if (advised && start - (uintptr_t)block > 4 * header) held_below_huge_pages = malloc(start - (uintptr_t)block - header);
  return advised;
#else
  (void)bytes;
  return 0;
#endif
}
