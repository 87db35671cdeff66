import CShim
import EdgeCore

/// Where one copy of a U-Boot environment lives: one line of `/etc/fw_env.config`.
public struct BootEnvironmentLocation: Equatable, Sendable {
    /// Device or file path (`/dev/mmcblk0`, `/dev/mtd1`, `/data/uboot.env`).
    public var device: String
    /// Byte offset of the copy in the device; negative counts back from the device's end.
    public var offset: Int64
    /// Size of the copy in bytes: CRC, optional flags byte and data area together.
    public var size: Int
    /// Erase-sector size (flash); 0 when not given. Kept for the record, not used for files.
    public var sectorSize: Int

    public init(device: String, offset: Int64, size: Int, sectorSize: Int = 0) {
        self.device = device
        self.offset = offset
        self.size = size
        self.sectorSize = sectorSize
    }
}

/// The locations of a U-Boot environment, parsed exactly as libubootenv reads `fw_env.config`:
/// `device offset size [sector-size [sectors]]` per line, `#` at the start of a line for
/// comments, lines with fewer than three fields ignored, offset in C notation (`0x…` hex, `0…`
/// octal, decimal, may be negative), sizes in hex with or without `0x`. One line is a single
/// environment; two lines a redundant one (a third is ignored, as libubootenv does).
public struct BootEnvironmentConfig: Equatable, Sendable {
    /// Copy 0 and, for a redundant environment, copy 1.
    public var copies: [BootEnvironmentLocation]
    /// How the flags byte of a redundant environment counts (files, block devices, NAND and UBI
    /// increment; NOR flash uses active/obsolete).
    public var flagsKind: BootEnvironmentFlagsKind

    /// True when there are two copies with a flags byte.
    public var isRedundant: Bool { copies.count == 2 }
    /// The size of each copy.
    public var size: Int { copies[0].size }

    public init(copies: [BootEnvironmentLocation], flagsKind: BootEnvironmentFlagsKind = .incremental) throws(BootEnvironmentError) {
        guard copies.count == 1 || copies.count == 2 else { throw .configShape("one or two locations needed") }
        if copies.count == 2 && copies[0].size != copies[1].size { throw .configShape("the two copies differ in size") }
        guard copies[0].size > BootEnvironmentFormat.redundantHeaderSize + 1 else { throw .configShape("environment size too small") }
        self.copies = copies
        self.flagsKind = flagsKind
    }

    /// Parses the text of a config file.
    public static func parse(_ text: String) throws(BootEnvironmentError) -> BootEnvironmentConfig {
        var copies: [BootEnvironmentLocation] = []
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if copies.count == 2 { break }
            if rawLine.first == UInt8(ascii: "#") { continue }
            let fields = rawLine.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            if fields.count < 3 { continue }
            guard let offset = parseCInteger(fields[1]) else { throw .configInvalid(line: lineNumber, "offset is not a number") }
            guard let size = parseHex(fields[2]) else { throw .configInvalid(line: lineNumber, "size is not a hex number") }
            guard size > 0 else { throw .configInvalid(line: lineNumber, "size is zero") }
            var sector = 0
            if fields.count >= 4 {
                guard let s = parseHex(fields[3]) else { throw .configInvalid(line: lineNumber, "sector size is not a hex number") }
                sector = s
            }
            let device = String(decoding: fields[0], as: UTF8.self)
            copies.append(BootEnvironmentLocation(device: device, offset: offset, size: size, sectorSize: sector))
        }
        if copies.isEmpty { throw .configShape("no location line") }
        return try BootEnvironmentConfig(copies: copies)
    }

    /// Reads and parses a config file (start-up only; allocates).
    public static func load(path: String) throws(BootEnvironmentError) -> BootEnvironmentConfig {
        let text: String
        do { text = try readSmallTextFile(path: path, limit: 4096) } catch { throw .configUnreadable(error) }
        return try parse(text)
    }

    /// `%lli`: optional sign, then `0x` hex, `0` octal or decimal.
    static func parseCInteger(_ field: Substring.UTF8View.SubSequence) -> Int64? {
        var bytes = field[...]
        var negative = false
        if let f = bytes.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var radix: Int64 = 10
        if bytes.count > 2, bytes.first == UInt8(ascii: "0"),
           bytes[bytes.index(after: bytes.startIndex)] | 0x20 == UInt8(ascii: "x") {
            radix = 16
            bytes = bytes.dropFirst(2)
        } else if bytes.count > 1, bytes.first == UInt8(ascii: "0") {
            radix = 8
            bytes = bytes.dropFirst()
        }
        guard let magnitude = parseDigits(bytes, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// `%zx`: hex digits with an optional `0x`.
    static func parseHex(_ field: Substring.UTF8View.SubSequence) -> Int? {
        var bytes = field[...]
        if bytes.count > 2, bytes.first == UInt8(ascii: "0"),
           bytes[bytes.index(after: bytes.startIndex)] | 0x20 == UInt8(ascii: "x") {
            bytes = bytes.dropFirst(2)
        }
        guard let v = parseDigits(bytes, radix: 16), v <= Int64(Int32.max) else { return nil }
        return Int(v)
    }

    static func parseDigits(_ bytes: Substring.UTF8View.SubSequence, radix: Int64) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var value: Int64 = 0
        for c in bytes {
            let d: Int64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = Int64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = Int64(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = Int64(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
            guard d < radix else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            value = s
        }
        return value
    }
}

/// Reads a whole small text file (config files, /proc/cmdline) into a String. Start-up only.
func readSmallTextFile(path: String, limit: Int) throws(Errno) -> String {
    let fd = try FileDescriptor.open(path, flags: O_RDONLY)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: limit, alignment: 1)
    defer { buffer.deallocate() }
    var used = 0
    while used < limit {
        let n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[used..<limit]))
        if n == 0 { break }
        used += n
    }
    return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<used]), as: UTF8.self)
}
