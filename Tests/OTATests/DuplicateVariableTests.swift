import EdgeCore
import Foundation
import OTA
import Testing

/// An environment that holds a name twice (hand-edited, or written by a foreign tool) is read
/// as Debian's fw_printenv (libubootenv 0.3.x) reads it: the last entry wins, so the boot choice
/// is the one the bootloader's tools would make. Editing such a name leaves one entry that
/// fw_printenv reads back.
@Suite(.serialized) struct DuplicateVariableTests {
    /// The first entries say "boot A"; the last say "boot B".
    static let entries = ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=0", "EDGE_VERSION_B=1.0.0",
                          "BOOT_B_LEFT=3", "BOOT_ORDER=B A", "EDGE_VERSION_B=2.0.0"]

    /// A redundant environment file whose copy 0 holds `entries` in that order (copy 1 blank).
    static func craft(_ dir: URL) throws -> UBootTools {
        let file = dir.appendingPathComponent("uboot.env")
        let size = 0x2000
        var copy = [UInt8](repeating: 0, count: size)
        var at = BootEnvironmentFormat.redundantHeaderSize
        for entry in entries {
            copy.replaceSubrange(at..<(at + entry.utf8.count), with: Array(entry.utf8))
            at += entry.utf8.count + 1
        }
        copy.withUnsafeMutableBytes { BootEnvironmentFormat.seal($0, redundant: true, flags: 1) }
        try Data(copy + [UInt8](repeating: 0, count: size)).write(to: file)
        return try UBootTools(dir: dir, configText: "\(file.path) 0x0 0x2000\n\(file.path) 0x2000 0x2000\n")
    }

    @Test func aNameStoredTwiceReadsAsFwPrintenvReadsIt() throws {
        let dir = try TestFiles.scratchDirectory("dup1"); defer { TestFiles.remove(dir) }
        let tools = try Self.craft(dir)
        let theirs = try tools.printenv()
        #expect(theirs == ["BOOT_ORDER": "B A", "BOOT_A_LEFT": "3", "BOOT_B_LEFT": "3", "EDGE_VERSION_B": "2.0.0"],
                "fw_printenv: \(theirs)")
        var env = try openEnvironment(tools.config)
        try env.load()
        for (name, value) in theirs { #expect(env.value(name) == value, "\(name)") }
        #expect(Bootchooser.nextBoot(env) == .b)
        let listed = env.listing().split(separator: "\n").map(String.init).sorted()
        #expect(listed == theirs.map { "\($0.key)=\($0.value)" }.sorted())
    }

    @Test func settingOrRemovingANameStoredTwiceLeavesWhatFwPrintenvReadsBack() throws {
        let dir = try TestFiles.scratchDirectory("dup2"); defer { TestFiles.remove(dir) }
        let tools = try Self.craft(dir)
        var env = try openEnvironment(tools.config)
        try env.load()
        try env.set("BOOT_B_LEFT", "1")
        try env.set("EDGE_VERSION_B", nil)
        try env.save()
        let theirs = try tools.printenv()
        #expect(theirs == ["BOOT_ORDER": "B A", "BOOT_A_LEFT": "3", "BOOT_B_LEFT": "1"], "fw_printenv: \(theirs)")
        try env.load()
        #expect(env.listing().split(separator: "\n").filter { $0.hasPrefix("BOOT_B_LEFT=") } == ["BOOT_B_LEFT=1"])
        #expect(env.value("EDGE_VERSION_B") == nil)
        // fw_setenv on top of ours sees the same.
        try tools.setenv("BOOT_A_LEFT", "2")
        try env.load()
        #expect(env.value("BOOT_A_LEFT") == "2" && env.value("BOOT_B_LEFT") == "1" && env.value("BOOT_ORDER") == "B A")
    }
}
