import Foundation
import OTA
import Testing

/// `edge-agent ota status | verify | mark-good` as a technician runs them. EDGE_AGENT_BINARY
/// names the binary (the Makefile sets it); otherwise the debug build's path is used.
@Suite(.serialized) struct OTACommandTests {
    static var binary: String {
        ProcessInfo.processInfo.environment["EDGE_AGENT_BINARY"]
            ?? TestFiles.packageRoot.appendingPathComponent(".build/debug/edge-agent").path
    }

    static func agent(_ args: [String]) throws -> (status: Int32, output: String) {
        try TestFiles.run(binary, args)
    }

    static func environment(_ dir: URL, _ vars: [String]) throws -> UBootTools {
        let env = dir.appendingPathComponent("uboot.env")
        try TestFiles.zeros(0x4000, at: env)
        let tools = try UBootTools(dir: dir, configText: "\(env.path) 0x0 0x2000\n\(env.path) 0x2000 0x2000\n")
        try tools.setenvScript(vars)
        return tools
    }

    @Test func statusShowsOrderCountersVersionsAndTheBootedSlot() throws {
        let dir = try TestFiles.scratchDirectory("cli1"); defer { TestFiles.remove(dir) }
        let tools = try Self.environment(dir, ["BOOT_ORDER=B A", "BOOT_A_LEFT=3", "BOOT_B_LEFT=2", "EDGE_VERSION_B=2.0.0"])
        let (status, out) = try Self.agent(["ota", "status", "--env-config", tools.config.path, "--cmdline", "quiet rauc.slot=B"])
        #expect(status == 0, "\(out)")
        #expect(out.contains("BOOT_ORDER: B A"))
        #expect(out.contains("slot A: attempts left 3, version unknown\n"))
        #expect(out.contains("slot B: attempts left 2, version 2.0.0  <- booted"))
        #expect(out.contains("booted: B (kernel command line)"))
        #expect(out.contains("state: primary, 2 attempts left"))
        #expect(out.contains("next boot: B"))
    }

    @Test func statusRefusesACorruptEnvironment() throws {
        let dir = try TestFiles.scratchDirectory("cli2"); defer { TestFiles.remove(dir) }
        let tools = try Self.environment(dir, ["BOOT_ORDER=A B"])
        try TestFiles.zeros(0x4000, at: dir.appendingPathComponent("uboot.env"))
        let (status, out) = try Self.agent(["ota", "status", "--env-config", tools.config.path])
        #expect(status == 1)
        #expect(out.contains("both copies fail their CRC-32"))
    }

    @Test func verifyAcceptsASignedImageAndNamesEachRefusal() throws {
        let dir = try TestFiles.scratchDirectory("cli3"); defer { TestFiles.remove(dir) }
        let key = ImageFixtures.keys.appendingPathComponent("test-signing-key.der").path
        let good = dir.appendingPathComponent("good.img")
        var image = try ImageFixtures.image(board: "qemu-aarch64", version: "2.0.0", payload: ImageFixtures.payload(70_000))
        try Data(image).write(to: good)
        var (status, out) = try Self.agent(["ota", "verify", "--key", key, "--board", "qemu-aarch64", "--running", "1.0", good.path])
        #expect(status == 0, "\(out)")
        #expect(out.contains("image: board qemu-aarch64, version 2.0.0, payload 70000 bytes"))
        #expect(out.contains("verify: ok"))
        (status, out) = try Self.agent(["ota", "verify", "--key", key, "--board", "qemu-armv7", "--running", "1.0", good.path])
        #expect(status == 1)
        #expect(out.contains("REFUSED (progress step -3): image refused: built for another board"))
        (status, out) = try Self.agent(["ota", "verify", "--key", key, "--board", "qemu-aarch64", "--running", "3.0", good.path])
        #expect(out.contains("REFUSED (progress step -5)"))
        image[5000] ^= 0xFF
        let bad = dir.appendingPathComponent("bad.img")
        try Data(image).write(to: bad)
        (status, out) = try Self.agent(["ota", "verify", "--key", key, "--board", "qemu-aarch64", "--running", "1.0", bad.path])
        #expect(status == 1)
        #expect(out.contains("payload SHA-256 does not match"))
        (status, out) = try Self.agent(["ota", "verify", "--key", good.path, "--board", "qemu-aarch64", good.path])
        #expect(status == 1)
        #expect(out.contains("not an ECDSA public key"))
    }

