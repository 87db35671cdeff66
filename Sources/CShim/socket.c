#define _GNU_SOURCE 1
#include "edge_socket.h"
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

int edge_tcp_resolve(const char *host, unsigned int port, edge_socket_address *out, int capacity) {
    struct addrinfo hints, *list = NULL, *ai;
    char service[8];
    int count = 0, rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(service, sizeof service, "%u", port & 0xFFFFu);
    rc = getaddrinfo(host, service, &hints, &list);
    if (rc != 0) return rc < 0 ? rc : -rc;
    for (ai = list; ai != NULL && count < capacity; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof out[count].storage) continue;
        memset(&out[count], 0, sizeof out[count]);
        memcpy(&out[count].storage, ai->ai_addr, ai->ai_addrlen);
        out[count].length = ai->ai_addrlen;
        out[count].family = ai->ai_family;
        count++;
    }
    freeaddrinfo(list);
    return count > 0 ? count : EAI_NONAME;
}

const char *edge_resolve_error_text(int code) { return gai_strerror(code); }

int edge_tcp_connect_start(const edge_socket_address *address) {
    int one = 1;
    int fd = socket(address->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return -1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)&address->storage, address->length) != 0 && errno != EINPROGRESS) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int edge_socket_pending_error(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
}

long edge_socket_send(int fd, const void *bytes, size_t count) {
    ssize_t n;
    do { n = send(fd, bytes, count, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return (long)n;
}

long edge_socket_receive(int fd, void *bytes, size_t count) {
    ssize_t n;
    do { n = recv(fd, bytes, count, 0); } while (n < 0 && errno == EINTR);
    return (long)n;
}

int edge_poll_one(int fd, short events, int timeout_ms, short *revents) {
    struct pollfd p = { fd, events, 0 };
    int rc = poll(&p, fd >= 0 ? 1 : 0, timeout_ms);
    *revents = rc > 0 ? p.revents : 0;
    return rc;
}

int edge_socket_local_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -1;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    errno = EAFNOSUPPORT;
    return -1;
}

int edge_tcp_listen_loopback(unsigned int port) {
    struct sockaddr_in a;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}
