import Foundation
import Testing
import TestSupport

let probeBinary = ChildProcess.agentBinary

/// `edge-agent modbus read` against pymodbus over TCP: raw registers and every decoding side by
/// side, exception replies and bad options. Runs the built binary (EDGE_AGENT_BINARY, or the
/// debug build's path).
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: probeBinary)))
struct ModbusProbeCommandTests {
    static var binary: String { probeBinary }

    static func run(_ args: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.run(binary, args)
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

    @Test func refusesNonStandardSerialSettingsWithTheReason() throws {
        let baud = try Self.run(["modbus", "read", "--port", "/nonexistent/tty", "--baud", "7", "--unit", "1", "--holding", "0"])
        #expect(baud.status == 2, "\(baud.output)")
        #expect(baud.output.contains("--baud: 7 is not a standard baud rate; use one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400"),
                "\(baud.output)")
        let stop = try Self.run(["modbus", "read", "--port", "/nonexistent/tty", "--stop-bits", "3", "--unit", "1", "--holding", "0"])
        #expect(stop.status == 2 && stop.output.contains("--stop-bits must be 1 or 2"), "\(stop.output)")
        let broadcast = try Self.run(["modbus", "read", "--port", "/nonexistent/tty", "--unit", "0", "--holding", "0"])
        #expect(broadcast.status == 2 && broadcast.output.contains("--unit must be 1...247 on a serial line"), "\(broadcast.output)")
        let unit = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:502", "--unit", "300", "--holding", "0"])
        #expect(unit.status == 2 && unit.output.contains("--unit: '300' is not a whole number from 0 to 255"), "\(unit.output)")
        let serialOverTCP = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:502", "--baud", "9600", "--unit", "1", "--holding", "0"])
        #expect(serialOverTCP.status == 2 && serialOverTCP.output.contains("--baud applies to a serial line (--port), not to --tcp"),
                "\(serialOverTCP.output)")
        let timeout = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:502", "--unit", "1", "--holding", "0", "--timeout", "0"])
        #expect(timeout.status == 2 && timeout.output.contains("--timeout must be 1...60000 ms"), "\(timeout.output)")
    }

    @Test func namesExceptionsAndLibmodbusErrorsInWords() throws {
        let slave = try ModbusSlaveProcess(.tcp)
        defer { slave.stop() }
        let exception = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:\(slave.port)", "--unit", "1", "--holding", "2500"])
        #expect(exception.status == 1)
        #expect(exception.output.contains("read failed: exception 2 (illegal data address)"), "\(exception.output)")
        // Unit 8 answers with another transaction id: libmodbus' EMBBADDATA, in words, not its number.
        let garbled = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:\(slave.port)", "--unit", "8", "--holding", "0", "--timeout", "500"])
        #expect(garbled.status == 1)
        #expect(garbled.output.contains("read failed: invalid response: the reply does not match the request"), "\(garbled.output)")
        #expect(!garbled.output.contains("11234"), "a raw libmodbus errno: \(garbled.output)")
    }

    @Test func tellsAnUnknownHostFromARefusedConnection() throws {
        // A bound socket that does not listen: connections to its port are refused.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        let port = UInt16(bigEndian: address.sin_port)
        let refused = try Self.run(["modbus", "read", "--tcp", "127.0.0.1:\(port)", "--unit", "1", "--holding", "0"])
        #expect(refused.status == 1)
        #expect(refused.output.contains("cannot connect to 127.0.0.1:\(port): connection refused"), "\(refused.output)")
        let unknown = try Self.run(["modbus", "read", "--tcp", "no-such-host.invalid:502", "--unit", "1", "--holding", "0"])
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("cannot resolve host name 'no-such-host.invalid'"), "\(unknown.output)")
        #expect(!unknown.output.contains("refused"), "\(unknown.output)")
    }
}
