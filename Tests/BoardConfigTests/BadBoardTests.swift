import BoardConfig
import EdgeCore
import Testing

/// Each kind of mistake in a board file gives an error naming the file, the path, the line and
/// column, and what is wrong; all mistakes of a file are reported together.
@Suite struct BadBoardTests {
    static let good = """
    {
      "name": "test-board",
      "toolchain": "aarch64-linux-musl",
      "description": "fixture",
      "serialPorts": [
        {"name": "rs485-1", "device": "/dev/ttyS1", "rs485": {"mode": "kernel"}},
        {"name": "rs485-2", "device": "/dev/ttyS2"}
      ],
      "ringLog": {"device": "/dev/mtd5", "kind": "mtd", "size": "1MiB", "eraseSize": "128KiB"},
      "slots": {"a": {"device": "/dev/ubi0_0", "kind": "ubi"}, "b": {"device": "/dev/ubi0_1", "kind": "ubi"}},
      "bootloaderEnvironment": {"redundant": false, "copies": [{"device": "/dev/mtd2", "offset": 0, "size": "0x20000"}]},
      "console": {"tty": "/dev/ttyS0"}
    }
    """

    /// The errors for the fixture with `edits` applied (each a unique substring replacement).
    static func errors(_ edits: [(String, String)], expectedName: String? = "test-board") -> [String] {
        var text = good
        for (from, to) in edits {
            precondition(text.components(separatedBy: from).count == 2, "edit target not unique: \(from)")
            text = text.replacingOccurrences(of: from, with: to)
        }
        do {
            _ = try BoardLoader.validate(bytes: Array(text.utf8), file: "board.json", expectedName: expectedName)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func theFixtureIsValid() throws {
        let board = try BoardLoader.validate(bytes: Array(Self.good.utf8), file: "board.json", expectedName: "test-board")
        #expect(board.serialPorts.count == 2)
        #expect(board.serialPorts[0].rs485 == RS485Settings(mode: .kernel))
        #expect(board.serialPorts[1].maxBaud == 115_200)
        #expect(board.ringLog.size == 1 << 20 && board.ringLog.offset == 0)
        #expect(board.slots.a.bootName == "a" && board.slots.b.bootName == "b")
        #expect(board.bootloaderEnvironment.copies[0].sectorSize == 0x20000)
    }

    @Test func unknownKeyIsNamedWithTheAllowedKeys() {
        #expect(Self.errors([(#""console": {"tty""#, #""consol": {"tty""#)]) == [
            #"board.json: consol (line 12, column 3): unknown key "consol" (did you mean "console"?); allowed keys: name, toolchain, description, serialPorts, ringLog, slots, bootloaderEnvironment, console"#,
            #"board.json (line 1, column 1): missing required key "console""#,
        ])
        #expect(Self.errors([(#""device": "/dev/ttyS2"}"#, #""device": "/dev/ttyS2", "baud": 9600}"#)]) == [
            #"board.json: serialPorts[1].baud (line 7, column 49): unknown key "baud"; allowed keys: name, device, label, rs485, maxBaud"#,
        ])
    }

    @Test func missingFieldsAreNamed() {
        #expect(Self.errors([(#"  "toolchain": "aarch64-linux-musl",\#n"#, "")]) == [
            #"board.json (line 1, column 1): missing required key "toolchain""#,
        ])
        #expect(Self.errors([(#""kind": "mtd", "#, "")]) == [
            #"board.json: ringLog (line 9, column 14): missing required key "kind""#,
        ])
    }

    @Test func wrongTypesSayWhatWasFound() {
        #expect(Self.errors([(#""size": "1MiB""#, #""size": "fast""#), (#""redundant": false"#, #""redundant": "no""#),
                             (#""serialPorts": ["#, #""serialPorts": {"x": ["#), (#"  ],\#n  "ringLog""#, #"  ]},\#n  "ringLog""#)]) == [
            #"board.json: serialPorts (line 5, column 18): expected an array, found an object"#,
            #"board.json: ringLog.size (line 9, column 61): expected a byte count (an integer, "0x4000" or "512KiB"), found "fast""#,
            #"board.json: bootloaderEnvironment.redundant (line 11, column 42): expected a boolean (true or false), found "no""#,
        ])
        #expect(Self.errors([(#""toolchain": "aarch64-linux-musl""#, #""toolchain": "riscv64""#)]) == [
            #"board.json: toolchain (line 3, column 16): expected one of "aarch64-linux-musl", "armv7-linux-musleabi", "x86_64-linux-musl", found "riscv64""#,
        ])
    }

    @Test func sizesMustBeMultiplesOfTheEraseSize() {
        #expect(Self.errors([(#""size": "1MiB""#, #""size": 1000000"#)]) == [
            #"board.json: ringLog.size (line 9, column 61): size 1000000 is not a multiple of the erase size 131072"#,
        ])
        #expect(Self.errors([(#""eraseSize": "128KiB""#, #""eraseSize": 3000"#)]) == [
            #"board.json: ringLog.eraseSize (line 9, column 82): eraseSize must be a power of two of at least 512 bytes, found 3000"#,
        ])
        #expect(Self.errors([(#""size": "1MiB""#, #""size": "128KiB""#)]) == [
            #"board.json: ringLog.size (line 9, column 61): size 131072 holds fewer than two erase units of 131072 bytes (a ring needs at least two)"#,
        ])
    }

    @Test func sizesAndOffsetsBeyondWhatThePlatformAddressesAreRefused() {
        // Both used to pass, and the agent trapped converting them to Int / Int64 at start.
        let limit = "bytes is more than this \(Int.bitWidth)-bit platform can address (at most \(Int.max))"
        let ring = Self.errors([(#""size": "1MiB""#, #""size": "0xfffffffffffe0000""#)])
        #expect(ring == ["board.json: ringLog.size (line 9, column 61): 18446744073709420544 " + limit], "\(ring)")
        let environment = Self.errors([(#""offset": 0, "#, #""offset": "0xfffffffffffe0000", "#)])
        #expect(environment == ["board.json: bootloaderEnvironment.copies[0].offset (line 11, column 94): 18446744073709420544 " + limit],
                "\(environment)")
    }

    @Test func duplicateSerialPortNamesAndDevicesAreRefused() {
        #expect(Self.errors([(#"{"name": "rs485-2", "device": "/dev/ttyS2"}"#, #"{"name": "rs485-1", "device": "/dev/ttyS1"}"#)]) == [
            #"board.json: serialPorts[1].name (line 7, column 14): duplicate serial port name "rs485-1" (first at line 6, column 14)"#,
            #"board.json: serialPorts[1].device (line 7, column 35): device "/dev/ttyS1" is already used by another port (line 6, column 35)"#,
        ])
    }

    @Test func nameMustEqualTheFolder() {
        #expect(Self.errors([], expectedName: "cm4-gateway") == [
            #"board.json: name (line 2, column 11): name "test-board" must equal the board's folder name "cm4-gateway""#,
        ])
        #expect(BoardLoader.folderName(of: "Board/cm4-gateway/board.json") == "cm4-gateway")
        #expect(BoardLoader.folderName(of: "/x/y/qemu-armv7//board.json") == "qemu-armv7")
        #expect(BoardLoader.folderName(of: "board.json") == nil)
    }

    @Test func devicePathsAreAbsoluteOrUnderState() {
        #expect(Self.errors([(#""/dev/ttyS0""#, #""ttyS0""#), (#""/dev/mtd5""#, #""${STATE}/${HOME}/x""#)]) == [
            #"board.json: ringLog.device (line 9, column 25): unknown variable in "${STATE}/${HOME}/x" (only ${STATE}, at the start, is defined)"#,
            #"board.json: console.tty (line 12, column 22): expected an absolute path or one starting with "${STATE}/", found "ttyS0""#,
        ])
    }

    @Test func environmentCopiesMatchTheRedundantFlag() {
        #expect(Self.errors([(#""redundant": false"#, #""redundant": true"#)]) == [
            #"board.json: bootloaderEnvironment.copies (line 11, column 58): a redundant environment needs two copies, found 1"#,
        ])
        #expect(Self.errors([(#""offset": 0, "#, #""offset": "0x1000", "#)]) == [
            #"board.json: bootloaderEnvironment.copies[0].offset (line 11, column 94): offset 4096 is not a multiple of the sector size 131072"#,
        ])
    }

    @Test func slotsMustDiffer() {
        #expect(Self.errors([(#""/dev/ubi0_1""#, #""/dev/ubi0_0""#)]) == [
            #"board.json: slots.b.device (line 10, column 76): slots a and b use the same device "/dev/ubi0_0""#,
        ])
        #expect(Self.errors([(#"{"device": "/dev/ubi0_0", "kind": "ubi"}"#, #"{"device": "/dev/mtd5", "kind": "mtd", "eraseSize": "128KiB"}"#)]) == [
            #"board.json: slots.a.device (line 10, column 29): slot a uses the ring log's device "/dev/mtd5""#,
        ])
    }

    @Test func kernelRS485NeedsDistinctRTSLevels() {
        #expect(Self.errors([(#"{"mode": "kernel"}"#, #"{"mode": "kernel", "rtsOnSend": false, "delayAfterSendMs": 500}"#)]) == [
            #"board.json: serialPorts[0].rs485.delayAfterSendMs (line 6, column 117): integer 500 is out of range 0...100"#,
            #"board.json: serialPorts[0].rs485 (line 6, column 58): rtsOnSend and rtsAfterSend must differ (RTS has one level while sending and the other after)"#,
        ])
    }

    @Test func everyErrorOfAFileIsReportedTogether() {
        let all = Self.errors([(#""name": "test-board""#, #""name": "Test Board""#), (#""size": "1MiB""#, #""size": 1000000"#),
                               (#""console": {"tty""#, #""consol": {"tty""#), (#""mode": "kernel""#, #""mode": "kernal""#)])
        #expect(all.count == 6, "\(all.joined(separator: "\n"))")
    }

    @Test func syntaxErrorsAndMissingFilesAreReported() throws {
        #expect(Self.errors([(#"{"tty": "/dev/ttyS0"}"#, #"{"tty": "/dev/ttyS0",}"#)]) == [
            "board.json (line 12, column 35): trailing comma before '}'",
        ])
        do {
            _ = try BoardLoader.load(path: "/nonexistent/x/board.json")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description == "/nonexistent/x/board.json: cannot open: No such file or directory")
        }
    }
}
