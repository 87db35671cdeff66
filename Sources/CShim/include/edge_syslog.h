// syslog(3) without varargs, for the Logging module.
#ifndef EDGE_SYSLOG_H
#define EDGE_SYSLOG_H

#include <stddef.h>

/// openlog(3) with the given identity (kept by the shim: the pointer must stay valid), options
/// LOG_PID | LOG_NDELAY and facility LOG_DAEMON.
void edge_syslog_open(const char *ident);
/// syslog(3) of `length` bytes of `message` (not NUL-terminated) at a LOG_* priority
/// (0 emergency ... 7 debug), through "%.*s" so that '%' in the message is harmless.
void edge_syslog_write(int priority, const char *message, size_t length);
/// closelog(3).
void edge_syslog_close(void);

#endif
