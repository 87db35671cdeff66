import Foundation
import Testing

/// The DL/T 645 meter emulator (Tools/dlt645_test_meter.py, written from the standard, not from
/// our codec) on a socat pseudo-terminal pair, started for one test and stopped with it. Its
/// stdout lines ("READ <address> <DI>", "TIMESYNC …") are collected for the test to wait on.
final class DLT645MeterProcess: @unchecked Sendable { // output is guarded by `lock`
    private(set) var devicePath = ""
    private var socat: Process?
    private var meter: Process?
    private var links: [String] = []
    private let lock = NSLock()
    private var output = ""

    /// `meters`: "000012345678" or "000012345678:fault" (see the emulator's usage).
    init(meters: [String]) throws {
        let base = NSTemporaryDirectory() + "dlt645-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let socat = Process()
        socat.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        socat.arguments = ["pty,raw,echo=0,link=\(base)-master", "pty,raw,echo=0,link=\(base)-meter"]
        socat.standardError = FileHandle.nullDevice
        socat.standardOutput = FileHandle.nullDevice
        try socat.run()
        self.socat = socat
        links = [base + "-master", base + "-meter"]
        let deadline = Date().addingTimeInterval(5)
        while !(FileManager.default.fileExists(atPath: base + "-master") && FileManager.default.fileExists(atPath: base + "-meter")) {
            guard Date() < deadline else { stop(); throw MeterError.notReady("socat pty pair") }
            usleep(10_000)
        }
        devicePath = base + "-master"
        let script = ModbusSlaveProcess.packageRoot.appendingPathComponent("Tools/dlt645_test_meter.py").path
        let meter = Process()
        meter.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        meter.arguments = ["python3", script, base + "-meter"] + meters.flatMap { ["--meter", $0] }
        let pipe = Pipe()
        meter.standardOutput = pipe
        meter.standardError = FileHandle.standardError
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.output += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
        try meter.run()
        self.meter = meter
        guard waitFor({ $0.contains("READY") }, seconds: 10) else {
            stop()
            throw MeterError.notReady("dlt645 meter emulator did not start")
        }
    }

    enum MeterError: Error { case notReady(String) }

    /// What the emulator printed so far.
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return output.split(separator: "\n").map(String.init)
    }

    /// Waits (polling the collected output) until `condition` holds, at most `seconds`.
    func waitFor(_ condition: (String) -> Bool, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            lock.lock()
            let text = output
            lock.unlock()
            if condition(text) { return true }
            usleep(5_000)
        }
        return false
    }

    func stop() {
        for p in [meter, socat] {
            if let p, p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
            }
        }
        meter = nil
        socat = nil
        for link in links { try? FileManager.default.removeItem(atPath: link) }
        links = []
    }

    deinit { stop() }
}