    @Test func markGoodResetsTheBootedSlotsCounterAndReportsAFallback() throws {
        let dir = try TestFiles.scratchDirectory("cli4"); defer { TestFiles.remove(dir) }
        let tools = try Self.environment(dir, ["BOOT_ORDER=A B", "BOOT_A_LEFT=1", "BOOT_B_LEFT=3"])
        var (status, out) = try Self.agent(["ota", "mark-good", "--env-config", tools.config.path, "--cmdline", "rauc.slot=A"])
        #expect(status == 0, "\(out)")
        #expect(try tools.printenv()["BOOT_A_LEFT"] == "3")
        try tools.setenvScript(["BOOT_A_LEFT=0", "BOOT_B_LEFT=2"])
        (status, out) = try Self.agent(["ota", "mark-good", "--env-config", tools.config.path, "--cmdline", "rauc.slot=B"])
        #expect(status == 0, "\(out)")
        #expect(out.contains("slot A failed its trial; running slot B"))
        let vars = try tools.printenv()
        #expect(vars["BOOT_ORDER"] == "B A")
        #expect(vars["BOOT_B_LEFT"] == "3")
        #expect(vars["BOOT_A_LEFT"] == "0")
    }

    @Test func installWritesTheInactiveSlotAndActivatesIt() throws {
        let dir = try TestFiles.scratchDirectory("cli7"); defer { TestFiles.remove(dir) }
        let tools = try Self.environment(dir, ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let a = dir.appendingPathComponent("slot-a"), b = dir.appendingPathComponent("slot-b")
        try Data("running A".utf8).write(to: a)
        try Data("old B".utf8).write(to: b)
        let slots = dir.appendingPathComponent("slots.txt")
        try "A \(a.path)\nB \(b.path)\n".write(to: slots, atomically: true, encoding: .utf8)
        let key = ImageFixtures.keys.appendingPathComponent("test-signing-key.der").path
        let payload = ImageFixtures.payload(20_000)
        var image = try ImageFixtures.image(version: "1.1.0", payload: payload)
        let file = dir.appendingPathComponent("update.img")
        try Data(image).write(to: file)
        let common = ["ota", "install", "--env-config", tools.config.path, "--slots", slots.path, "--key", key,
                      "--board", "qemu-aarch64", "--running", "1.0.0"]
        var (status, out) = try Self.agent(common + ["--cmdline", "rauc.slot=A", file.path])
        #expect(status == 0, "\(out)")
        #expect(out.contains("slot B activated on trial"))
        var vars = try tools.printenv()
        #expect(vars["BOOT_ORDER"] == "B A")
        #expect(vars["BOOT_B_LEFT"] == "3")
        #expect(vars["EDGE_VERSION_B"] == "1.1.0")
        #expect(Array(try Data(contentsOf: b)) == payload)
        #expect(try Data(contentsOf: a) == Data("running A".utf8))
        // A tampered image: refused with its progress step before anything is written
        // (RefusedImageTests has every kind of refusal).
        try tools.setenvScript(["BOOT_ORDER=A B", "BOOT_B_LEFT=3"])
        image[128 + 9000] ^= 0x55
        try Data(image).write(to: file)
        (status, out) = try Self.agent(common + ["--cmdline", "rauc.slot=A", file.path])
        #expect(status == 1)
        #expect(out.contains("install failed (progress step -3): image refused: payload SHA-256 does not match"))
        vars = try tools.printenv()
        #expect(vars["BOOT_ORDER"] == "A B")
        #expect(vars["BOOT_B_LEFT"] == "3")
        #expect(Array(try Data(contentsOf: b)) == payload)
        // Without the kernel command line nothing is written.
        (status, out) = try Self.agent(common + ["--cmdline", "quiet", file.path])
        #expect(status == 1)
        #expect(out.contains("booted slot unknown"))
    }

    @Test func installFetchesAnImageOverHTTPThroughDrops() throws {
        let dir = try TestFiles.scratchDirectory("cli8"); defer { TestFiles.remove(dir) }
        let tools = try Self.environment(dir, ["BOOT_ORDER=B A", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let a = dir.appendingPathComponent("slot-a"), b = dir.appendingPathComponent("slot-b")
        try Data("old A".utf8).write(to: a)
        try Data("running B".utf8).write(to: b)
        let slots = dir.appendingPathComponent("slots.txt")
        try "A=\(a.path)\nB=\(b.path)\n".write(to: slots, atomically: true, encoding: .utf8)
        let payload = ImageFixtures.payload(60_000)
        let server = try HTTPRangeServer(files: ["fw.img": try ImageFixtures.image(version: "1.2.0", payload: payload)],
                                         arguments: ["--drop-after", "25000", "--drops", "1"])
        let key = ImageFixtures.keys.appendingPathComponent("test-signing-key.der").path
        let (status, out) = try Self.agent(["ota", "install", "--env-config", tools.config.path, "--slots", slots.path, "--key", key,
                                            "--board", "qemu-aarch64", "--running", "1.0.0", "--cmdline", "rauc.slot=B",
                                            server.url("fw.img")])
        let installed = Array(try Data(contentsOf: a))
        let order = try tools.printenv()["BOOT_ORDER"]
        let (missing, text) = try Self.agent(["ota", "install", "--env-config", tools.config.path, "--slots", slots.path, "--key", key,
                                              "--cmdline", "rauc.slot=B", server.url("none.img")])
        let log = server.stop()
        #expect(status == 0, "\(out)")
        #expect(log.prefix(2) == ["GET /fw.img None", "GET /fw.img bytes=25000-"])
        #expect(installed == payload)
        #expect(order == "A B")
        #expect(missing == 1)
        #expect(text.contains("install failed (progress step -2): download: HTTP status 404"), "\(text)")
    }

    @Test func installFetchesAnImageOverHTTPS() throws {
        let dir = try TestFiles.scratchDirectory("cli9"); defer { TestFiles.remove(dir) }
        let certs = try HTTPSDownloadTests.Certificates()
        let tools = try Self.environment(dir, ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let a = dir.appendingPathComponent("slot-a"), b = dir.appendingPathComponent("slot-b")
        try Data("running A".utf8).write(to: a)
        let slots = dir.appendingPathComponent("slots.txt")
        try "A \(a.path)\nB \(b.path)\n".write(to: slots, atomically: true, encoding: .utf8)
        let payload = ImageFixtures.payload(30_000)
        let server = try HTTPRangeServer(files: ["fw.img": try ImageFixtures.image(version: "1.3.0", payload: payload)],
                                         arguments: ["--cert", certs.path("server.crt"), "--key", certs.path("server.key")])
        let key = ImageFixtures.keys.appendingPathComponent("test-signing-key.der").path
        let common = ["ota", "install", "--env-config", tools.config.path, "--slots", slots.path, "--key", key,
                      "--board", "qemu-aarch64", "--running", "1.0.0", "--cmdline", "rauc.slot=A"]
        let url = "https://localhost:\(server.port)/fw.img"
        let (untrusted, refusal) = try Self.agent(common + ["--ca", certs.path("otherca.crt"), url])
        let (status, out) = try Self.agent(common + ["--ca", certs.path("ca.crt"), url])
        _ = server.stop()
        #expect(untrusted == 1)
        #expect(refusal.contains("progress step -2") && refusal.contains("TLS failure"), "\(refusal)")
        #expect(status == 0, "\(out)")
        #expect(Array(try Data(contentsOf: b)) == payload)
        #expect(try tools.printenv()["BOOT_ORDER"] == "B A")
    }

    @Test func markGoodRefusesWithoutTheKernelCommandLine() throws {
        let dir = try TestFiles.scratchDirectory("cli6"); defer { TestFiles.remove(dir) }
        let tools = try Self.environment(dir, ["BOOT_ORDER=A B", "BOOT_A_LEFT=1", "BOOT_B_LEFT=3"])
        let (status, out) = try Self.agent(["ota", "mark-good", "--env-config", tools.config.path, "--cmdline", "quiet"])
        #expect(status == 1)
        #expect(out.contains("booted slot unknown"))
        #expect(try tools.printenv()["BOOT_A_LEFT"] == "1")
    }

    @Test func firmwareThatMarksItselfGoodWithTheAgentStaysBooted() throws {
        // The boot simulator runs slot B's firmware, which calls `edge-agent ota mark-good` as
        // the real firmware's health check will: B keeps its full counter across reboots.
        let dir = try TestFiles.scratchDirectory("cli5"); defer { TestFiles.remove(dir) }
        let tools = try Self.environment(dir, ["BOOT_ORDER=B A", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let a = dir.appendingPathComponent("slot-a"), b = dir.appendingPathComponent("slot-b")
        try "#!/bin/sh\necho firmware A\n".write(to: a, atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho firmware B\nexec \"\(Self.binary)\" ota mark-good --env-config \"\(tools.config.path)\"\n"
            .write(to: b, atomically: true, encoding: .utf8)
        for _ in 0..<5 {
            let (status, out) = try TestFiles.run("/usr/bin/python3", [BootSimulatorTests.simulator, "--config", tools.config.path,
                                                                       "--slot", "A=\(a.path)", "--slot", "B=\(b.path)"])
            #expect(status == 0, "\(out)")
            #expect(out.contains("boot: slot B, 2 attempts left"))
            #expect(out.contains("slot B marked good"))
        }
        #expect(try tools.printenv()["BOOT_B_LEFT"] == "3")
    }
}
