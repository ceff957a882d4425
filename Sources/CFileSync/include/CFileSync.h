#ifndef SIMS_CFILESYNC_H
#define SIMS_CFILESYNC_H

/// syncfs(2) for Swift: Glibc declares it only under _GNU_SOURCE, which the
/// Swift Glibc module does not set. On systems without syncfs this falls
/// back to sync(2) and returns 0.
int sims_syncfs(int fd);

/// pread that never waits for the disk: preadv2(2) with RWF_NOWAIT (Linux
/// 4.14+). It reads what is in the page cache and fails with EAGAIN (or
/// EOPNOTSUPP on file systems without support) where it would have to wait.
/// Elsewhere it always fails with EAGAIN.
long sims_pread_nowait(int fd, void *buffer, unsigned long count, long offset);

#endif
