// TCP helpers for the MQTT transport: name resolution into fixed storage, non-blocking connect,
// pending socket error, send without SIGPIPE. Kept apart from CShim.h so that socket constants
// (an enum on glibc, macros on musl) never reach Swift.
#ifndef EDGE_SOCKET_H
#define EDGE_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

/// One resolved address, ready for connect(2).
typedef struct {
    struct sockaddr_storage storage;
    socklen_t length;
    int family;
} edge_socket_address;

/// Resolves host and port for TCP (getaddrinfo, IPv4 and IPv6) into at most `capacity`
/// addresses, in the resolver's order. Returns the count (>= 1), or a negative getaddrinfo error
/// code (see edge_resolve_error_text).
int edge_tcp_resolve(const char *host, unsigned int port, edge_socket_address *out, int capacity);
/// gai_strerror for a negative result of edge_tcp_resolve.
const char *edge_resolve_error_text(int code);
/// A non-blocking, close-on-exec TCP socket (TCP_NODELAY) with connect(2) started to `address`.
/// Returns the fd (connection in progress or done), or -1 with errno.
int edge_tcp_connect_start(const edge_socket_address *address);
/// The socket's pending error (SO_ERROR): 0 once connected, an errno value otherwise.
int edge_socket_pending_error(int fd);
/// send(2) with MSG_NOSIGNAL. Returns bytes sent, or -1 with errno.
long edge_socket_send(int fd, const void *bytes, size_t count);
/// recv(2). Returns bytes received (0: peer closed), or -1 with errno.
long edge_socket_receive(int fd, void *bytes, size_t count);
/// poll(2) on one fd for `events`; returns poll's result and the returned events in *revents.
/// fd < 0 just waits for the timeout.
int edge_poll_one(int fd, short events, int timeout_ms, short *revents);
/// The local port a socket is bound to (tests: free ports), or -1 with errno.
int edge_socket_local_port(int fd);
/// A listening TCP socket on 127.0.0.1 at `port` (0: any free port). Returns the fd or -1.
int edge_tcp_listen_loopback(unsigned int port);

#endif
