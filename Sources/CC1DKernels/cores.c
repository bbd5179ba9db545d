// sched_getcpu and the CPU affinity calls are GNU extensions: glibc declares them under _GNU_SOURCE,
// which Swift's Glibc module does not define.
#if defined(__linux__)
#define _GNU_SOURCE
#include <sched.h>
#endif

#include "c1d_kernels.h"

int c1d_current_core(void) {
#if defined(__linux__)
  return sched_getcpu();
#else
  return -1;
#endif
}

int c1d_move_off_core(int core) {
#if defined(__linux__)
  cpu_set_t allowed;
  if (core < 0 || core >= CPU_SETSIZE || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
  cpu_set_t others = allowed;
  CPU_CLR(core, &others);
  if (CPU_COUNT(&others) == 0 || sched_setaffinity(0, sizeof others, &others) != 0) return -1;
  // The kernel has moved the thread before the call returns; the second call lets it go back.
  int moved_to = sched_getcpu();
  sched_setaffinity(0, sizeof allowed, &allowed);
  return moved_to;
#else
  (void)core;
  return -1;
#endif
}
