#ifndef EDGE_NOTIFY_H
#define EDGE_NOTIFY_H

#include <stddef.h>

/// systemd's notify protocol without libsystemd: one datagram ("READY=1", "WATCHDOG=1",
/// "STOPPING=1") to the AF_UNIX socket named by $NOTIFY_SOCKET ('@' at the start: an abstract
/// name). Returns 0, or -1 with errno set (ENAMETOOLONG for a path longer than sun_path).
int edge_notify_send(int fd, const char *path, const void *bytes, size_t count);

/// A close-on-exec, non-blocking AF_UNIX datagram socket for edge_notify_send; -1 with errno.
int edge_notify_socket(void);

#endif
