import CShim
import Console
import EdgeCore
import Logging

/// A backend that answers from fixed text and records what it was asked.
struct FakeBackend: ConsoleBackend {
    var calls: [String] = []
    var record = true
    var pendingReads = false
    var cancelled = 0
    var configText: StaticString = "cloud.productKey: pk1\ncloud.deviceSecret: s3cr3t-device-key\n"

    mutating func note(_ s: @autoclosure () -> String) { if record { calls.append(s()) } }

    mutating func status(into out: inout TextWriter) -> ConsoleReply {
        out.write("uplink: connected\nring log: ")
        out.write(1234)
        out.write(" records, ")
        out.write(0)
        out.write(" dropped\n")
        return .done
    }

    mutating func points(device: ConsoleToken?, into out: inout TextWriter) -> ConsoleReply {
        note("points " + (device?.string ?? "-"))
        if let device, !device.equals("meter1") {
            out.write("no device '")
            out.write(bytes: device.bytes)
            out.line("'")
            return .done
        }
        out.line("meter1.voltage  230.5 good 2s")
        return .done
    }

    mutating func read(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply {
        note("read " + arguments[0].string + " " + arguments[1].string)
        if pendingReads {
            out.line("reading...")
            return .pending
        }
        return .usage
    }

    mutating func write(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply {
        note("write " + arguments[0].string + " " + arguments[1].string + " " + arguments[2].string)
        guard arguments[2].number != nil else {
            out.line("not a number")
            return .usage
        }
        out.line("written")
        return .done
    }

    mutating func config(into out: inout TextWriter) -> ConsoleReply {
        out.write(configText)
        return .done
    }

    mutating func otaInstall(url: ConsoleToken, into out: inout TextWriter) -> ConsoleReply {
        note("ota install " + url.string)
        out.line("upgrade started")
        return .done
    }

    mutating func cancelPending() { cancelled += 1 }
}

/// Two pipes around a session: the test types into one and reads the console's output from the
/// other. `terminal: true` makes the session behave as on a tty (echo, CR LF).
final class PipeConsole {
    let typeEnd: Int32      // the test writes keystrokes here
    let screenEnd: Int32    // the test reads output here
    var session: ConsoleSession<ManualClock>
    let clock: ManualClock
    var backend = FakeBackend()

    init(options: ConsoleOptions = ConsoleOptions(), terminal: Bool = true, clock: ManualClock = ManualClock(),
         secrets: SecretRegistry? = nil, history: LogHistory? = nil, logger: Logger? = nil) {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        _ = edge_pipe_nonblocking(&input)
        _ = edge_pipe_nonblocking(&output)
        typeEnd = input[1]
        screenEnd = output[0]
        self.clock = clock
        let t = ConsoleTerminal(input: input[0], output: output[1], isTerminal: terminal, echoes: terminal, owning: true)
        session = ConsoleSession(terminal: t, options: options, clock: clock, secrets: secrets, history: history, logger: logger)
        session.flush()
    }

    deinit {
        _ = close(typeEnd)
        _ = close(screenEnd)
    }

    /// Types bytes and lets the session handle them; returns everything shown since last time.
    @discardableResult
    func type(_ text: String) -> String {
        typeBytes(Array(text.utf8))
    }

    @discardableResult
    func typeBytes(_ bytes: [UInt8]) -> String {
        if !bytes.isEmpty {
            _ = bytes.withUnsafeBytes { write(typeEnd, $0.baseAddress, $0.count) }
        }
        pump()
        return screen()
    }

    /// Runs the session once without waiting.
    func pump() {
        session.step(timeoutMilliseconds: 0, backend: &backend)
        session.flush()
    }

    /// Output waiting on the screen side (CR removed).
    func screen() -> String {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(screenEnd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            all += chunk[0..<n]
        }
        return String(decoding: all.filter { $0 != 0x0D }, as: UTF8.self)
    }

    /// Raw output bytes (with CRs).
    func rawScreen() -> [UInt8] {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(screenEnd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            all += chunk[0..<n]
        }
        return all
    }
}
