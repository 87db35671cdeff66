import CShim
import EdgeCore

/// A blocking firmware download for command-line use (`edge-agent ota install URL`): the caller
/// pulls the body chunk by chunk (`next(into:)`) and each call waits (poll(2), bounded by
/// `timeoutMilliseconds` without progress) until bytes arrive. It is `HTTPFetch` (the poll-loop
/// download the agent uses) with its own little loop, so both behave the same: when the
/// connection drops or stalls it reconnects after `retryDelayMilliseconds` and asks for the rest
/// with `Range: bytes=<received>-`, checking that the server resumes exactly there (206 with the
/// matching Content-Range and total). The byte stream is any `ByteStream`: `TCPStream` for
/// http://, `TLSStream` (mbedTLS, the server's chain and name verified) for https://.
///
/// Guarantees: the bytes returned are the file's bytes in order, each exactly once; the total is
/// checked against `expectedSize` when given; a server that ignores Range on a resume is refused
/// (`rangeRefused`) rather than restarting silently. Memory: `HTTPFetch`'s head buffer; reading
/// allocates nothing (reconnecting may: name resolution).
public struct HTTPDownload<Transport: ByteStream & ~Copyable>: ~Copyable {
    private var fetch: HTTPFetch<Transport>
    private let clock = SystemClock()
    public let timeoutMilliseconds: Int32
    /// Pause before reconnecting after a drop (0 in tests).
    public let retryDelayMilliseconds: UInt32

    /// `isTLS` says what `transport` speaks; it must match the URL's scheme.
    public init(url: HTTPURL, transport: consuming Transport, isTLS: Bool, expectedSize: UInt64? = nil, maxDrops: Int = 5,
                timeoutMilliseconds: Int32 = 15_000, retryDelayMilliseconds: UInt32 = 2_000,
                headCapacity: Int = 4096) throws(DownloadError) {
        fetch = try HTTPFetch(url: url, transport: transport, isTLS: isTLS, expectedSize: expectedSize, maxDrops: maxDrops,
                              stallTimeoutMilliseconds: UInt64(max(timeoutMilliseconds, 1)),
                              retryDelayMilliseconds: UInt64(retryDelayMilliseconds), headCapacity: headCapacity)
        self.timeoutMilliseconds = timeoutMilliseconds
        self.retryDelayMilliseconds = retryDelayMilliseconds
    }

    /// The EnOS file `fileURI` (`enos-connect://…` or a relative path) through `broker` (see
    /// `HTTPFetch.init(broker:fileURI:…)`); `isTLS` must match the broker's scheme.
    public init(broker: EnOSFileBroker, fileURI: String, transport: consuming Transport, isTLS: Bool, expectedSize: UInt64? = nil,
                maxDrops: Int = 5, timeoutMilliseconds: Int32 = 15_000, retryDelayMilliseconds: UInt32 = 2_000,
                headCapacity: Int = 4096) throws(DownloadError) {
        fetch = try HTTPFetch(broker: broker, fileURI: fileURI, transport: transport, isTLS: isTLS, expectedSize: expectedSize,
                              maxDrops: maxDrops, stallTimeoutMilliseconds: UInt64(max(timeoutMilliseconds, 1)),
                              retryDelayMilliseconds: UInt64(retryDelayMilliseconds), headCapacity: headCapacity)
        self.timeoutMilliseconds = timeoutMilliseconds
        self.retryDelayMilliseconds = retryDelayMilliseconds
    }

    public var url: HTTPURL { fetch.url }
    public var expectedSize: UInt64? { fetch.expectedSize }
    public var maxDrops: Int { fetch.maxDrops }
    /// Body bytes delivered so far.
    public var received: UInt64 { fetch.received }
    /// The file's total size once a response told it.
    public var total: UInt64? { fetch.total }
    /// How many times the connection dropped and was resumed.
    public var drops: Int { fetch.drops }
    /// True once every byte was delivered.
    public var isComplete: Bool { fetch.isComplete }

    /// The next body bytes into `buffer`; 0 when the download is complete.
    public mutating func next(into buffer: UnsafeMutableRawBufferPointer) throws(DownloadError) -> Int {
        var revents: Int16 = 0
        while true {
            let now = clock.monotonicNow()
            switch try fetch.step(into: buffer, revents: revents, now: now) {
            case .data(let n):
                return n
            case .complete:
                return 0
            case .wait(let events, let until):
                let ms = until > now ? min(until.nanoseconds(since: now) / 1_000_000 + 1, 60_000) : 0
                revents = 0
                if fetch.descriptor >= 0 && events != 0 {
                    do throws(Errno) {
                        revents = try SystemCall.poll(fetch.descriptor, events: events, timeoutMilliseconds: Int32(ms))
                    } catch {
                        revents = 0   // a failed poll(2) (EINVAL, ENOMEM) as a timeout: the fetch meets its own deadline
                    }
                } else if ms > 0 {
                    edge_sleep_ns(ms * 1_000_000)
                }
            }
        }
    }
}
