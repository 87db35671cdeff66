import Console
import EdgeCore
import Testing

/// Editing vectors: what a line becomes and what is echoed for given keystrokes.
@Suite struct LineEditorTests {
    /// Feeds `input`; returns (line at the last event or now, events, echo).
    static func run(_ input: [UInt8], capacity: Int = 32) -> (line: String, events: [LineEditorEvent], echo: [UInt8]) {
        var editor = LineEditor(capacity: capacity)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: LineEditor.maximumEchoBytes(capacity: capacity), alignment: 1)
        defer { buffer.deallocate() }
        var events: [LineEditorEvent] = []
        var echo: [UInt8] = []
        var line = ""
        for b in input {
            var w = TextWriter(buffer: buffer)
            if let e = editor.feed(b, echo: &w) {
                events.append(e)
                if e == .line { line = String(decoding: editor.line, as: UTF8.self) }
            }
            echo += Array(w.bytes)
        }
        if events.last != .line { line = String(decoding: editor.line, as: UTF8.self) }
        return (line, events, echo)
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func printableCharactersAreEchoedAndEnterEndsTheLine() {
        let r = Self.run(Self.bytes("status\r"))
        #expect(r.line == "status")
        #expect(r.events == [.line])
        #expect(r.echo == Self.bytes("status\n"))
    }

    @Test func crLfAndCrLfEachEndExactlyOneLine() {
        #expect(Self.run(Self.bytes("a\n")).events == [.line])
        #expect(Self.run(Self.bytes("a\r\n")).events == [.line])
        #expect(Self.run(Self.bytes("a\r\nb\r\n")).events == [.line, .line])
        #expect(Self.run(Self.bytes("a\n\n")).events == [.line, .line])   // an empty second line
        #expect(Self.run(Self.bytes("a\r\r")).events == [.line, .line])
    }

    @Test func bothBackspaceBytesEraseOneCharacter() {
        for bs: UInt8 in [0x08, 0x7F] {
            let r = Self.run(Self.bytes("stx") + [bs] + Self.bytes("atus\r"))
            #expect(r.line == "status")
            #expect(r.echo == Self.bytes("stx") + [0x08, 0x20, 0x08] + Self.bytes("atus\n"))
        }
    }

    @Test func backspaceOnAnEmptyLineDoesNothing() {
        let r = Self.run([0x7F, 0x7F] + Self.bytes("a"))
        #expect(r.line == "a")
        #expect(r.echo == Self.bytes("a"))
    }

    @Test func backspaceRemovesAWholeUTF8Character() {
        let r = Self.run(Self.bytes("ü€") + [0x7F] + Self.bytes("\r"))
        #expect(r.line == "ü")
        #expect(r.echo == Self.bytes("ü€") + [0x08, 0x20, 0x08] + Self.bytes("\n"))
    }

    @Test func ctrlUErasesTheWholeLine() {
        let r = Self.run(Self.bytes("reboot") + [0x15] + Self.bytes("help\r"))
        #expect(r.line == "help")
        #expect(r.echo.count == 6 + 6 * 3 + 5)
    }

    @Test func ctrlCDiscardsTheLine() {
        let r = Self.run(Self.bytes("reboot") + [0x03])
        #expect(r.events == [.interrupt])
        #expect(r.line == "")
        #expect(r.echo == Self.bytes("reboot^C\n"))
    }

    @Test func arrowAndFunctionKeysAreSwallowed() {
        let up: [UInt8] = [0x1B, 0x5B, 0x41]            // ESC [ A
        let f5: [UInt8] = [0x1B, 0x5B, 0x31, 0x35, 0x7E] // ESC [ 1 5 ~
        let ss3: [UInt8] = [0x1B, 0x4F, 0x50]           // ESC O P (F1)
        let alt: [UInt8] = [0x1B, 0x78]                 // Alt-x
        let r = Self.run(Self.bytes("st") + up + f5 + ss3 + alt + Self.bytes("atus\r"))
        #expect(r.line == "status")
        #expect(r.echo == Self.bytes("status\n"))
    }

    @Test func enterRightAfterEscapeStillEndsTheLine() {
        let r = Self.run(Self.bytes("help") + [0x1B, 0x0D])
        #expect(r.events == [.line])
        #expect(r.line == "help")
    }

    @Test func otherControlBytesAreIgnored() {
        let r = Self.run(Self.bytes("he") + [0x00, 0x01, 0x04, 0x09, 0x0B, 0x0C, 0x1F] + Self.bytes("lp\r"))
        #expect(r.line == "help")
        #expect(r.echo == Self.bytes("help\n"))
    }

    @Test func aFullLineRingsTheBellAndKeepsItsBytes() {
        let r = Self.run(Self.bytes("abcdef\r"), capacity: 4)
        #expect(r.line == "abcd")
        #expect(r.echo == Self.bytes("abcd") + [0x07, 0x07] + Self.bytes("\n"))
    }

    @Test func withoutEchoNothingIsWritten() {
        var editor = LineEditor(capacity: 8)
        editor.echoes = false
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        var w = TextWriter(buffer: buffer)
        for b in Self.bytes("secret!!!\u{7F}\r") { _ = editor.feed(b, echo: &w) }
        #expect(w.count == 0)
        #expect(String(decoding: editor.line, as: UTF8.self) == "secret!")
    }
}
