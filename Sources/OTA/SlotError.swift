import EdgeCore

/// Why a slot operation was refused or failed: naming the slot and what is wrong.
public enum SlotError: Error, Equatable, Sendable {
    /// The slot description file could not be read.
    case descriptionUnreadable(Errno)
    /// The slot description is malformed (1-based line).
    case descriptionInvalid(line: Int, StaticString)
    /// The description does not name both A and B.
    case missingSlot(BootSlotName)
    /// Installing into the slot that is running: never done.
    case targetIsBooted(BootSlotName)
    /// Which slot is running could not be determined, so neither may be written.
    case bootedSlotUnknown
    /// A system call on the slot's device failed.
    case device(BootSlotName, operation: StaticString, Errno)
    /// The bootloader environment refused (unreadable, corrupt, full): nothing is activated.
    case environment(BootEnvironmentError)
    /// The image was refused or could not be written.
    case image(FirmwareImageError)
    /// The image could not be fetched.
    case download(DownloadError)
    /// The local image file could not be opened or read.
    case imageFile(operation: StaticString, Errno)

    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.descriptionInvalid(let x, _), .descriptionInvalid(let y, _)): return x == y
        case (.descriptionUnreadable(let x), .descriptionUnreadable(let y)): return x == y
        case (.missingSlot(let x), .missingSlot(let y)): return x == y
        case (.targetIsBooted(let x), .targetIsBooted(let y)): return x == y
        case (.bootedSlotUnknown, .bootedSlotUnknown): return true
        case (.device(let s, _, let e), .device(let t, _, let f)): return s == t && e == f
        case (.environment(let x), .environment(let y)): return x == y
        case (.image(let x), .image(let y)): return x == y
        case (.download(let x), .download(let y)): return x == y
        case (.imageFile(_, let x), .imageFile(_, let y)): return x == y
        default: return false
        }
    }

    /// The EnOS progress step for this failure: image refusals keep theirs; writing a slot or
    /// the environment is `-4`; the rest `-1`.
    public var progressStep: Int {
        switch self {
        case .image(let e): return e.progressStep
        case .download(let e): return e.progressStep
        case .imageFile: return -2
        case .device, .environment: return -4
        default: return -1
        }
    }

    public var description: String {
        switch self {
        case .descriptionInvalid(let line, let what): return "slot description line \(line): \(what.description)"
        case .descriptionUnreadable(let e): return "slot description: cannot read (\(e.message))"
        case .missingSlot(let s): return "slot description: slot \(s.letter) missing"
        case .targetIsBooted(let s): return "refusing to write slot \(s.letter): it is the booted slot"
        case .bootedSlotUnknown: return "booted slot unknown (no rauc.slot= or edge.slot= on the kernel command line): refusing to change the slots"
        case .device(let s, let op, let e): return "slot \(s.letter): \(op.description) failed (\(e.message))"
        case .environment(let e): return e.description
        case .image(let e): return e.description
        case .download(let e): return e.description
        case .imageFile(let op, let e): return "image file: \(op.description) failed (\(e.message))"
        }
    }
}
