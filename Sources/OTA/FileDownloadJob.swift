import CShim
import EdgeCore
import EdgeCrypto

/// A file fetched like a firmware image (`HTTPFetch`: an http(s):// URL directly, an EnOS file
/// through the EnOS HTTP broker; resumed with Range after drops; one read per step, so the
/// caller's poll loop never stalls) into a file: the bytes go to `<path>.tmp`, which is
/// fsync'ed, checked (size, optional digest) and renamed to `<path>` (the directory fsync'ed).
/// Used for configuration bundles by file reference (Sources/Configuration/BUNDLE.md).
///
///     var job = try FileDownloadJob.start(location: …, transport: …, isTLS: …, path: p, announcedSize: n,
///                                         maximumSize: m, digest: d, now: now)
///     loop: poll `job.descriptor` for the events of `.waiting`, wake at `until`, then
///         switch job.poll(revents: r, now: now) { case .working: again at once; case .waiting: as said;
///                                                 case .done: read `path`; case .failed(let e): say e }
///
/// Guarantees: `<path>` appears only whole, exactly `announcedSize` bytes, with the announced
/// digest; a failure removes `<path>.tmp` and leaves `<path>` as it was. `announcedSize` above
/// `maximumSize` is refused by `start`, before any connection. Memory: the chunk buffer, the
/// fetch's head buffer and one digest context, allocated at `start`; a step allocates nothing
/// while downloading (reconnecting may, as `HTTPFetch` says).
public struct FileDownloadJob<Transport: ByteStream & ~Copyable>: ~Copyable {
    /// What the job needs from the loop.
    public enum State: Equatable, Sendable {
        /// More work is ready: call `poll` again without sleeping.
        case working
        /// Wait until `descriptor` (if >= 0) reports one of `events`, or until `until`.
        case waiting(events: Int16, until: MonotonicInstant)
        /// `path` holds the whole file.
        case done
        /// Failed (once; later polls repeat it); `<path>.tmp` is removed.
        case failed(FileDownloadError)
    }

    /// Where the file ends up.
    public let path: String
    public let announcedSize: UInt64
    private var fetch: HTTPFetch<Transport>
    private var digest: MessageDigest
    private let checksDigest: Bool
    /// The announced digest (`digest.algorithm.size` bytes used).
    private var expectedDigest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var file: FileDescriptor?
    private let buffer: UnsafeMutableRawBufferPointer
    private var outcome: State? = nil

    private init(path: String, announcedSize: UInt64, fetch: consuming HTTPFetch<Transport>, digest: consuming MessageDigest,
                 checksDigest: Bool, expectedDigest: (UInt64, UInt64, UInt64, UInt64), file: consuming FileDescriptor, chunkSize: Int) {
        self.path = path
        self.announcedSize = announcedSize
        self.fetch = fetch
        self.digest = digest
        self.checksDigest = checksDigest
        self.expectedDigest = expectedDigest
        self.file = Optional(file)
        buffer = .allocate(byteCount: max(chunkSize, 512), alignment: 16)
    }

    deinit {
        buffer.deallocate()
        if outcome == nil { _ = unlink(path + ".tmp") }
    }

