/// A non-blocking byte stream to a server, driven by poll(2): plain TCP (`TCPStream`) or TLS on
/// top of it (`TLSStream` in the TLS module). MQTT's client and the OTA download run over it.
/// Each conformer owns its descriptor and C contexts (so it is ~Copyable).
/// `receive`/`send` return 0 when the call would block; a closed or failed stream throws.
public protocol ByteStream: ~Copyable {
    /// The descriptor to poll, or -1 while closed.
    var descriptor: Int32 { get }
    /// True once the stream carries the caller's bytes (TCP connected, TLS handshake done).
    var isEstablished: Bool { get }
    /// Starts connecting (resolution happens here). Progress comes through `advance`.
    mutating func open(host: String, port: UInt16) throws(ByteStreamError)
    /// The poll(2) events to wait for, given whether there is output pending.
    func pollEvents(wantWrite: Bool) -> Int16
    /// Moves connection set-up on after poll reported `revents`; true once established.
    mutating func advance(revents: Int16) throws(ByteStreamError) -> Bool
    /// Received bytes into `buffer`: the count, or 0 if nothing is there now.
    mutating func receive(into buffer: UnsafeMutableRawBufferPointer) throws(ByteStreamError) -> Int
    /// Sends from `bytes`: the count taken, or 0 if the socket is full now.
    mutating func send(_ bytes: UnsafeRawBufferPointer) throws(ByteStreamError) -> Int
    /// Closes the stream (idempotent).
    mutating func close()
    /// True if received bytes wait inside the stream (e.g. a decrypted TLS record) that
    /// poll(2) cannot report: read again without waiting.
    var hasBufferedInput: Bool { get }
}
