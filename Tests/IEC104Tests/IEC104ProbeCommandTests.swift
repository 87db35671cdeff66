import Foundation
import Testing
import TestSupport

/// `edge-agent iec104 interrogate` and `iec104 command` against the c104 outstation
/// (Tools/iec104_test_outstation.py, lib60870 inside): the station's five values with their
/// qualities and the time-tagged one's time, refusals and a refused connection in words, bad
/// arguments named, and the probe's exit codes (0 done, 1 failed, 2 bad arguments).
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: ChildProcess.agentBinary)))
struct IEC104ProbeCommandTests {
    static func run(_ args: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.runAgent(["iec104"] + args)
    }

    @Test func interrogationPrintsEveryValueWithItsQualityAndTimeUntilTheTermination() throws {
        let outstation = try OutstationProcess()
        defer { outstation.stop() }
        let gi = try Self.run(["interrogate", "--host", "127.0.0.1", "--port", "\(outstation.port)", "--ca", "47"])
        #expect(gi.status == 0, "\(gi.output)")
        for line in [
            "ca 47 ioa 11 M_ME_NC_1 12.5 quality good cause interrogated\n",
            "ca 47 ioa 12 M_SP_NA_1 on quality invalid cause interrogated\n",
            "ca 47 ioa 13 M_DP_NA_1 on quality good cause interrogated\n",
            "ca 47 ioa 14 M_ME_NB_1 -300 quality not topical, substituted cause interrogated\n",
            "ca 47 ioa 15 M_ME_TF_1 -1.5 quality good time 2026-01-01T00:00:00.250Z cause interrogated\n",
        ] {
            #expect(gi.output.contains(line), "\(line) in \(gi.output)")
        }
        #expect(gi.output.hasSuffix("general interrogation of common address 47 terminated: 5 values\n"), "\(gi.output)")
        // The counter interrogation: confirmed and terminated (this station has no counters).
        let ci = try Self.run(["interrogate", "--host", "127.0.0.1", "--port", "\(outstation.port)", "--ca", "47", "--counters"])
        #expect(ci.status == 0 && ci.output.contains("counter interrogation of common address 47 terminated: 0 values"), "\(ci.output)")
    }

    @Test func aWrongCommonAddressIsRefusedInWords() throws {
        let outstation = try OutstationProcess()
        defer { outstation.stop() }
        let wrong = try Self.run(["interrogate", "--host", "127.0.0.1", "--port", "\(outstation.port)", "--ca", "48", "--timeout-ms", "5000"])
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(wrong.output.contains("edge-agent iec104: common address 48 refused the general interrogation: negative activation confirmation (P/N set, COT 7)"),
                "\(wrong.output)")
    }

    @Test func nothingListeningIsAConnectionRefused() throws {
        // A port the outstation had and gave back: nothing listens there now.
        let outstation = try OutstationProcess()
        let port = outstation.port
        outstation.stop()
        let refused = try Self.run(["interrogate", "--host", "127.0.0.1", "--port", "\(port)", "--ca", "47"])
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("cannot start the link with 127.0.0.1:\(port): iec104 link: connection refused"), "\(refused.output)")
    }

    @Test func badArgumentsAreNamed() throws {
        let ca = try Self.run(["interrogate", "--host", "127.0.0.1", "--ca", "0"])
        #expect(ca.status == 2 && ca.output.contains("--ca: '0' is not a whole number from 1 to 65535"), "\(ca.output)")
        let port = try Self.run(["interrogate", "--host", "127.0.0.1", "--port", "70000", "--ca", "47"])
        #expect(port.status == 2 && port.output.contains("--port: '70000' is not a whole number from 1 to 65535"), "\(port.output)")
        let noHost = try Self.run(["interrogate", "--ca", "47"])
        #expect(noHost.status == 2 && noHost.output.contains("give --host"), "\(noHost.output)")
        let noCA = try Self.run(["interrogate", "--host", "127.0.0.1"])
        #expect(noCA.status == 2 && noCA.output.contains("give --ca"), "\(noCA.output)")
        let timeout = try Self.run(["interrogate", "--host", "127.0.0.1", "--ca", "47", "--timeout-ms", "x"])
        #expect(timeout.status == 2 && timeout.output.contains("--timeout-ms: 'x' is not a whole number"), "\(timeout.output)")
        let unknown = try Self.run(["interrogate", "--host", "127.0.0.1", "--ca", "47", "--ioa", "3"])
        #expect(unknown.status == 2 && unknown.output.contains("unknown option '--ioa'"), "\(unknown.output)")
        let single = try Self.run(["command", "--host", "127.0.0.1", "--ca", "47", "--ioa", "20", "--single", "2"])
        #expect(single.status == 2 && single.output.contains("--single: '2' is not 0 (off) or 1 (on)"), "\(single.output)")
        let usage = try Self.run([])
        #expect(usage.status == 0 && usage.output.contains("usage: edge-agent iec104 interrogate --host HOST"), "\(usage.output)")
    }

    @Test func aSingleCommandPrintsItsConfirmation() throws {
        let outstation = try OutstationProcess()
        defer { outstation.stop() }
        let port = "\(outstation.port)"
        let direct = try Self.run(["command", "--host", "127.0.0.1", "--port", port, "--ca", "47", "--ioa", "20", "--single", "1"])
        #expect(direct.status == 0 && direct.output.contains("execute: positive confirmation (activation confirmation)"), "\(direct.output)")
        #expect(outstation.waitForLine("COMMAND 20 True ACTIVATION", seconds: 5) != nil, "\(outstation.log)")
        let selected = try Self.run(["command", "--host", "127.0.0.1", "--port", port, "--ca", "47", "--ioa", "21", "--single", "1", "--select"])
        #expect(selected.status == 0, "\(selected.output)")
        #expect(selected.output.contains("select: positive confirmation (activation confirmation)\nexecute: positive confirmation"), "\(selected.output)")
        #expect(outstation.waitForLine("COMMAND 21 True ACTIVATION", seconds: 5) != nil, "\(outstation.log)")
        // lib60870 refuses an unknown IOA twice, in either order: negative COT 7, and COT 47.
        let unknown = try Self.run(["command", "--host", "127.0.0.1", "--port", port, "--ca", "47", "--ioa", "99", "--single", "1"])
        #expect(unknown.status == 1, "\(unknown.output)")
        #expect(unknown.output.contains("common address 47, IOA 99 refused the execute: negative activation confirmation (P/N set, COT 7)")
                || unknown.output.contains("common address 47, IOA 99 refused the execute: unknown object address (COT 47)"), "\(unknown.output)")
    }
}
