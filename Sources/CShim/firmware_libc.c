// libc functions the Embedded Swift standard library calls that musl (the firmware's libc) does
// not have. Compiled into the firmware only (EDGE_FIRMWARE); the host build uses glibc's own.
//
// arc4random_buf: the stdlib seeds Dictionary/Set hashing and SystemRandomNumberGenerator from it.
// Here it reads the kernel's CSPRNG with getrandom(2) (blocking only until the kernel pool is
// initialised at boot), falling back to /dev/urandom on kernels without the syscall (< 3.17). It
// cannot report failure, so it aborts if neither source works (as glibc's does).
#if defined(EDGE_FIRMWARE)
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

void arc4random_buf(void *buffer, size_t count);

static int edge_urandom_fill(unsigned char *p, size_t count) {
    int fd;
    do { fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC); } while (fd < 0 && errno == EINTR);
    if (fd < 0) return -1;
    while (count > 0) {
        ssize_t n = read(fd, p, count);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { close(fd); return -1; }
        p += n;
        count -= (size_t)n;
    }
    close(fd);
    return 0;
}

void arc4random_buf(void *buffer, size_t count) {
    unsigned char *p = buffer;
    while (count > 0) {
        // Up to 256 bytes a call: getrandom never returns such a request short once the pool is
        // ready; the loop still copes with short reads and EINTR.
        size_t chunk = count > 256 ? 256 : count;
        ssize_t n = getrandom(p, chunk, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOSYS && edge_urandom_fill(p, count) == 0) return;
            abort();
        }
        p += n;
        count -= (size_t)n;
    }
}
#else
typedef int edge_firmware_libc_host_build; // nothing here on the host (glibc has arc4random_buf)
#endif
