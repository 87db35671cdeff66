/// A dotted firmware version (`1.2.3`, optionally written `v1.2.3`): up to eight decimal
/// components, compared component by component with missing components as 0 (`1.2` == `1.2.0`).
/// Held inline: parsing and comparing never allocate.
public struct FirmwareVersion: Comparable, Sendable {
    public static let maxComponents = 8
    private var parts: InlineArray<8, UInt32>
    /// How many components were written.
    public private(set) var count: Int

    /// Parses ASCII bytes; nil for anything but digits separated by single dots (a leading `v`
    /// or `V` allowed), or more than eight components, or a component above 4294967295.
    public init?(bytes: UnsafeRawBufferPointer) {
        parts = InlineArray(repeating: 0)
        count = 0
        var i = 0
        if bytes.count > 0 && (bytes[0] == UInt8(ascii: "v") || bytes[0] == UInt8(ascii: "V")) { i = 1 }
        guard i < bytes.count else { return nil }
        var value: UInt64 = 0
        var digits = 0
        while i <= bytes.count {
            let c: UInt8 = i < bytes.count ? bytes[i] : UInt8(ascii: ".")
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                value = value * 10 + UInt64(c - UInt8(ascii: "0"))
                digits += 1
                guard value <= UInt64(UInt32.max) else { return nil }
            } else if c == UInt8(ascii: ".") {
                guard digits > 0, count < Self.maxComponents else { return nil }
                parts[count] = UInt32(value)
                count += 1
                value = 0
                digits = 0
            } else {
                return nil
            }
            i += 1
        }
    }

    /// Parses a String (console, config).
    public init?(_ text: String) {
        var text = text
        guard let v = text.withUTF8({ FirmwareVersion(bytes: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = v
    }

    /// Component `i`, 0 beyond the written ones.
    public func component(_ i: Int) -> UInt32 { i < count ? parts[i] : 0 }

    public static func == (a: Self, b: Self) -> Bool {
        for i in 0..<maxComponents where a.component(i) != b.component(i) { return false }
        return true
    }

    public static func < (a: Self, b: Self) -> Bool {
        for i in 0..<maxComponents where a.component(i) != b.component(i) { return a.component(i) < b.component(i) }
        return false
    }

    /// `1.2.3` (as written, without a `v`).
    public var description: String {
        var out = ""
        for i in 0..<count {
            if i > 0 { out += "." }
            out += "\(parts[i])"
        }
        return out
    }
}
