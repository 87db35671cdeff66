import CShim

/// Plain TCP to a server (the MQTT broker, an HTTP server for OTA), non-blocking and
/// poll-driven: host names resolved with getaddrinfo at every `open` (IPv4 and IPv6, up to 4
/// addresses tried in the resolver's order), the socket owned here and closed exactly once. Address storage is allocated once at init.
public struct TCPStream: ByteStream, ~Copyable {
    public private(set) var descriptor: Int32 = -1
    public private(set) var isEstablished = false
    let addresses: UnsafeMutablePointer<edge_socket_address>
    static var addressCapacity: Int { 4 }
    var addressCount = 0
    var addressIndex = 0

    public init() {
        addresses = UnsafeMutablePointer<edge_socket_address>.allocate(capacity: Self.addressCapacity)
    }

    deinit {
        if descriptor >= 0 { _ = CShim.close(descriptor) }
        addresses.deallocate()
    }

    public mutating func open(host: String, port: UInt16) throws(ByteStreamError) {
        close()
        let count = edge_tcp_resolve(host, UInt32(port), addresses, Int32(Self.addressCapacity))
        if count < 0 { throw ByteStreamError(.resolve, code: count) }
        addressCount = Int(count)
        addressIndex = 0
        try startNext(lastError: 0)
    }

    mutating func startNext(lastError: Int32) throws(ByteStreamError) {
        var error = lastError
        while addressIndex < addressCount {
            let fd = edge_tcp_connect_start(addresses + addressIndex)
            addressIndex += 1
            if fd >= 0 {
                descriptor = fd
                return
            }
            error = edge_errno()
        }
        throw ByteStreamError(.connect, code: error)
    }

    public func pollEvents(wantWrite: Bool) -> Int16 {
        guard descriptor >= 0 else { return 0 }
        if !isEstablished { return Int16(POLLOUT) }
        return Int16(POLLIN) | (wantWrite ? Int16(POLLOUT) : 0)
    }

    public mutating func advance(revents: Int16) throws(ByteStreamError) -> Bool {
        guard descriptor >= 0 else { throw ByteStreamError(.notOpen) }
        if isEstablished { return true }
        guard revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 else { return false }
        let error = edge_socket_pending_error(descriptor)
        if error == 0 {
            isEstablished = true
            return true
        }
        if error == EINPROGRESS || error == EINTR { return false }
        _ = CShim.close(descriptor)
        descriptor = -1
        try startNext(lastError: error)   // next resolved address, if any
        return false
    }

    public mutating func receive(into buffer: UnsafeMutableRawBufferPointer) throws(ByteStreamError) -> Int {
        guard descriptor >= 0, isEstablished else { throw ByteStreamError(.notOpen) }
        guard buffer.count > 0 else { return 0 }
        let n = edge_socket_receive(descriptor, buffer.baseAddress, buffer.count)
        if n > 0 { return n }
        if n == 0 { throw ByteStreamError(.closedByPeer) }
        let e = edge_errno()
        if e == EAGAIN || e == EWOULDBLOCK { return 0 }
        throw ByteStreamError(.io, code: e)
    }

    public mutating func send(_ bytes: UnsafeRawBufferPointer) throws(ByteStreamError) -> Int {
        guard descriptor >= 0, isEstablished else { throw ByteStreamError(.notOpen) }
        guard bytes.count > 0 else { return 0 }
        let n = edge_socket_send(descriptor, bytes.baseAddress, bytes.count)
        if n >= 0 { return n }
        let e = edge_errno()
        if e == EAGAIN || e == EWOULDBLOCK { return 0 }
        throw ByteStreamError(.io, code: e)
    }

    public var hasBufferedInput: Bool { false }

    public mutating func close() {
        if descriptor >= 0 { _ = CShim.close(descriptor) }
        descriptor = -1
        isEstablished = false
    }
}
