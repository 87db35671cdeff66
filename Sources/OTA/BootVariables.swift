/// The variables of a U-Boot environment, read and edited in place in the data area (a caller's
/// buffer): NUL-terminated `name=value` strings ended by an empty string. Edits keep the
/// terminator and zero the bytes freed behind it; a new name goes before the first name that
/// sorts after it (strcmp order), where libubootenv would put it. Never allocates.
///
/// A name stored twice (a hand-edited or foreign environment) reads as its *last* entry, as
/// fw_printenv (libubootenv) and U-Boot's own import read it; setting or removing such a name
/// drops the earlier entries, so one entry is left and every reader agrees.
public struct BootVariables {
    /// The data area (after the CRC and flags byte).
    public let data: UnsafeMutableRawBufferPointer

    public init(data: UnsafeMutableRawBufferPointer) { self.data = data }

    /// Offset of the terminating empty string, or nil when no double NUL ends the variables
    /// inside the data area.
    public func terminator() -> Int? {
        var pos = 0
        while pos < data.count {
            if data[pos] == 0 { return pos }
            while pos < data.count && data[pos] != 0 { pos += 1 }
            pos += 1
        }
        return nil
    }

    /// Bytes in use, terminator included.
    public var usedBytes: Int { (terminator() ?? data.count - 1) + 1 }

    /// Calls `body` for each entry: its name, and its value (nil for an entry without `=`, which
    /// U-Boot ignores). Stops early when `body` returns false.
    public func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?) -> Bool) {
        guard let end = terminator() else { return }
        var pos = 0
        let base = UnsafeRawBufferPointer(data)
        while pos < end {
            var stop = pos
            var equals = -1
            while base[stop] != 0 {
                if equals < 0 && base[stop] == UInt8(ascii: "=") { equals = stop }
                stop += 1
            }
            let keepGoing: Bool
            if equals >= 0 {
                keepGoing = body(UnsafeRawBufferPointer(rebasing: base[pos..<equals]),
                                 UnsafeRawBufferPointer(rebasing: base[(equals + 1)..<stop]))
            } else {
                keepGoing = body(UnsafeRawBufferPointer(rebasing: base[pos..<stop]), nil)
            }
            if !keepGoing { return }
            pos = stop + 1
        }
    }

    /// The value of `name` (its last entry when stored twice), as bytes inside the data area
    /// (valid until the next edit).
    public func value(of name: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let entry = find(name) else { return nil }
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(data)[entry.valueStart..<entry.stop])
    }

    /// Sets `name` to `value`, or removes it when `value` is nil.
    public func set(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer?) throws(BootEnvironmentError) {
        guard name.count > 0, !name.contains(UInt8(ascii: "=")), !name.contains(0) else { throw .invalidName }
        if let value, value.contains(0) { throw .invalidValue }
        guard var end = terminator() else { throw .unterminated(copy: -1) }
        // Earlier entries of a name stored twice go: the last one is the one every reader uses.
        while let first = find(name, last: false), let last = find(name), first.start != last.start {
            remove(start: first.start, count: first.stop + 1 - first.start, end: end)
            end -= first.stop + 1 - first.start
        }
        if let entry = find(name) {
            guard let value else {
                remove(start: entry.start, count: entry.stop + 1 - entry.start, end: end)
                return
            }
            let oldCount = entry.stop - entry.valueStart
            let needed = end + 1 - oldCount + value.count
            guard needed <= data.count else { throw .full(needed: needed, capacity: data.count) }
            shift(from: entry.stop, to: entry.valueStart + value.count, end: end)
            copy(value, to: entry.valueStart)
            return
        }
        guard let value else { return }
        let entryCount = name.count + 1 + value.count + 1
        let needed = end + 1 + entryCount
        guard needed <= data.count else { throw .full(needed: needed, capacity: data.count) }
        let at = insertionPoint(for: name, end: end)
        shift(from: at, to: at + entryCount, end: end)
        copy(name, to: at)
        data[at + name.count] = UInt8(ascii: "=")
        copy(value, to: at + name.count + 1)
        data[at + entryCount - 1] = 0
    }

    /// Empties the data area (all zero: no variables).
    public func removeAll() {
        data.initializeMemory(as: UInt8.self, repeating: 0)
    }

    struct Entry { var start: Int; var valueStart: Int; var stop: Int }

    /// The entry of `name`: the last one (what readers use) or the first.
    func find(_ name: UnsafeRawBufferPointer, last: Bool = true) -> Entry? {
        guard let end = terminator() else { return nil }
        var found: Entry? = nil
        var pos = 0
        while pos < end {
            var stop = pos
            while data[stop] != 0 { stop += 1 }
            let length = stop - pos
            if length > name.count && data[pos + name.count] == UInt8(ascii: "=") && matches(name, at: pos) {
                found = Entry(start: pos, valueStart: pos + name.count + 1, stop: stop)
                if !last { return found }
            }
            pos = stop + 1
        }
        return found
    }

    private func matches(_ name: UnsafeRawBufferPointer, at pos: Int) -> Bool {
        for i in 0..<name.count where data[pos + i] != name[i] { return false }
        return true
    }

    /// Before the first entry whose name compares greater (strcmp), else at the terminator.
    private func insertionPoint(for name: UnsafeRawBufferPointer, end: Int) -> Int {
        var pos = 0
        while pos < end {
            var stop = pos
            while data[stop] != 0 { stop += 1 }
            var nameEnd = pos
            while nameEnd < stop && data[nameEnd] != UInt8(ascii: "=") { nameEnd += 1 }
            if compare(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(data)[pos..<nameEnd]), name) > 0 { return pos }
            pos = stop + 1
        }
        return end
    }

    private func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// Moves bytes [from, end] (terminator included) to start at `to`, zeroing what is freed.
    private func shift(from: Int, to: Int, end: Int) {
        let count = end + 1 - from
        guard to != from, let base = data.baseAddress else { return }
        (base + to).copyMemory(from: base + from, byteCount: count)
        if to < from {
            let freedStart = to + count
            let freedEnd = from + count
            (base + freedStart).initializeMemory(as: UInt8.self, repeating: 0, count: freedEnd - freedStart)
        }
    }

    private func remove(start: Int, count: Int, end: Int) {
        shift(from: start + count, to: start, end: end)
    }

    private func copy(_ bytes: UnsafeRawBufferPointer, to offset: Int) {
        guard bytes.count > 0, let base = data.baseAddress else { return }
        (base + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    }
}
