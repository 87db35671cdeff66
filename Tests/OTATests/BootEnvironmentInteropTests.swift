import Foundation
import OTA
import Testing

/// Our U-Boot environment code against Debian's fw_printenv / fw_setenv, both ways, single and
/// redundant, including a corrupt copy. The tools are an independent implementation: if they
/// read what we write and we read what they write, the layout, CRC and flags logic agree.
@Suite(.serialized) struct BootEnvironmentInteropTests {
    static let size = 0x2000

    static func single(_ dir: URL) throws -> UBootTools {
        let file = dir.appendingPathComponent("uboot.env")
        try TestFiles.zeros(size, at: file)
        return try UBootTools(dir: dir, configText: "# single copy\n\(file.path) 0x0 0x2000\n")
    }

    static func redundant(_ dir: URL) throws -> UBootTools {
        let file = dir.appendingPathComponent("uboot-redund.env")
        try TestFiles.zeros(3 * size, at: file)
        // Second copy at an octal-free hex offset, sector size given, like a real fw_env.config.
        return try UBootTools(dir: dir, configText: "\(file.path) 0x0 0x2000 0x1000\n\(file.path) 0x4000 2000 0x1000\n")
    }

    @Test func fwPrintenvReadsASingleEnvironmentWeWrote() throws {
        let dir = try TestFiles.scratchDirectory("env1"); defer { TestFiles.remove(dir) }
        let tools = try Self.single(dir)
        var env = try openEnvironment(tools.config)
        #expect(throws: BootEnvironmentError.crcMismatch(copy: 0)) { try env.load() }
        env.reset()
        try env.set("BOOT_ORDER", "A B")
        try env.set("BOOT_A_LEFT", "3")
        try env.set("BOOT_B_LEFT", "3")
        try env.set("bootcmd", "run bootchooser; boot=ok")
        try env.save()
        #expect(try tools.printenv() == ["BOOT_ORDER": "A B", "BOOT_A_LEFT": "3", "BOOT_B_LEFT": "3",
                                         "bootcmd": "run bootchooser; boot=ok"])
        try env.set("BOOT_A_LEFT", nil)
        try env.set("BOOT_ORDER", "B A")
        try env.save()
        #expect(try tools.printenv() == ["BOOT_ORDER": "B A", "BOOT_B_LEFT": "3", "bootcmd": "run bootchooser; boot=ok"])
    }

    @Test func fwPrintenvReadsARedundantEnvironmentAfterEachOfOurWrites() throws {
        let dir = try TestFiles.scratchDirectory("env2"); defer { TestFiles.remove(dir) }
        let tools = try Self.redundant(dir)
        var env = try openEnvironment(tools.config)
        #expect(throws: BootEnvironmentError.noValidCopy) { try env.load() }
        env.reset()
        for round in 1...5 {
            try env.set("round", "\(round)")
            try env.set("BOOT_ORDER", round % 2 == 0 ? "B A" : "A B")
            try env.save()
            // Copies alternate: first write goes to copy 1 (flags 1), then 0 (flags 2), …
            #expect(env.currentCopy == (round % 2 == 1 ? 1 : 0))
            #expect(env.currentFlags == UInt8(round))
            #expect(try tools.printenv() == ["round": "\(round)", "BOOT_ORDER": round % 2 == 0 ? "B A" : "A B"])
            // A fresh reader picks the same copy.
            var again = try openEnvironment(tools.config)
            try again.load()
            #expect(again.currentCopy == env.currentCopy)
            #expect(again.value("round") == "\(round)")
        }
    }

    @Test func weReadASingleEnvironmentFwSetenvWrote() throws {
        let dir = try TestFiles.scratchDirectory("env3"); defer { TestFiles.remove(dir) }
        let tools = try Self.single(dir)
        try tools.setenv("BOOT_ORDER", "B A")
        try tools.setenv("BOOT_B_LEFT", "2")
        try tools.setenv("serverip", "10.0.0.1")
        try tools.setenv("serverip", "10.0.0.2")
        var env = try openEnvironment(tools.config)
        try env.load()
        #expect(env.value("BOOT_ORDER") == "B A")
        #expect(env.value("BOOT_B_LEFT") == "2")
        #expect(env.value("serverip") == "10.0.0.2")
        #expect(env.value("BOOT_A_LEFT") == nil)
        #expect(env.listing() == "BOOT_B_LEFT=2\nBOOT_ORDER=B A\nserverip=10.0.0.2\n")
    }

    @Test func weReadARedundantEnvironmentFwSetenvWrote() throws {
        let dir = try TestFiles.scratchDirectory("env4"); defer { TestFiles.remove(dir) }
        let tools = try Self.redundant(dir)
        for n in 1...4 {
            try tools.setenv("counter", "\(n)")
            var env = try openEnvironment(tools.config)
            try env.load()
            #expect(env.value("counter") == "\(n)")
            #expect(env.currentFlags == UInt8(n))
            #expect(env.currentCopy == (n % 2 == 1 ? 1 : 0))
        }
        try tools.setenvScript(["BOOT_A_LEFT=3", "BOOT_ORDER=A B"])
        var env = try openEnvironment(tools.config)
        try env.load()
        #expect(Bootchooser.order(env) == [.a, .b])
        #expect(Bootchooser.attemptsLeft(env, .a) == 3)
    }

    @Test func ourDataAreaIsByteForByteWhatFwSetenvWrites() throws {
        let dir = try TestFiles.scratchDirectory("env5"); defer { TestFiles.remove(dir) }
        let theirs = try Self.single(dir)
        for (n, v) in [("zeta", "1"), ("BOOT_ORDER", "A B"), ("alpha", "x=y"), ("BOOT_A_LEFT", "3"), ("zeta", "22")] {
            try theirs.setenv(n, v)
        }
        let ourDir = try TestFiles.scratchDirectory("env5b"); defer { TestFiles.remove(ourDir) }
        let ours = try Self.single(ourDir)
        var env = try openEnvironment(ours.config)
        env.reset()
        for (n, v) in [("zeta", "1"), ("BOOT_ORDER", "A B"), ("alpha", "x=y"), ("BOOT_A_LEFT", "3"), ("zeta", "22")] {
            try env.set(n, v)
        }
        try env.save()
        let a = try Data(contentsOf: dir.appendingPathComponent("uboot.env"))
        let b = try Data(contentsOf: ourDir.appendingPathComponent("uboot.env"))
        // fw_setenv leaves malloc garbage after the double NUL (covered by its CRC), so compare
        // the used part of the data area.
        let used = "BOOT_A_LEFT=3\0BOOT_ORDER=A B\0alpha=x=y\0zeta=22\0\0".utf8.count
        #expect(Array(a[4..<(4 + used)]) == Array(b[4..<(4 + used)]))
    }

    @Test func aCorruptCopyLeavesTheOtherInUseForUsAndForFwPrintenv() throws {
        let dir = try TestFiles.scratchDirectory("env6"); defer { TestFiles.remove(dir) }
        let tools = try Self.redundant(dir)
        try tools.setenv("version", "old")   // copy 1, flags 1
        try tools.setenv("version", "new")   // copy 0, flags 2
        let file = dir.appendingPathComponent("uboot-redund.env")
        var bytes = try Data(contentsOf: file)
        bytes[5 + 3] ^= 0x40                 // a bit flip in copy 0's data: its CRC fails
        try bytes.write(to: file)
        var env = try openEnvironment(tools.config)
        try env.load()
        #expect(env.validCopies == (false, true))
        #expect(env.currentCopy == 1)
        #expect(env.value("version") == "old")
        #expect(try tools.printenv()["version"] == "old")
        // Our next write goes over the corrupt copy and wins.
        try env.set("version", "repaired")
        try env.save()
        #expect(env.currentCopy == 0)
        #expect(try tools.printenv()["version"] == "repaired")
    }

    @Test func bothCopiesCorruptIsAClearErrorAndNothingCanBeSaved() throws {
        let dir = try TestFiles.scratchDirectory("env7"); defer { TestFiles.remove(dir) }
        let tools = try Self.redundant(dir)
        try tools.setenv("a", "1")
        try tools.setenv("a", "2")
        let file = dir.appendingPathComponent("uboot-redund.env")
        var bytes = try Data(contentsOf: file)
        bytes[0] ^= 1
        bytes[0x4000] ^= 1
        try bytes.write(to: file)
        var env = try openEnvironment(tools.config)
        #expect(throws: BootEnvironmentError.noValidCopy) { try env.load() }
        #expect(throws: BootEnvironmentError.notLoaded) { try env.save() }
        #expect(BootEnvironmentError.noValidCopy.description.contains("refusing"))
        // fw_printenv agrees that there is no environment.
        #expect(try tools.printenvRaw().output.contains("Cannot read environment"))
    }
}
