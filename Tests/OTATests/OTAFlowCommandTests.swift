import Foundation
import OTA
import Testing

/// `edge-agent ota upgrade` and `ota boot-check` (host build): the progress lines an order
/// produces, the reboot exit status, the health check's verdicts, a simulated power cut.
@Suite(.serialized) struct OTAFlowCommandTests {
    static let key = ImageFixtures.keys.appendingPathComponent("test-signing-key.der").path

    struct Gateway {
        let dir: URL
        let tools: UBootTools
        let slots: URL
        let slotB: URL
    }

    static func gateway(_ tag: String) throws -> Gateway {
        let g = try SlotInstallTests.gateway(tag)
        let slots = g.dir.appendingPathComponent("slots.txt")
        try "A \(g.slots.a)\nB \(g.slots.b)\n".write(to: slots, atomically: true, encoding: .utf8)
        return Gateway(dir: g.dir, tools: g.tools, slots: slots, slotB: URL(fileURLWithPath: g.slots.b))
    }

    static func upgrade(_ g: Gateway, url: String, sign: String, extra: [String] = [],
                        environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        try TestFiles.run(OTACommandTests.binary, ["ota", "upgrade", "--env-config", g.tools.config.path, "--slots", g.slots.path,
                                                  "--cmdline", "rauc.slot=A", "--key", key, "--board", "qemu-aarch64",
                                                  "--running", "1.0.0", "--url", url, "--sign", sign, "--sign-method", "md5"] + extra,
                          environment: environment)
    }

    static func progressSteps(_ output: String) -> [Int] {
        output.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("ota: progress ") else { return nil }
            return Int(line.dropFirst("ota: progress ".count).prefix(while: { $0 != " " }))
        }
    }

    @Test func anOrderPrintsItsProgressActivatesAndExitsWithTheRebootStatus() throws {
        let g = try Self.gateway("flow1"); defer { TestFiles.remove(g.dir) }
        let payload = ImageFixtures.payload(150_000)
        let image = try ImageFixtures.image(version: "2.0.0", payload: payload)
        let server = try HTTPRangeServer(files: ["fw.img": image], arguments: ["--drop-after", "70000", "--drops", "1"])
        defer { _ = server.stop() }
        let r = try Self.upgrade(g, url: server.url("fw.img"), sign: try OTAUpdateTests.digest("md5sum", image),
                                 extra: ["--version", "2.0.0", "--size", "\(image.count)"])
        #expect(r.status == OTAExitStatus.rebootRequested, "\(r.output)")
        let steps = Self.progressSteps(r.output)
        #expect(steps.first == 0 && steps.suffix(3) == [80, 85, 95], "\(r.output)")
        #expect(r.output.contains("ota: rebooting into 2.0.0 (exit)"))
        #expect(Array(try Data(contentsOf: g.slotB)) == payload)
        let vars = try g.tools.printenv()
        #expect(vars["BOOT_ORDER"] == "B A" && vars["EDGE_TRIAL"] == "B")
    }

    @Test func aRefusedOrderEndsWithItsFailureStepAndExit1() throws {
        let g = try Self.gateway("flow2"); defer { TestFiles.remove(g.dir) }
        let image = try ImageFixtures.image(board: "qemu-armv7", version: "2.0.0", payload: ImageFixtures.payload(5_000))
        let server = try HTTPRangeServer(files: ["fw.img": image]); defer { _ = server.stop() }
        let r = try Self.upgrade(g, url: server.url("fw.img"), sign: try OTAUpdateTests.digest("md5sum", image))
        #expect(r.status == 1, "\(r.output)")
        #expect(r.output.contains("ota: progress -3 image refused: built for another board"), "\(r.output)")
        #expect(try g.tools.printenv()["BOOT_ORDER"] == "A B")
    }

    @Test func aPowerCutAfterVerificationLeavesTheOldSlotFirst() throws {
        let g = try Self.gateway("flow3"); defer { TestFiles.remove(g.dir) }
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(50_000))
        let server = try HTTPRangeServer(files: ["fw.img": image]); defer { _ = server.stop() }
        let r = try Self.upgrade(g, url: server.url("fw.img"), sign: try OTAUpdateTests.digest("md5sum", image),
                                 environment: ["EDGE_OTA_CUT_AFTER_STEP": "85"])
        #expect(r.status == SIGKILL, "\(r.output)")
        #expect(Self.progressSteps(r.output).last == 85)
        let vars = try g.tools.printenv()
        #expect(vars["BOOT_ORDER"] == "A B" && vars["BOOT_B_LEFT"] == "0")
    }

    @Test func bootCheckCommitsATrialThatReachesItsUplink() throws {
        let dir = try TestFiles.scratchDirectory("flow4"); defer { TestFiles.remove(dir) }
        let tools = try OTACommandTests.environment(dir, ["BOOT_ORDER=B A", "BOOT_A_LEFT=3", "BOOT_B_LEFT=2", "EDGE_TRIAL=B",
                                                          "EDGE_VERSION_B=2.0.0"])
        let uplink = try HTTPRangeServer(files: [:]); defer { _ = uplink.stop() }
        let r = try TestFiles.run(OTACommandTests.binary, ["ota", "boot-check", "--env-config", tools.config.path, "--cmdline", "rauc.slot=B",
                                                           "--uplink", "127.0.0.1:\(uplink.port)", "--deadline-ms", "5000"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("ota: progress 100 upgraded to 2.0.0"), "\(r.output)")
        #expect(r.output.contains("ota: inform 2.0.0"))
        let vars = try tools.printenv()
        #expect(vars["BOOT_B_LEFT"] == "3" && vars["EDGE_TRIAL"] == nil)
    }

    @Test func bootCheckFailsATrialWithoutUplinkAfterItsDeadline() throws {
        let dir = try TestFiles.scratchDirectory("flow5"); defer { TestFiles.remove(dir) }
        let tools = try OTACommandTests.environment(dir, ["BOOT_ORDER=B A", "BOOT_A_LEFT=3", "BOOT_B_LEFT=2", "EDGE_TRIAL=B"])
        let r = try TestFiles.run(OTACommandTests.binary, ["ota", "boot-check", "--env-config", tools.config.path, "--cmdline", "rauc.slot=B",
                                                           "--uplink", "127.0.0.1:1", "--deadline-ms", "400"])
        #expect(r.status == OTAExitStatus.healthCheckFailed, "\(r.output)")
        #expect(r.output.contains("no uplink, poll within 400 ms"), "\(r.output)")
        #expect(try tools.printenv()["EDGE_TRIAL"] == "B")
    }
}
