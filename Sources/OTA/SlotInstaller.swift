import EdgeCore
import EdgeCrypto

/// One streaming install of a firmware image into the inactive slot. Drives the steps of
/// `SlotActivation` around a `FirmwareImageReader` writing through a `SlotWriter`:
///
///     var install = try SlotInstaller.begin(environment: &env, target: .b, device: device, policy: policy)
///     for chunk in download { try install.feed(chunk) }
///     let header = try install.finish(key: key)      // verified + fdatasync'ed
///     try install.activate(environment: &env)        // counter, then order
///
/// Guarantees: the target was made unbootable (durably) before its first byte was written; it
/// is activated only after the size, digest and signature checked out and the data is on the
/// device; any refusal leaves it unbootable and the running slot first. `feed` allocates
/// nothing. The caller chooses the target (`SlotSet.openForInstall` refuses the booted slot).
public struct SlotInstaller<Device: SlotDevice & ~Copyable>: ~Copyable {
    public let target: BootSlotName
    private var reader = FirmwareImageReader()
    private var writer: SlotWriter<Device>
    private let policy: FirmwareImagePolicy
    private var verified: FirmwareImageHeader? = nil

    private init(target: BootSlotName, device: consuming Device, policy: consuming FirmwareImagePolicy) {
        self.target = target
        writer = SlotWriter(device: device)
        self.policy = policy
    }

    /// Step 1 (target made unbootable, durably), then ready for the image.
    public static func begin<S: EnvironmentStorage>(environment: inout BootEnvironment<S>, target: BootSlotName,
                                                   device: consuming Device, policy: consuming FirmwareImagePolicy) throws(SlotError) -> SlotInstaller {
        do throws(BootEnvironmentError) { try SlotActivation.prepare(&environment, target: target) } catch { throw .environment(error) }
        return SlotInstaller(target: target, device: device, policy: policy)
    }

    /// Payload bytes written into the slot so far.
    public var bytesWritten: UInt64 { writer.bytesWritten }
    /// The header, once its 128 bytes arrived and passed the checks.
    public var header: FirmwareImageHeader? { reader.header }

    /// The next chunk of the image, any size.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(SlotError) {
        do throws(FirmwareImageError) { try reader.feed(chunk, policy: policy, into: &writer) } catch { throw .image(error) }
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
