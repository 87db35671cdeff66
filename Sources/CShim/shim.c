// _GNU_SOURCE only here, never in the header: it changes struct layouts (fd_set) that other C
// modules (libmodbus, mbedTLS) also see, and the module importer requires one definition.
#define _GNU_SOURCE 1
#include "CShim.h"
#include <stdarg.h>

int edge_errno(void) { return errno; }
void edge_set_errno(int value) { errno = value; }

int edge_open(const char *path, int flags, unsigned int mode) {
    int fd;
    do { fd = open(path, flags, (mode_t)mode); } while (fd < 0 && errno == EINTR);
    return fd;
}

int edge_fcntl_int(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }

int edge_ioctl_ptr(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }

uint64_t edge_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t edge_realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + (int64_t)ts.tv_nsec;
}

void edge_sleep_ns(uint64_t ns) {
    struct timespec req = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) }, rem;
    while (nanosleep(&req, &rem) != 0 && errno == EINTR) req = rem;
}

int edge_openpty_master(char *name, size_t name_capacity) {
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (fd < 0) return -1;
    if (grantpt(fd) != 0 || unlockpt(fd) != 0 || ptsname_r(fd, name, name_capacity) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static speed_t edge_speed(unsigned int baud) {
    switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    default: return 0;
    }
}

int edge_tty_make_raw(int fd, unsigned int baud) {
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0) return -1;
    cfmakeraw(&tio);
    if (baud != 0) {
        speed_t s = edge_speed(baud);
        if (s == 0) { errno = EINVAL; return -1; }
        cfsetispeed(&tio, s);
        cfsetospeed(&tio, s);
    }
    return tcsetattr(fd, TCSANOW, &tio);
}

int edge_tty_configure(int fd, unsigned int baud, int parity, int data_bits, int stop_bits) {
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0) return -1;
    cfmakeraw(&tio);
    speed_t s = edge_speed(baud);
    if (s == 0) { errno = EINVAL; return -1; }
    cfsetispeed(&tio, s);
    cfsetospeed(&tio, s);
    tio.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag |= data_bits == 5 ? CS5 : data_bits == 6 ? CS6 : data_bits == 7 ? CS7 : CS8;
    if (parity == 'E') tio.c_cflag |= PARENB;
    if (parity == 'O') tio.c_cflag |= PARENB | PARODD;
    if (stop_bits == 2) tio.c_cflag |= CSTOPB;
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    return tcsetattr(fd, TCSANOW, &tio);
}

int edge_write_all(int fd, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    while (count > 0) {
        ssize_t n = write(fd, p, count);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        count -= (size_t)n;
    }
    return 0;
}

static volatile sig_atomic_t edge_pending_signals[64];

static void edge_signal_handler(int signo) {
    if (signo > 0 && signo < 64) edge_pending_signals[signo] = 1;
}

int edge_signal_catch(int signo) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = edge_signal_handler;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

uint64_t edge_signals_take(void) {
    uint64_t mask = 0;
    for (int i = 1; i < 64; i++) {
        if (edge_pending_signals[i]) {
            edge_pending_signals[i] = 0;
            mask |= (1ull << i);
        }
    }
    return mask;
}

int edge_signal_ignore(int signo) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

int edge_wait_exited(int status) { return WIFEXITED(status); }
int edge_wait_exit_status(int status) { return WEXITSTATUS(status); }
int edge_wait_signaled(int status) { return WIFSIGNALED(status); }
int edge_wait_term_signal(int status) { return WTERMSIG(status); }

#include <mtd/mtd-user.h>

int edge_mtd_get_info(int fd, edge_mtd_info *info) {
    struct mtd_info_user mi;
    memset(&mi, 0, sizeof mi);
    if (ioctl(fd, MEMGETINFO, &mi) != 0) return -1;
    info->type = mi.type;
    info->flags = mi.flags;
    info->size = mi.size;
    info->erasesize = mi.erasesize;
    info->writesize = mi.writesize;
    return 0;
}

int edge_mtd_erase(int fd, uint32_t start, uint32_t length) {
    struct erase_info_user ei;
    ei.start = start;
    ei.length = length;
    return ioctl(fd, MEMERASE, &ei);
}

// ---- field bus (FieldBus module) ----
#include <modbus/modbus.h>
#include <linux/serial.h>
#include <pthread.h>

int edge_modbus_enobase(void) { return MODBUS_ENOBASE; }
int edge_modbus_embbadcrc(void) { return EMBBADCRC; }
int edge_modbus_embbaddata(void) { return EMBBADDATA; }
int edge_modbus_embbadexc(void) { return EMBBADEXC; }
int edge_modbus_embunkexc(void) { return EMBUNKEXC; }
int edge_modbus_embmdata(void) { return EMBMDATA; }
int edge_modbus_embbadslave(void) { return EMBBADSLAVE; }

int edge_modbus_exception_code(int errnum) {
    if (errnum > MODBUS_ENOBASE && errnum <= EMBXGTAR) return errnum - MODBUS_ENOBASE;
    return 0;
}

int edge_rs485_configure(int fd, int enable, int rts_on_send, int rts_after_send,
                         unsigned int delay_before_ms, unsigned int delay_after_ms) {
    struct serial_rs485 rs;
    memset(&rs, 0, sizeof rs);
    if (enable) {
        rs.flags = SER_RS485_ENABLED;
        if (rts_on_send) rs.flags |= SER_RS485_RTS_ON_SEND;
        if (rts_after_send) rs.flags |= SER_RS485_RTS_AFTER_SEND;
        rs.delay_rts_before_send = delay_before_ms;
        rs.delay_rts_after_send = delay_after_ms;
    }
    return ioctl(fd, TIOCSRS485, &rs);
}

struct edge_thread_start_args { void (*body)(void *); void *context; };

static void *edge_thread_trampoline(void *raw) {
    struct edge_thread_start_args args = *(struct edge_thread_start_args *)raw;
    free(raw);
    args.body(args.context);
    return NULL;
}

int edge_thread_start(void (*body)(void *), void *context, uint64_t *handle) {
    struct edge_thread_start_args *args = malloc(sizeof *args);
    if (!args) return ENOMEM;
    args->body = body;
    args->context = context;
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, edge_thread_trampoline, args);
    if (rc != 0) { free(args); return rc; }
    _Static_assert(sizeof(pthread_t) <= sizeof(uint64_t), "pthread_t fits a uint64_t");
    *handle = 0;
    memcpy(handle, &thread, sizeof thread);
    return 0;
}

int edge_thread_join(uint64_t handle) {
    pthread_t thread;
    memcpy(&thread, &handle, sizeof thread);
    return pthread_join(thread, NULL);
}

int edge_pipe_nonblocking(int fds[2]) {
    if (pipe(fds) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

int edge_poll_in(int fd, int timeout_ms) {
    struct pollfd p = { fd, POLLIN, 0 };
    return poll(&p, 1, timeout_ms);
}
