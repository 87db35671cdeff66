// The agent's C helpers: signals into the poll loop through a self-pipe, and syslog.
#include "CShim.h"

static int edge_signal_pipe_fds[2] = {-1, -1};

static void edge_signal_pipe_handler(int signo) {
    int saved = errno;
    unsigned char byte = (unsigned char)signo;
    if (edge_signal_pipe_fds[1] >= 0) {
        ssize_t ignored = write(edge_signal_pipe_fds[1], &byte, 1);
        (void)ignored;
    }
    errno = saved;
}

int edge_signal_pipe_open(void) {
    if (edge_signal_pipe_fds[0] >= 0) return edge_signal_pipe_fds[0];
    int fds[2];
    if (edge_pipe_nonblocking(fds) != 0) return -1;
    edge_signal_pipe_fds[0] = fds[0];
    edge_signal_pipe_fds[1] = fds[1];
    return fds[0];
}

int edge_signal_to_pipe(int signo) {
    if (edge_signal_pipe_open() < 0) return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = edge_signal_pipe_handler;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

int edge_signal_unblock(int signo) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    return sigprocmask(SIG_UNBLOCK, &set, NULL);
}

#include <syslog.h>

void edge_agent_openlog(void) {
    static int opened = 0;
    if (!opened) {
        openlog("edge-agent", LOG_PID, LOG_DAEMON);
        opened = 1;
    }
}

void edge_agent_syslog(int level, const char *text) {
    static const int priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    int p = level >= 0 && level < 4 ? priorities[level] : LOG_INFO;
    syslog(p, "%s", text);
}
