import EdgeCore

/// The console's line discipline, as a pure function of the bytes typed: it keeps the line being
/// edited in a fixed buffer and says what to echo back to the terminal.
///
/// Keys: printable ASCII and UTF-8 go into the line (a bell, 0x07, when it is full); backspace
/// (0x08 or 0x7F) removes the last character (a whole UTF-8 character); Ctrl-U erases the line;
/// Ctrl-C discards it (`.interrupt`); CR, LF and CR LF end it (`.line`); escape sequences (arrow and
/// function keys: ESC [ … final, ESC O x, ESC x) are swallowed; every other control byte is ignored.
///
/// Guarantees: no allocation after `init`; any byte sequence is accepted (nothing traps, the line
/// never exceeds `capacity` bytes); the echo for one byte is at most `maximumEchoBytes(capacity:)`
/// bytes and is written to the caller's `TextWriter`.
public struct LineEditor: ~Copyable {
    /// Longest line in bytes.
    public let capacity: Int
    /// When false (password entry), nothing is echoed, not even the bell.
    public var echoes = true

    private let storage: UnsafeMutableRawBufferPointer
    /// Bytes in the line.
    public private(set) var count = 0
    private var escape = EscapeState.none
    private var lastWasCR = false
    private var finished = false

    private enum EscapeState: Equatable {
        case none
        case escape          // after ESC
        case csi(Int)        // after ESC [ : parameter/intermediate bytes seen
        case ss3             // after ESC O
    }

    /// Longest CSI sequence swallowed; a longer one is abandoned (its rest is read as keys).
    static let maxSequence = 16

    /// An editor for lines of up to `capacity` bytes (at least 1).
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: self.capacity, alignment: 1)
    }

    deinit { storage.deallocate() }

    /// Echo bytes one keystroke can produce at most (Ctrl-U erasing a full line).
    public static func maximumEchoBytes(capacity: Int) -> Int { 3 * max(1, capacity) + 8 }

    /// The line typed so far (the finished line after `.line`). Valid until the next call.
    public var line: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[0..<count])
    }

    /// Empties the line (after a `.line` event has been handled, or to start over).
    public mutating func clear() {
        count = 0
        finished = false
        escape = .none
    }

    /// Empties the line and overwrites its bytes (after a password was typed into it).
    public mutating func wipe() {
        for i in 0..<storage.count { storage[i] = 0 }
        clear()
    }

    /// Feeds one byte; echo goes to `echo`. Returns an event when the byte ended or discarded the
    /// line. After `.line`, the line stays readable until the next `feed`, which starts a new one.
    public mutating func feed(_ byte: UInt8, echo: inout TextWriter) -> LineEditorEvent? {
        if finished {
            count = 0
            finished = false
        }
        let afterCR = lastWasCR
        lastWasCR = false

        switch escape {
        case .none:
            break
        case .escape:
            if byte == UInt8(ascii: "[") { escape = .csi(0); return nil }
            if byte == UInt8(ascii: "O") { escape = .ss3; return nil }
            escape = .none
            if byte >= 0x20 && byte < 0x7F { return nil }   // ESC x (Alt-x): swallowed
            // A control byte (Enter, another ESC…) ends the sequence and counts as itself.
        case .csi(let seen):
            if byte >= 0x40 && byte <= 0x7E { escape = .none; return nil }         // final byte
            if byte >= 0x20 && byte <= 0x3F && seen < Self.maxSequence {           // parameters
                escape = .csi(seen + 1)
                return nil
            }
            escape = .none   // malformed or too long: read this byte as a key
        case .ss3:
            escape = .none
            if byte >= 0x20 && byte < 0x7F { return nil }
        }

        switch byte {
        case 0x0D:   // CR
            lastWasCR = true
            return finish(&echo)
        case 0x0A:   // LF, or the LF of CR LF
            if afterCR { return nil }
            return finish(&echo)
        case 0x08, 0x7F:
            erase(characters: 1, &echo)
            return nil
        case 0x15:   // Ctrl-U
            erase(characters: Int.max, &echo)
            return nil
        case 0x03:   // Ctrl-C
            count = 0
            if echoes {
                echo.write(byte: UInt8(ascii: "^"))
                echo.write(byte: UInt8(ascii: "C"))
                echo.write(byte: 0x0A)
            }
            return .interrupt
        case 0x1B:
            escape = .escape
            return nil
        case 0x00..<0x20:
            return nil   // other control bytes: ignored
        default:
            guard count < capacity else {
                if echoes { echo.write(byte: 0x07) }
                return nil
            }
            storage[count] = byte
            count += 1
            if echoes { echo.write(byte: byte) }
            return nil
        }
    }

    private mutating func finish(_ echo: inout TextWriter) -> LineEditorEvent {
        finished = true
        if echoes { echo.write(byte: 0x0A) }
        return .line
    }

    /// Removes up to `characters` characters from the end, echoing "\b \b" for each.
    private mutating func erase(characters: Int, _ echo: inout TextWriter) {
        var left = characters
        while left > 0 && count > 0 {
            // A UTF-8 character: continuation bytes (10xxxxxx) and the byte that leads them.
            count -= 1
            while count > 0 && storage[count] & 0xC0 == 0x80 { count -= 1 }
            if echoes {
                echo.write(byte: 0x08)
                echo.write(byte: 0x20)
                echo.write(byte: 0x08)
            }
            left -= 1
        }
    }
}
