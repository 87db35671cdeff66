import EdgeCore

/// A failed flash-device operation: which device, which operation, where, and what went wrong.
/// Thrown with `throws(FlashError)`; building one allocates only for the text, never on success.
public struct FlashError: Error, Equatable {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// A system call failed.
        case system(Errno)
        /// The range is outside the device or not aligned to the program unit.
        case outOfRange
        /// A program would write a byte that was already written since the last erase.
        case notErased
        /// The (simulated) power is gone: this and every later write or erase is lost.
        case powerLost
        /// The path is not a device of the expected kind (e.g. not an MTD character device).
        case wrongDeviceType
        /// The device or file does not have the expected size or geometry.
        case wrongGeometry
    }

    /// The operation that failed.
    public enum Operation: String, Equatable, Sendable {
        case open, read, program, erase, sync
    }

    public var device: String
    public var operation: Operation
    public var offset: Int
    public var kind: Kind
    /// Extra detail for people (what was found).
    public var detail: String

    public init(device: String, operation: Operation, offset: Int, kind: Kind, detail: String = "") {
        self.device = device
        self.operation = operation
        self.offset = offset
        self.kind = kind
        self.detail = detail
    }

    /// One line for logs and the technician command.
    public var description: String {
        var text = "\(device): \(operation.rawValue) at offset \(offset): "
        switch kind {
        case .system(let errno): text += errno.message
        case .outOfRange: text += "range outside the device or misaligned"
        case .notErased: text += "target bytes were written since the last erase (flash rule)"
        case .powerLost: text += "power lost"
        case .wrongDeviceType: text += "wrong device type"
        case .wrongGeometry: text += "wrong size or geometry"
        }
        if !detail.isEmpty { text += " (" + detail + ")" }
        return text
    }
}
