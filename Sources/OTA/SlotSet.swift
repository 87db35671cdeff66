import CShim
import EdgeCore

/// The two A/B slots of a gateway: each a file, block device or partition path, from the board
/// description. Text form, one slot per line: `A /dev/mmcblk0p2` or `A=/dev/mmcblk0p2`
/// (`#` comments and blank lines ignored).
public struct SlotSet: Equatable, Sendable {
    public var a: String
    public var b: String

    public init(a: String, b: String) {
        self.a = a
        self.b = b
    }

    /// The path of a slot.
    public func path(_ slot: BootSlotName) -> String { slot == .a ? a : b }

    public static func parse(_ text: String) throws(SlotError) -> SlotSet {
        var a: String? = nil, b: String? = nil
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.first == "#" { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" || $0 == "\r" })
            guard fields.count == 2, let slot = BootSlotName(fields[0]) else {
                throw .descriptionInvalid(line: lineNumber, "expected `A path` or `B path`")
            }
            if slot == .a { a = String(fields[1]) } else { b = String(fields[1]) }
        }
        guard let a else { throw .missingSlot(.a) }
        guard let b else { throw .missingSlot(.b) }
        return SlotSet(a: a, b: b)
    }

    /// Reads and parses a slot description file (start-up only; allocates).
    public static func load(path: String) throws(SlotError) -> SlotSet {
        let text: String
        do throws(Errno) { text = try readSmallTextFile(path: path, limit: 4096) } catch { throw .descriptionUnreadable(error) }
        return try parse(text)
    }

    /// Opens the slot `target` for writing an image, refusing the booted slot, by name and by
    /// identity (the two paths may name the same device, e.g. through a symlink). Nothing on the
    /// device changes until the first write (see `FileSlotDevice`).
    public func openForInstall(_ target: BootSlotName, booted: BootSlotName) throws(SlotError) -> FileSlotDevice {
        guard target != booted else { throw .targetIsBooted(target) }
        let path = path(target)
        var bootedStat = stat()
        var targetStat = stat()
        if stat(self.path(booted), &bootedStat) == 0 && stat(path, &targetStat) == 0
            && bootedStat.st_dev == targetStat.st_dev && bootedStat.st_ino == targetStat.st_ino {
            throw .targetIsBooted(target)
        }
        return try FileSlotDevice.open(path, slot: target)
    }
}
