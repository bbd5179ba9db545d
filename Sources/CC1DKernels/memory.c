#include "c1d_kernels.h"

#include <stdlib.h>  // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>
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
