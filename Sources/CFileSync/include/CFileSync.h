#ifndef SIMS_CFILESYNC_H
#define SIMS_CFILESYNC_H

/// syncfs(2) for Swift: Glibc declares it only under _GNU_SOURCE, which the
/// Swift Glibc module does not set. On systems without syncfs this falls
/// back to sync(2) and returns 0.
int sims_syncfs(int fd);

#endif
