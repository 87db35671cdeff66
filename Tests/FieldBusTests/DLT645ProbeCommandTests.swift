import Foundation
import Testing
import TestSupport

/// `edge-agent dlt645 read` against the meter emulator on a socat pty: a DI's value with its
/// unit, the discovery of a single meter's address through the wildcard, and the meter's own
/// errors and bad options in words with the probe's exit codes (0 read, 1 failed, 2 usage).
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: probeBinary)))
struct DLT645ProbeCommandTests {
    static func run(_ args: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.run(probeBinary, ["dlt645", "read"] + args)
    }

    /// Runs the probe on `meters` (a fresh emulator and pty pair per run: the pty driver keeps the
    /// parity a first run set, so a second run's termios check would fail) with `args` after
    /// `--port`; returns the probe's status and output and the emulator's lines.
    static func probe(_ meters: [String], _ args: [String]) throws -> (status: Int32, output: String, lines: [String]) {
        let meter = try DLT645MeterProcess(meters: meters)
        defer { meter.stop() }
        let (status, output) = try run(["--port", meter.devicePath] + args)
        return (status, output, meter.lines)
    }

    @Test func printsTheValueWithItsUnit() throws {
        let voltage = try Self.probe(["000000001234"], ["--baud", "2400", "--address", "000000001234", "--di", "0x02010100"])
        #expect(voltage.status == 0, "\(voltage.output)")
        #expect(voltage.output.contains("0x02010100 = 220.1 V\n"), "\(voltage.output)")
        #expect(voltage.lines.contains("READ 000000001234 02010100"), "\(voltage.lines)")
        let energy = try Self.probe(["000000001234"], ["--address", "000000001234", "--di", "00010000"])
        #expect(energy.output.contains("0x00010000 = 12379.67 kWh\n"), "\(energy.output)")
        let current = try Self.probe(["000000001234"], ["--address", "000000001234", "--di", "0x02020200"])
        #expect(current.output.contains("0x02020200 = -0.456 A\n"), "\(current.output)")
    }

    @Test func discoversTheAddressOfTheOnlyMeterThroughTheWildcard() throws {
        let found = try Self.probe(["000000001234"], ["--baud", "2400", "--address", "AAAAAAAAAAAA"])
        #expect(found.status == 0, "\(found.output)")
        #expect(found.output.contains("meter address 000000001234\n"), "\(found.output)")
        #expect(found.lines.contains("READ 000000001234 04000401"), "\(found.lines)")
    }

    @Test func namesTheMetersErrorAndExitsWithOne() throws {
        // A DI of the table this meter does not have: its error reply, bit 1.
        let refused = try Self.probe(["000000001234"], ["--address", "000000001234", "--di", "0x00010200"])
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("read failed: meter 000000001234, DI 0x00010200: meter error reply 0x02 (no requested data)"),
                "\(refused.output)")
        let corrupt = try Self.probe(["000000000001:checksum"], ["--address", "000000000001", "--di", "0x02010100"])
        #expect(corrupt.status == 1)
        #expect(corrupt.output.contains("read failed: meter 000000000001, DI 0x02010100: checksum error (computed 0x"), "\(corrupt.output)")
        let silent = try Self.probe(["000000000002:silent"], ["--address", "000000000002", "--di", "0x02010100", "--timeout", "200"])
        #expect(silent.status == 1)
        #expect(silent.output.contains("no reply within 200 ms"), "\(silent.output)")
        let missing = try Self.run(["--port", "/nonexistent/tty", "--address", "000000001234", "--di", "0x02010100"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("cannot open /nonexistent/tty 2400 8E1"), "\(missing.output)")
    }

    @Test func refusesBadOptionsWithTheReason() throws {
        let address = try Self.run(["--port", "/dev/null", "--address", "12345", "--di", "0x02010100"])
        #expect(address.status == 2 && address.output.contains("--address: '12345' is not a meter address"), "\(address.output)")
        let di = try Self.run(["--port", "/dev/null", "--address", "000000001234", "--di", "0x2010100"])
        #expect(di.status == 2 && di.output.contains("--di: '0x2010100' is not a data identifier"), "\(di.output)")
        let unknown = try Self.run(["--port", "/dev/null", "--address", "000000001234", "--di", "0x09090909"])
        #expect(unknown.status == 2 && unknown.output.contains("--di: 0x09090909 is not in the DL/T 645 table"), "\(unknown.output)")
        let noDI = try Self.run(["--port", "/dev/null", "--address", "000000001234"])
        #expect(noDI.status == 2 && noDI.output.contains("give --di"), "\(noDI.output)")
        let broadcast = try Self.run(["--port", "/dev/null", "--address", "999999999999", "--di", "0x02010100"])
        #expect(broadcast.status == 2 && broadcast.output.contains("broadcast address: no meter answers"), "\(broadcast.output)")
        let usage = try ChildProcess.run(probeBinary, ["dlt645"])
        #expect(usage.status == 0 && usage.output.contains("usage: edge-agent dlt645 read --port DEVICE"), "\(usage.output)")
    }
}
