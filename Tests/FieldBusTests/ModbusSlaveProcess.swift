import Foundation
import Testing

/// A pymodbus test slave (Tools/modbus_test_slave.py) on a socat pseudo-terminal pair (RTU) or a
/// loopback TCP port, started for one test and stopped with it.
final class ModbusSlaveProcess {
    enum Link: String, CaseIterable, CustomTestStringConvertible {
        case rtu, tcp
        var testDescription: String { rawValue }
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    let link: Link
    /// The master's side: the pty path (RTU) or the TCP port.
    private(set) var devicePath = ""
    private(set) var port: UInt16 = 0
    private var socat: Process?
    private var links: [String] = []
    private var slave: Process?

    init(_ link: Link) throws {
        self.link = link
        let script = Self.packageRoot.appendingPathComponent("Tools/modbus_test_slave.py").path
        var arguments: [String]
        switch link {
        case .rtu:
            let base = NSTemporaryDirectory() + "fieldbus-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let socat = Process()
            socat.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
            socat.arguments = ["pty,raw,echo=0,link=\(base)-master", "pty,raw,echo=0,link=\(base)-slave"]
            socat.standardError = FileHandle.nullDevice
            socat.standardOutput = FileHandle.nullDevice
            try socat.run()
            self.socat = socat
            let deadline = Date().addingTimeInterval(5)
            while !(FileManager.default.fileExists(atPath: base + "-master") && FileManager.default.fileExists(atPath: base + "-slave")) {
                guard Date() < deadline else { throw SlaveError.notReady("socat pty pair") }
                usleep(10_000)
            }
            links = [base + "-master", base + "-slave"]
            devicePath = base + "-master"
            arguments = [script, "--rtu", base + "-slave"]
        case .tcp:
            port = UInt16.random(in: 20000...45000)
            arguments = [script, "--tcp", "\(port)"]
        }
        let slave = Process()
        slave.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // EDGE_PYTHON names the interpreter that has pymodbus (default: python3 on PATH).
        slave.arguments = [ProcessInfo.processInfo.environment["EDGE_PYTHON"] ?? "python3"] + arguments
        let output = Pipe()
        slave.standardOutput = output
        let errorLog = NSTemporaryDirectory() + "fieldbus-slave-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
        links.append(errorLog)
        slave.standardError = FileHandle(forWritingAtPath: errorLog)
        try slave.run()
        self.slave = slave
        // Wait for READY (at most 10 s), without blocking on the pipe.
        let fd = output.fileHandleForReading.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let deadline = Date().addingTimeInterval(10)
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 256)
        while !text.contains("READY") {
            guard Date() < deadline, slave.isRunning else {
                let log = (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? ""
                stop()
                throw SlaveError.notReady("pymodbus slave did not start: \(log.suffix(800))")
            }
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { text += String(decoding: buffer[0..<n], as: UTF8.self) } else { usleep(10_000) }
        }
    }

    enum SlaveError: Error { case notReady(String) }

    func stop() {
        for p in [slave, socat] {
            // SIGKILL: Swift Testing's worker threads block SIGTERM, and children inherit that.
            if let p, p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
            }
        }
        slave = nil
        socat = nil
        // socat removes its links on a clean exit, not after SIGKILL; the slave's stderr log goes too.
        for link in links { try? FileManager.default.removeItem(atPath: link) }
        links = []
    }

    deinit { stop() }
}
