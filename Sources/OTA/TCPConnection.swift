import CShim
import EdgeCore

/// A TCP connection for downloads: non-blocking socket, connect and reads bounded by a timeout
/// through poll(2). Owns the descriptor (closed in `deinit`).
public struct TCPConnection: ~Copyable {
    private let fd: FileDescriptor
    public let timeoutMilliseconds: Int32

    private init(fd: consuming FileDescriptor, timeoutMilliseconds: Int32) {
        self.fd = fd
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// SOCK_STREAM: 1 on Linux for every architecture we build for (glibc imports the C enum
    /// differently from musl's macro, so the number is written here).
    static let socketStream: Int32 = 1

    /// Resolves `host` and connects to the first address that answers within the timeout.
    public static func connect(host: String, port: UInt16, timeoutMilliseconds: Int32) throws(DownloadError) -> TCPConnection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = socketStream
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let rc = getaddrinfo(host, "\(port)", &hints, &list)
        guard rc == 0, let first = list else { throw .resolve(rc) }
        defer { freeaddrinfo(first) }
        var lastError = DownloadError.resolve(rc)
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            let raw = socket(ai.pointee.ai_family, socketStream, ai.pointee.ai_protocol)
            if raw < 0 { lastError = .network(operation: "socket", .current); continue }
            let fd = FileDescriptor(owning: raw)
            _ = edge_fcntl_int(raw, F_SETFD, FD_CLOEXEC)
            _ = edge_fcntl_int(raw, F_SETFL, edge_fcntl_int(raw, F_GETFL, 0) | O_NONBLOCK)
            if CShim.connect(raw, ai.pointee.ai_addr, ai.pointee.ai_addrlen) != 0 {
                let err = Errno.current
                guard err.rawValue == EINPROGRESS else { lastError = .network(operation: "connect", err); continue }
                var p = pollfd(fd: raw, events: Int16(POLLOUT), revents: 0)
                let n = poll(&p, 1, timeoutMilliseconds)
                if n == 0 { lastError = .timedOut; continue }
                var soError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = getsockopt(raw, SOL_SOCKET, SO_ERROR, &soError, &length)
                if n < 0 || soError != 0 {
                    lastError = .network(operation: "connect", Errno(rawValue: n < 0 ? edge_errno() : soError))
                    continue
                }
            }
            return TCPConnection(fd: fd, timeoutMilliseconds: timeoutMilliseconds)
        }
        throw lastError
    }

    /// Sends all bytes.
    public func send(_ bytes: UnsafeRawBufferPointer) throws(DownloadError) {
        var done = 0
        while done < bytes.count {
            let n = CShim.write(fd.rawValue, bytes.baseAddress! + done, bytes.count - done)
            if n > 0 { done += n; continue }
            let err = Errno.current
            if n < 0 && (err == .interrupted) { continue }
            if n < 0 && err == .wouldBlock {
                var p = pollfd(fd: fd.rawValue, events: Int16(POLLOUT), revents: 0)
                if poll(&p, 1, timeoutMilliseconds) == 0 { throw .timedOut }
                continue
            }
            throw .network(operation: "send", err)
        }
    }

    /// Reads what is available (waiting up to the timeout); 0 when the peer closed.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(DownloadError) -> Int {
        while true {
            let n = CShim.read(fd.rawValue, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            let err = Errno.current
            if err == .interrupted { continue }
            guard err == .wouldBlock else { throw .network(operation: "receive", err) }
            var p = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, timeoutMilliseconds)
            if ready == 0 { throw .timedOut }
            if ready < 0 && Errno.current != .interrupted { throw .network(operation: "poll", .current) }
        }
    }
}
