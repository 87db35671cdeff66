import EdgeCore
import EdgeCrypto

/// A whole cloud-ordered update, start to activation, blocking: download (resumed after drops),
/// check the cloud's digest and size, verify the signed image while it streams into the inactive
/// slot, activate it on trial. Progress goes to `progress` as EnOS steps.
///
/// Guarantees: only the inactive slot is written, and only when the running slot is known from
/// the kernel command line; nothing is activated unless the size, the cloud's digest, the image
/// digest and signature, the board and the version all check out; an image refused for its
/// header changes nothing; after a later failure the target stays unbootable. Memory: the
/// caller's chunk buffer, the download's head buffer and the reader's 202 bytes, whatever the
/// image size.
public enum OTAUpdate {
    /// `transport` carries the download: `TCPStream()` for http://, a `TLSStream` for
    /// https:// (`isTLS` says which).
    public static func install<S: EnvironmentStorage, Transport: ByteStream & ~Copyable>(
        order: UpgradeOrder, transport: consuming Transport, isTLS: Bool,
        environment: inout BootEnvironment<S>, slots: SlotSet, booted: BootedSlot,
        key: borrowing ECDSAPublicKey, board: String, running: FirmwareVersion, allowDowngrade: Bool = false,
        retryDelayMilliseconds: UInt32 = 2_000, buffer: UnsafeMutableRawBufferPointer,
        progress: (OTAProgress.Report) -> Void
    ) throws(SlotError) -> FirmwareImageHeader {
        guard booted.source == .commandLine else { throw .bootedSlotUnknown }
        guard let url = HTTPURL(order.fileURL) else { throw .download(.badURL) }
        var download: HTTPDownload<Transport>
        do throws(DownloadError) {
            download = try HTTPDownload(url: url, transport: transport, isTLS: isTLS, expectedSize: order.fileSize,
                                        retryDelayMilliseconds: retryDelayMilliseconds)
        } catch { throw .download(error) }
        var digest: MessageDigest
        do throws(CryptoError) { digest = try MessageDigest(order.digestAlgorithm) } catch { throw .image(.unsupportedCloudDigest) }
        let target = booted.slot.other
        let device = try slots.openForInstall(target, booted: booted.slot)
        let policy = FirmwareImagePolicy(board: board, runningVersion: running, allowDowngrade: allowDowngrade,
                                         maxPayloadLength: device.capacity ?? UInt64.max)
        var installer = try SlotInstaller.begin(environment: environment, target: target, device: device, policy: policy)
        var steps = OTAProgress()
        while true {
            let n: Int
            do throws(DownloadError) { n = try download.next(into: buffer) } catch { throw .download(error) }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            digest.update(chunk)
            try installer.feed(chunk, environment: &environment)
            if let report = steps.downloaded(download.received, of: download.total) { progress(report) }
        }
        let size = order.digestAlgorithm.size
        digest.finish(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size]))
        guard order.digestMatches(UnsafeRawBufferPointer(rebasing: buffer[0..<size])) else { throw .image(.cloudDigestMismatch) }
        let header = try installer.finish(key: key)
        if let ordered = order.orderedVersion, ordered != header.version { throw .image(.notTheOrderedVersion) }
        progress(OTAProgress.verified)
        try installer.activate(environment: &environment)
        progress(OTAProgress.activated)
        return header
    }
}
