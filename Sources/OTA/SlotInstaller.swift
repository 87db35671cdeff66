import EdgeCore
import EdgeCrypto

/// One streaming install of a firmware image into the inactive slot. Drives the steps of
/// `SlotActivation` around a `FirmwareImageReader` writing through a `SlotWriter`:
///
///     var install = try SlotInstaller.begin(environment: env, target: .b, device: device, policy: policy)
///     for chunk in download { try install.feed(chunk, environment: &env) }
///     let header = try install.finish(key: key)      // verified + fdatasync'ed
///     try install.activate(environment: &env)        // counter, then order
///
/// Guarantees: an image refused for its header (not an image, another board, a downgrade, too
/// big for the slot) or that ends before its header changes nothing: neither the environment nor
/// the slot is touched. Once the header is accepted, the target is made unbootable (durably)
/// before the first payload byte is written, so any later refusal (truncated, bad digest, bad
/// signature) leaves it unbootable and the running slot first. The target is activated only
/// after the size, digest and signature checked out and the data is on the device. `feed`
/// allocates nothing after the header. The caller chooses the target
/// (`SlotSet.openForInstall` refuses the booted slot).
public struct SlotInstaller<Device: SlotDevice & ~Copyable>: ~Copyable {
    public let target: BootSlotName
    private var reader = FirmwareImageReader()
    private var writer: SlotWriter<Device>
    private let policy: FirmwareImagePolicy
    private var verified: FirmwareImageHeader? = nil
    /// Step 1 done: the target's counter is 0 on storage.
    private var prepared = false

    private init(target: BootSlotName, device: consuming Device, policy: consuming FirmwareImagePolicy) {
        self.target = target
        writer = SlotWriter(device: device)
        self.policy = policy
    }

    /// Ready for the image; nothing is changed yet. Refused when the environment has no valid
    /// copy loaded (nothing could be activated, so nothing is downloaded). Step 1 (the target
    /// made unbootable) comes in `feed`, once the image's header is accepted.
    public static func begin<S: EnvironmentStorage>(environment: borrowing BootEnvironment<S>, target: BootSlotName,
                                                   device: consuming Device, policy: consuming FirmwareImagePolicy) throws(SlotError) -> SlotInstaller {
        guard environment.isLoaded else { throw .environment(.notLoaded) }
        return SlotInstaller(target: target, device: device, policy: policy)
    }

    /// Payload bytes written into the slot so far.
    public var bytesWritten: UInt64 { writer.bytesWritten }
    /// The header, once its 128 bytes arrived and passed the checks.
    public var header: FirmwareImageHeader? { reader.header }

    /// The next chunk of the image, any size. The header's bytes are fed alone first: when they
    /// pass, the target is made unbootable and saved (step 1) before any payload byte is written.
    public mutating func feed<S: EnvironmentStorage>(_ chunk: UnsafeRawBufferPointer,
                                                    environment: inout BootEnvironment<S>) throws(SlotError) {
        var rest = chunk
        if !prepared {
            let headerPart = min(rest.count, FirmwareImageHeader.size - Int(min(reader.bytesConsumed, UInt64(FirmwareImageHeader.size))))
            try feedReader(UnsafeRawBufferPointer(rebasing: rest[0..<headerPart]))
            guard reader.header != nil else { return }
            do throws(BootEnvironmentError) { try SlotActivation.prepare(&environment, target: target) } catch { throw .environment(error) }
            prepared = true
            rest = UnsafeRawBufferPointer(rebasing: rest[headerPart...])
        }
        if rest.count > 0 { try feedReader(rest) }
    }

    private mutating func feedReader(_ bytes: UnsafeRawBufferPointer) throws(SlotError) {
        do throws(FirmwareImageError) { try reader.feed(bytes, policy: policy, into: &writer) } catch { throw .image(error) }
    }

    /// End of the image: verifies it, then makes the slot's data durable.
    public mutating func finish(key: borrowing ECDSAPublicKey) throws(SlotError) -> FirmwareImageHeader {
        let header: FirmwareImageHeader
        do throws(FirmwareImageError) { header = try reader.finish(key: key) } catch { throw .image(error) }
        do throws(Errno) { try writer.device.synchronize() } catch { throw .device(target, operation: "fdatasync", error) }
        verified = header
        return header
    }

    /// Step 3: the verified slot boots next, on trial. Refused before a successful `finish`.
    public mutating func activate<S: EnvironmentStorage>(environment: inout BootEnvironment<S>,
                                                         attempts: Int = Bootchooser.defaultAttempts) throws(SlotError) {
        guard let verified else { throw .image(.truncated) }
        do throws(BootEnvironmentError) {
            try SlotActivation.activate(&environment, target: target, version: verified.version, attempts: attempts)
        } catch { throw .environment(error) }
    }
}
