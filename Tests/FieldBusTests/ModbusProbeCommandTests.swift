import Foundation
import Testing

let probeBinary = ProcessInfo.processInfo.environment["EDGE_AGENT_BINARY"]
    ?? ModbusSlaveProcess.packageRoot.appendingPathComponent(".build/debug/edge-agent").path

/// `edge-agent modbus read` against pymodbus over TCP: raw registers and every decoding side by
/// side, exception replies and bad options. Runs the built binary (EDGE_AGENT_BINARY, or the
/// debug build's path).
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: probeBinary)))
struct ModbusProbeCommandTests {
    static var binary: String { probeBinary }

    static func run(_ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func printsRawRegistersAndEveryDecoding() throws {
        let slave = try ModbusSlaveProcess(.tcp)
        defer { slave.stop() }
        let (status, output) = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:\(slave.port)", "--unit", "2",
                                             "--holding", "1102", "--count", "2"])
        #expect(status == 0, "\(output)")
        // int32 -123456789 in CDAB order at 1102 (pymodbus' encoding), read back in the CDAB row.
        #expect(output.contains("1102     0x32eb  13035   13035"), "\(output)")
        #expect(output.contains("CDAB   4171510507   -123456789"), "\(output)")
        let float = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:\(slave.port)", "--unit", "1",
                                  "--holding", "1114", "--count", "2"])
        #expect(float.output.contains("CDAB   1078984704   1078984704   3.25\n"), "\(float.output)")
        let coils = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:\(slave.port)", "--unit", "3", "--coils", "2", "--count", "2"])
        #expect(coils.output.hasSuffix("2        0\n3        1\n"), "\(coils.output)")
    }

    @Test func reportsExceptionsTimeoutsAndBadOptions() throws {
        let slave = try ModbusSlaveProcess(.tcp)
        defer { slave.stop() }
        let exception = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:\(slave.port)", "--unit", "1", "--input", "3000"])
        #expect(exception.status == 1)
        #expect(exception.output.contains("read failed: exception 2"))
        let dead = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:\(slave.port)", "--unit", "4", "--holding", "0", "--timeout", "200"])
        #expect(dead.status == 1)
        #expect(dead.output.contains("read failed: timeout"))
        let bad = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:\(slave.port)", "--unit", "1", "--holding", "0", "--count", "126"])
        #expect(bad.status == 2)
        #expect(bad.output.contains("--count must be 1...125 for holding"))
        let missing = try Self.run(["modbus", "read", "--port", "/nonexistent/tty", "--unit", "1", "--holding", "0"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("cannot open /nonexistent/tty 9600 8N1"))
    }
}
