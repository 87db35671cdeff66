// CShim: the one C module for what Swift cannot import directly, on glibc (host) and musl
// (firmware) alike. libc itself comes through this module: there is no Glibc module on the
// firmware target, so Swift code imports CShim, never Glibc. One function per awkward construct
// (errno, variadic calls, ioctls, macros), each prefixed `edge_`.
#ifndef EDGE_CSHIM_H
#define EDGE_CSHIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>

/// errno of the calling thread.
int edge_errno(void);
void edge_set_errno(int value);

/// open(2) without varargs.
int edge_open(const char *path, int flags, unsigned int mode);
/// fcntl(2) with an int argument, without varargs.
int edge_fcntl_int(int fd, int cmd, int arg);
/// ioctl(2) with a pointer argument, without varargs.
int edge_ioctl_ptr(int fd, unsigned long request, void *arg);

/// Monotonic clock (CLOCK_MONOTONIC) in nanoseconds.
uint64_t edge_monotonic_ns(void);
/// Wall clock (CLOCK_REALTIME) in nanoseconds since 1970-01-01 UTC.
int64_t edge_realtime_ns(void);
/// Sleeps for the given nanoseconds (nanosleep, restarted on EINTR).
void edge_sleep_ns(uint64_t ns);

/// Opens a pseudo-terminal pair's master side (O_RDWR | O_NOCTTY), grants and unlocks it and
/// writes the slave path into `name` (NUL-terminated). Returns the master fd or -1 with errno.
int edge_openpty_master(char *name, size_t name_capacity);
/// Puts a terminal into raw mode (cfmakeraw) at the given speed in baud (0: leave speed).
int edge_tty_make_raw(int fd, unsigned int baud);
/// Puts a serial port into raw mode with its character format: baud, parity 'N'/'E'/'O',
/// data bits 5..8, stop bits 1..2 (DL/T 645 meters: 2400 8E1). Returns tcsetattr's result.
int edge_tty_configure(int fd, unsigned int baud, int parity, int data_bits, int stop_bits);

/// Writes all bytes to fd, retrying short writes and EINTR. Returns 0 or -1 with errno.
int edge_write_all(int fd, const void *bytes, size_t count);

/// Signal handling without sigaction's union: sets a flag-only handler that records the signal
/// number into a process-wide pending mask readable with edge_signals_take().
int edge_signal_catch(int signo);
/// Returns and clears the mask of caught signals (bit n set = signal n arrived).
uint64_t edge_signals_take(void);
/// Ignores a signal (SIG_IGN), e.g. SIGPIPE.
int edge_signal_ignore(int signo);

/// WIFEXITED/WEXITSTATUS/WIFSIGNALED/WTERMSIG as functions.
int edge_wait_exited(int status);
int edge_wait_exit_status(int status);
int edge_wait_signaled(int status);
int edge_wait_term_signal(int status);

// The binary's identity. The host build defines it in host_identity.c (the revision from the
// EDGE_GIT_REVISION define, or "unknown"; no OTA key). The firmware links the one firmware.mk
// generates per output (Tools/make-image.py c-identity), so another version, revision or key
// relinks the firmware without recompiling a Swift module.

/// The git revision this binary was built from.
const char *edge_build_revision(void);
/// The firmware's version ("0.1.0") and board ("qemu-aarch64"); firmware only.
const char *edge_build_version(void);
const char *edge_build_board(void);
/// The OTA public key compiled in (DER SubjectPublicKeyInfo, ECDSA P-256): its bytes, and their
/// number in *count; none (count 0) means every image is refused.
const unsigned char *edge_trusted_firmware_key(size_t *count);

#ifdef EDGE_FIRMWARE
/// Firmware only: 1 when swift_bridgeObjectRetain returns its argument unchanged, as Swift's ARC
/// optimiser assumes (embedded_runtime.c wraps the Embedded runtime's, which does not); 0 when it
/// does not; -1 on a 32-bit target, which makes no bridge-object calls.
int edge_bridge_object_retain_returns_argument(void);
#endif

/// Linux MTD character devices (ring log on raw flash): geometry from MEMGETINFO.
typedef struct {
    uint32_t type;       // MTD_NORFLASH, MTD_NANDFLASH, ...
    uint32_t flags;
    uint32_t size;       // total bytes
    uint32_t erasesize;  // erase-block bytes
    uint32_t writesize;  // program unit (1 for NOR, the page size for NAND)
} edge_mtd_info;
/// Fills `info` from MEMGETINFO. Returns 0, or -1 with errno (ENOTTY: not an MTD device).
int edge_mtd_get_info(int fd, edge_mtd_info *info);
/// Erases [start, start + length) with MEMERASE. Returns 0, or -1 with errno.
int edge_mtd_erase(int fd, uint32_t start, uint32_t length);

// ---- field bus (FieldBus module): libmodbus' compound error macros, RS-485, threads, wake-up ----

/// libmodbus' error numbers (compound EMBX*/EMB* macros Swift cannot import).
int edge_modbus_enobase(void);
int edge_modbus_embbadcrc(void);
int edge_modbus_embbaddata(void);
int edge_modbus_embbadexc(void);
int edge_modbus_embunkexc(void);
int edge_modbus_embmdata(void);
int edge_modbus_embbadslave(void);
/// The Modbus exception code (1..255) an errno from libmodbus stands for, or 0 if it is none.
int edge_modbus_exception_code(int errnum);

/// Configures the kernel's RS-485 mode (TIOCSRS485) on a serial fd: enable, RTS level while
/// sending and after, delays before/after send in ms. Returns 0, or -1 with errno.
int edge_rs485_configure(int fd, int enable, int rts_on_send, int rts_after_send,
                         unsigned int delay_before_ms, unsigned int delay_after_ms);

/// Starts a joinable pthread running body(context); its handle goes into *handle.
/// Returns 0 or an errno value.
int edge_thread_start(void (*body)(void *), void *context, uint64_t *handle);
/// Joins a thread started by edge_thread_start. Returns 0 or an errno value.
int edge_thread_join(uint64_t handle);

/// A pipe with both ends non-blocking and close-on-exec: fds[0] read end, fds[1] write end.
int edge_pipe_nonblocking(int fds[2]);
/// poll(2) on one fd for POLLIN with a timeout in ms (-1: forever). Returns poll's result.
int edge_poll_in(int fd, int timeout_ms);

// ---- agent (Agent module): signals wake the event loop through a self-pipe ----

/// Opens (once per process) a non-blocking, close-on-exec self-pipe and returns its read end
/// (-1 with errno on failure). Signals caught with edge_signal_to_pipe write their number into it.
int edge_signal_pipe_open(void);
/// Catches `signo`: the handler writes the signal's number (one byte) into the self-pipe
/// (async-signal-safe, errno preserved), so poll(2) on the read end wakes up and reading it says
/// which signals came. Opens the pipe if needed. Returns sigaction's result.
int edge_signal_to_pipe(int signo);
/// Unblocks `signo` in this thread's signal mask (a parent may have started us with it blocked).
int edge_signal_unblock(int signo);

/// syslog(3) for the agent's log: opens the log once as "edge-agent" (daemon facility); `level`
/// 0 error, 1 warning, 2 info, 3 debug.
void edge_agent_openlog(void);
void edge_agent_syslog(int level, const char *text);

#endif
