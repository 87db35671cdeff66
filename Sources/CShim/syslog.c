#include "edge_syslog.h"

#include <syslog.h>

void edge_syslog_open(const char *ident) {
    openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void edge_syslog_write(int priority, const char *message, size_t length) {
    int n = length > 0x7fffffff ? 0x7fffffff : (int)length;
    syslog(priority & 7, "%.*s", n, message);
}

void edge_syslog_close(void) {
    closelog();
}
