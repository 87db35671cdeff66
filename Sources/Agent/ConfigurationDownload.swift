import EdgeCore
import TLS
import OTA
import Configuration
import CloudLink

/// A configuration bundle by file reference (`thing.service.applyConfiguration` with
/// `{fileUri, size, sign?, signMethod?}`, BUNDLE.md "From the cloud") on its way: the
/// `FileDownloadJob` (the firmware's `HTTPFetch`: http(s):// directly, EnOS files through
/// `cloud.httpBroker`, resumed with Range) into `<config>.bundle`, driven one step per loop turn
/// through the loop's `configurationPoll`, and the call it answers once the outcome is known.
/// One at a time; it lives for one run of the loop (a stop or restart cancels it, answered).
public struct ConfigurationDownload: ~Copyable {
    var job: FileDownloadJob<NetworkStream>? = nil
    var call: ConfigurationServiceCall? = nil
    var working = false
    var events: Int16 = 0
    var until: MonotonicInstant? = nil

    public init() {}

    /// The largest bundle: the largest configuration, its header and the largest signature.
    public static let maximumBundleSize = UInt64(ConfigurationBundle.maximumConfigurationSize + ConfigurationBundle.headerSize + 2 + 72)

    /// Where a downloaded bundle is kept, beside the configuration `file`.
    public static func path(beside file: String) -> String { file + ".bundle" }

    /// True while a bundle is being downloaded.
    public var isActive: Bool { call != nil }

    /// What to poll for it: its descriptor (-1: none), events, and the longest the loop may sleep
    /// (-1: no limit; 0: work is ready).
    public func pollRequest(now: MonotonicInstant) -> (descriptor: Int32, events: Int16, timeoutMilliseconds: Int) {
        guard isActive else { return (-1, 0, -1) }
        let fd: Int32
        switch job {
        case .some(let j): fd = j.descriptor
        case .none: fd = -1
        }
        if working { return (fd, 0, 0) }
        guard let until else { return (fd, events, -1) }
        let ms = until > now ? Int(clamping: (until.nanoseconds(since: now) + 999_999) / 1_000_000) : 0
        return (fd, events, ms)
    }

    /// Starts downloading the bundle `call` names into `path(beside: configuration.file)`; the
    /// reason in words when it cannot start (a `size` above `maximumBundleSize`, a bad URI, no
    /// broker for an EnOS file, no CA for https), nothing fetched then.
    mutating func start(_ call: ConfigurationServiceCall, configuration: AgentConfiguration) -> String? {
        let broker = configuration.cloud.fileBroker
        let location: FirmwareLocation
        let isTLS: Bool
        do throws(DownloadError) {
            location = try FirmwareLocation(call.fileURI)
            isTLS = try location.usesTLS(broker: broker)
        } catch {
            return "fileUri \(call.fileURI): " + error.description
        }
        let transport: NetworkStream
        if isTLS {
            guard let ca = configuration.ota.caFile ?? configuration.cloud.tls?.caFile else {
                return "fileUri \(call.fileURI): https needs a CA: set ota.caFile (or cloud.tls)"
            }
            do throws(ByteStreamError) { transport = .tls(try TLSStream(TLSConfiguration(caFile: ca))) } catch {
                return "fileUri \(call.fileURI): " + error.description
            }
        } else {
            transport = .tcp(TCPStream())
        }
        do throws(FileDownloadError) {
            job = try FileDownloadJob.start(location: location, broker: broker, transport: transport, isTLS: isTLS,
                                            path: Self.path(beside: configuration.file), announcedSize: call.size,
                                            maximumSize: Self.maximumBundleSize,
                                            digest: call.sign.map { ($0, call.signMethod) })
        } catch {
            return "fileUri \(call.fileURI): " + error.description
        }
        self.call = call
        working = true
        until = nil
        return nil
    }

    /// What a step came to.
    enum Outcome {
        case running
        /// The bundle is whole at `path`: install it, answer `call`.
        case downloaded(path: String, call: ConfigurationServiceCall)
        case failed(FileDownloadError, call: ConfigurationServiceCall)
    }

    /// One piece of the download (`revents`: what poll(2) said for `pollRequest`'s descriptor).
    mutating func step(revents: Int16, now: MonotonicInstant) -> Outcome {
        guard let call else { return .running }
        let state = job?.poll(revents: revents, now: now)
        working = false
        switch state {
        case .none, .some(.working):
            working = true
            return .running
        case .some(.waiting(let e, let u)):
            events = e
            until = u
            return .running
        case .some(.done):
            let path = job?.path ?? ""
            finish()
            return .downloaded(path: path, call: call)
        case .some(.failed(let error)):
            finish()
            return .failed(error, call: call)
        }
    }

    /// Abandons a running download (its temporary file removed); the call to answer.
    mutating func cancel() -> ConfigurationServiceCall? {
        guard let call else { return nil }
        job?.cancel()
        finish()
        return call
    }

    private mutating func finish() {
        job = nil
        call = nil
        working = false
        events = 0
        until = nil
    }
}