    /// Checks the request and opens `<path>.tmp` (mode 0600: a configuration holds secrets);
    /// nothing is fetched yet. `location`: `FirmwareLocation(fileURI)`; `broker`: for EnOS files
    /// (nil: they fail with `broker(.notConfigured)`); `transport` must speak TLS when
    /// `location.usesTLS(broker:)` (`isTLS`). `digest`: the announced digest (hex) and its method
    /// name, or nil for none.
    public static func start(location: FirmwareLocation, broker: EnOSFileBroker?, transport: consuming Transport, isTLS: Bool,
                             path: String, announcedSize: UInt64, maximumSize: UInt64, digest: (hex: String, method: String)?,
                             settings: UpgradeSettings = UpgradeSettings()) throws(FileDownloadError) -> FileDownloadJob {
        guard announcedSize <= maximumSize else { throw .tooLarge(size: announcedSize, maximum: maximumSize) }
        guard announcedSize > 0 else { throw .sizeMismatch(announced: 0, actual: 0) }
        var expected: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var algorithm = MessageDigest.Algorithm.sha256
        if let digest {
            guard let named = MessageDigest.Algorithm(name: digest.method) else { throw .unsupportedDigest(digest.method) }
            let count = withUnsafeMutableBytes(of: &expected) { Hex.decode(digest.hex, into: $0) }
            guard count == named.size else { throw .malformedDigest(digest.method) }
            algorithm = named
        }
        let hasher: MessageDigest
        do throws(CryptoError) { hasher = try MessageDigest(algorithm) } catch { throw .unsupportedDigest(digest?.method ?? "sha256") }
        let fetch: HTTPFetch<Transport>
        do throws(DownloadError) {
            switch location {
            case .web(let url):
                fetch = try HTTPFetch(url: url, transport: transport, isTLS: isTLS, expectedSize: announcedSize,
                                      maxDrops: settings.maxDrops, stallTimeoutMilliseconds: settings.stallTimeoutMilliseconds,
                                      retryDelayMilliseconds: settings.retryDelayMilliseconds)
            case .enosFile(let uri):
                guard let broker else { throw .broker(.notConfigured) }
                fetch = try HTTPFetch(broker: broker, fileURI: uri, transport: transport, isTLS: isTLS, expectedSize: announcedSize,
                                      maxDrops: settings.maxDrops, stallTimeoutMilliseconds: settings.stallTimeoutMilliseconds,
                                      retryDelayMilliseconds: settings.retryDelayMilliseconds)
            }
        } catch { throw .download(error) }
        let temporary = path + ".tmp"
        let file: FileDescriptor
        do throws(Errno) {
            file = try FileDescriptor.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600)
        } catch { throw .write(operation: "create", path: temporary, error) }
        return FileDownloadJob(path: path, announcedSize: announcedSize, fetch: fetch, digest: hasher, checksDigest: digest != nil, expectedDigest: expected,
                               file: file, chunkSize: settings.chunkSize)
    }

    /// The descriptor to include in poll(2) (-1: only the timer counts).
    public var descriptor: Int32 { fetch.descriptor }
    /// Bytes received so far.
    public var received: UInt64 { fetch.received }

    /// One bounded piece of work: at most one read and write of a chunk, or the final checks and
    /// rename. `revents`: what poll(2) reported on `descriptor` since the last `.waiting`.
    public mutating func poll(revents: Int16, now: MonotonicInstant) -> State {
        if let outcome { return outcome }
        let temporary = path + ".tmp"
        do throws(FileDownloadError) {
            let step: HTTPFetch<Transport>.Step
            do throws(DownloadError) { step = try fetch.step(into: buffer, revents: revents, now: now) } catch {
                if case .sizeMismatch(let announced, let actual) = error { throw .sizeMismatch(announced: announced, actual: actual) }
                throw .download(error)
            }
            switch step {
            case .wait(let events, let until):
                return .waiting(events: events, until: until)
            case .data(let n):
                // `expectedSize` makes the fetch refuse another total; this bounds a server that lies about it.
                guard fetch.received <= announcedSize else { throw .sizeMismatch(announced: announcedSize, actual: fetch.received) }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                if checksDigest { digest.update(chunk) }
                do throws(Errno) { try file?.writeAll(chunk) } catch { throw .write(operation: "write", path: temporary, error) }
                return .working
            case .complete:
                guard fetch.received == announcedSize else { throw .sizeMismatch(announced: announcedSize, actual: fetch.received) }
                if checksDigest {
                    let size = digest.algorithm.size
                    digest.finish(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size]))
                    let matches = withUnsafeBytes(of: expectedDigest) { e in
                        for i in 0..<size where e[i] != buffer[i] { return false }
                        return true
                    }
                    guard matches else { throw .digestMismatch }
                }
                try commit(temporary)
                outcome = .done
                return .done
            }
        } catch {
            fetch.cancel()
            file = nil
            _ = unlink(temporary)
            outcome = .failed(error)
            return .failed(error)
        }
    }

    /// fsync, close, rename over `path`, fsync the directory.
    private mutating func commit(_ temporary: String) throws(FileDownloadError) {
        do throws(Errno) { try file?.synchronize() } catch { throw .write(operation: "fsync", path: temporary, error) }
        file = nil
        guard rename(temporary, path) == 0 else { throw .write(operation: "rename to \(path)", path: temporary, Errno.current) }
        do throws(Errno) { try FileDescriptor.synchronizeDirectory(containing: path) } catch {
            throw .write(operation: "fsync", path: FileDescriptor.directory(containing: path), error)
        }
    }

    /// Abandons the job: the connection closed, `<path>.tmp` removed.
    public mutating func cancel() {
        guard outcome == nil else { return }
        fetch.cancel()
        file = nil
        _ = unlink(path + ".tmp")
        outcome = .failed(.cancelled)
    }
}

/// Why a `FileDownloadJob` failed; `description` says it in words.
public enum FileDownloadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The announced size is above what the caller accepts.
    case tooLarge(size: UInt64, maximum: UInt64)
    /// The file's size is not the announced one.
    case sizeMismatch(announced: UInt64, actual: UInt64)
    /// The digest method is not md5, sha1 or sha256.
    case unsupportedDigest(String)
    /// The digest is not hex of the method's length.
    case malformedDigest(String)
    /// The file's digest is not the announced one.
    case digestMismatch
    /// The download itself failed (URL, broker, network, HTTP status, drops).
    case download(DownloadError)
    /// Writing the file failed.
    case write(operation: String, path: String, Errno)
    /// Abandoned (the agent stopped or restarted).
    case cancelled

    public var description: String {
        switch self {
        case .tooLarge(let size, let maximum): return "size \(size) bytes is larger than the largest accepted (\(maximum) bytes)"
        case .sizeMismatch(let announced, let actual):
            return announced == 0 ? "size must be a positive number of bytes" : "the file is \(actual) bytes, not the announced \(announced)"
        case .unsupportedDigest(let method): return "signMethod \(method): not md5, sha1 or sha256"
        case .malformedDigest(let method): return "sign: not a hex \(method) digest"
        case .digestMismatch: return "the file's digest is not the announced sign (changed in transit or on the server)"
        case .download(let e): return e.description
        case .write(let operation, let path, let e): return "cannot \(operation) \(path): \(e.message)"
        case .cancelled: return "download cancelled: the agent stopped or restarted"
        }
    }
}
