#ifndef CONVRUN_PLATFORM_H
#define CONVRUN_PLATFORM_H

// The system calls Swift cannot reach through Glibc or Musl; the CLI's Platform.swift is their one caller.

// Atomically exchanges the files at two paths (Linux renameat2 with RENAME_EXCHANGE). Returns 0 on
// success, otherwise -1 with errno set (ENOSYS where the system or this build has no exchange).
int convrun_rename_exchange(const char *first, const char *second);

// Reserves `bytes` of blocks for the open file `descriptor` without changing its size, where it lies on ext4
// (fallocate with FALLOC_FL_KEEP_SIZE). Returns 0 on success, otherwise -1 with errno set (EOPNOTSUPP
// on any other file system or system).
int convrun_reserve_blocks_on_ext4(int descriptor, long long bytes);

#endif
