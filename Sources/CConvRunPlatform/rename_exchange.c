// The system call itself rather than glibc's renameat2 wrapper: neither Glibc nor Musl declares the wrapper
// to Swift, and looking it up with dlsym finds nothing in a static executable (which the release convrun
// is), where the exchange then silently became a plain rename.
#define _GNU_SOURCE
#include "convrun_platform.h"

#include <errno.h>

#if defined(__linux__)
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

int convrun_rename_exchange(const char *first, const char *second) {
#if defined(__linux__) && defined(SYS_renameat2)
  const long rename_exchange = 1L << 1;  // RENAME_EXCHANGE, <linux/fs.h>
  // syscall() reads every argument as a long (musl's va_arg does so): pass them as such.
  return (int)syscall(SYS_renameat2, (long)AT_FDCWD, first, (long)AT_FDCWD, second, rename_exchange);
#else
  (void)first;
  (void)second;
  errno = ENOSYS;
  return -1;
#endif
}
