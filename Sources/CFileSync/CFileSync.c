#define _GNU_SOURCE
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>
#include "CFileSync.h"

int sims_syncfs(int fd) {
#if defined(__linux__)
    return syncfs(fd);
#else
    (void)fd;
    sync();
    return 0;
#endif
}

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

long sims_pread_nowait(int fd, void *buffer, unsigned long count, long offset) {
#if defined(__linux__)
    struct iovec vector = { .iov_base = buffer, .iov_len = count };
    return (long)preadv2(fd, &vector, 1, (off_t)offset, RWF_NOWAIT);
#else
    (void)fd; (void)buffer; (void)count; (void)offset;
    errno = EAGAIN;
    return -1;
#endif
}
