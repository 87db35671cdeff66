import CShim
import EdgeCore
import FieldBus
import IEC104

/// `edge-agent iec104`: the IEC 60870-5-104 commissioning probe. `interrogate` connects to an
/// outstation, starts data transfer, sends a general (or counter) interrogation to one common
/// address and prints every value of the answer, one line each, until the activation termination;
/// `command` sends one single command (selected first with `--select`) and prints the
/// confirmation. The link is FieldBus's `IEC104Connection`, the one the agent's buses run.
enum IEC104Command {
    static let usage = """
        usage: edge-agent iec104 interrogate --host HOST [--port N] --ca N [--counters] [--timeout-ms N]
               edge-agent iec104 command --host HOST [--port N] --ca N --ioa N --single 0|1 [--select] [--timeout-ms N]
          interrogate: general interrogation (counter interrogation with --counters) of common address N;
                       prints each value: common address, IOA, type, value, quality, device time, cause
          command:     a single command (C_SC_NA_1) to IOA N, selected first with --select; prints the confirmation
          defaults: --port 2404 --timeout-ms 15000 (T0, T1, and the longest wait for the outstation's next frame)
          exit status: 0 done, 1 failed (the cause on stderr), 2 bad arguments

        """

    enum Action { case interrogate, command }

    struct Options {
        var action = Action.interrogate
        var host: String?
        var port: UInt16 = 2404
        var commonAddress: UInt16?
        var counters = false
        var timeout: UInt32 = 15_000
        var objectAddress: UInt32?
        var single: Bool?
        var select = false
    }

    typealias Message = ModbusCommand.Message

    static func run(_ arguments: [String]) -> Int32 {
        let action: Action
        switch arguments.first {
        case "interrogate": action = .interrogate
        case "command": action = .command
        default:
            if let first = arguments.first { StandardOutput.errorLine("edge-agent iec104: unknown subcommand '\(first)'") }
            StandardOutput.write(usage, fd: arguments.isEmpty ? 1 : 2)
            return arguments.isEmpty ? 0 : 2
        }
        switch parse(Array(arguments.dropFirst()), action: action) {
        case .failure(let message):
            StandardOutput.errorLine("edge-agent iec104: \(message.text)")
            StandardOutput.write(usage, fd: 2)
            return 2
        case .success(let options):
            return action == .interrogate ? interrogate(options) : command(options)
        }
    }

    static func parse(_ args: [String], action: Action) -> Result<Options, Message> {
        var o = Options()
        o.action = action
        var i = 0
        func value(_ name: String) -> Result<String, Message> {
            guard i + 1 < args.count else { return .failure(Message(text: "\(name) needs a value")) }
            i += 1
            return .success(args[i])
        }
        func number(_ name: String, _ range: ClosedRange<UInt32>) -> Result<UInt32, Message> {
            switch value(name) {
            case .failure(let m): return .failure(m)
            case .success(let text):
                guard let v = UInt32(text), range.contains(v) else {
                    return .failure(Message(text: "\(name): '\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)"))
                }
                return .success(v)
            }
        }
        while i < args.count {
            let arg = args[i]
            var problem: Message? = nil
            switch arg {
            case "--host":
                switch value(arg) {
                case .failure(let m): problem = m
                case .success(let text): o.host = text
                }
            case "--port":
                switch number(arg, 1...65535) {
                case .failure(let m): problem = m
                case .success(let v): o.port = UInt16(v)
                }
            case "--ca":
                // 0 is not used; 65535 is the broadcast address (all stations).
                switch number(arg, 1...65535) {
                case .failure(let m): problem = m
                case .success(let v): o.commonAddress = UInt16(v)
                }
            case "--timeout-ms":
                switch number(arg, 100...600_000) {
                case .failure(let m): problem = m
                case .success(let v): o.timeout = v
                }
            case "--counters" where action == .interrogate: o.counters = true
            case "--ioa" where action == .command:
                switch number(arg, 0...0xFF_FFFF) {
                case .failure(let m): problem = m
                case .success(let v): o.objectAddress = v
                }
            case "--single" where action == .command:
                switch value(arg) {
                case .failure(let m): problem = m
                case .success(let text):
                    if text == "0" || text == "1" { o.single = text == "1" } else {
                        problem = Message(text: "--single: '\(text)' is not 0 (off) or 1 (on)")
                    }
                }
            case "--select" where action == .command: o.select = true
            default:
                return .failure(Message(text: "unknown option '\(arg)'"))
            }
            if let problem { return .failure(problem) }
            i += 1
        }
        guard let host = o.host, !host.isEmpty else { return .failure(Message(text: "give --host (the outstation's name or address)")) }
        guard o.commonAddress != nil else { return .failure(Message(text: "give --ca (the station's common address, 1...65535)")) }
        if action == .command {
            guard o.objectAddress != nil else { return .failure(Message(text: "give --ioa (the command's information object address)")) }
            guard o.single != nil else { return .failure(Message(text: "give --single 0|1 (the command's state)")) }
        }
        return .success(o)
    }

    /// The link's parameters for the probe: the station, T0 = T1 = the timeout, no interrogation
    /// of its own (the probe asks for the one it wants).
    static func parameters(_ o: Options) -> LinkParameters {
        var p = LinkParameters()
        p.commonAddress = o.commonAddress ?? 1
        p.interrogateAtStart = false
        p.t0Milliseconds = UInt64(o.timeout)
        p.t1Milliseconds = UInt64(o.timeout)
        p.t2Milliseconds = min(10_000, UInt64(o.timeout) / 2)
        p.t3Milliseconds = max(20_000, UInt64(o.timeout) + 1)
        return p
    }

    /// Connects and starts data transfer; on failure says why on stderr.
    static func start(_ connection: inout IEC104Connection, _ receiver: IEC104ProbeReceiver, _ o: Options) -> Bool {
        do throws(ModbusError) {
            try connection.start(into: receiver)
            return true
        } catch {
            fail(connection, o, doing: "cannot start the link")
            return false
        }
    }

    static func fail(_ connection: borrowing IEC104Connection, _ o: Options, doing what: String) {
        var cause = connection.lastFailure?.description ?? "the link closed"
        switch connection.lastFailure {
        case .connectTimeout?: cause += " (T0 = \(o.timeout) ms)"
        case .acknowledgementTimeout?: cause += " (T1 = \(o.timeout) ms)"
        default: break
        }
        StandardOutput.errorLine("edge-agent iec104: \(what) with \(connection.host):\(connection.port): \(cause)")
    }

    /// Runs the link until `done` or until nothing arrived for the timeout; false (said on
    /// stderr) when the link failed or the outstation fell silent.
    static func waitFor(_ connection: inout IEC104Connection, _ receiver: IEC104ProbeReceiver, _ o: Options, what: String,
                      until done: () -> Bool) -> Bool {
        var heard = receiver.events
        var silentSince = edge_monotonic_ns()
        while !done() {
            do throws(ModbusError) {
                try connection.service(untilMilliseconds: 100, stopWhenStarted: false, into: receiver)
            } catch {
                fail(connection, o, doing: what)
                return false
            }
            let now = edge_monotonic_ns()
            if receiver.events != heard {
                heard = receiver.events
                silentSince = now
            } else if now - silentSince >= UInt64(o.timeout) * 1_000_000 {
                StandardOutput.errorLine("edge-agent iec104: \(what) with \(connection.host):\(connection.port): nothing more from the outstation within \(o.timeout) ms")
                connection.drop(nil)
                return false
            }
        }
        return true
    }

    static func interrogate(_ o: Options) -> Int32 {
        let ca = o.commonAddress ?? 1
        let type: TypeIdentification = o.counters ? .counterInterrogation : .interrogation
        let what = o.counters ? "counter interrogation" : "general interrogation"
        var connection = IEC104Connection(host: o.host ?? "", port: o.port, parameters: parameters(o))
        let receiver = IEC104ProbeReceiver(awaiting: type, commonAddress: ca, objectAddress: 0)
        guard start(&connection, receiver, o) else { return 1 }
        StandardOutput.line("\(connection.host):\(connection.port) started; \(what) of common address \(ca)")
        if o.counters { connection.requestCounterInterrogation() } else { connection.requestInterrogation() }
        let ended = waitFor(&connection, receiver, o, what: what) { receiver.refusal != nil || receiver.terminated }
        guard ended else { return 1 }
        connection.stop(into: receiver)
        if let refusal = receiver.refusal {
            StandardOutput.errorLine("edge-agent iec104: common address \(ca) refused the \(what): \(IEC104ProbeReceiver.words(refusal))")
            return 1
        }
        StandardOutput.line("\(what) of common address \(ca) terminated: \(receiver.values) value\(receiver.values == 1 ? "" : "s")")
        return 0
    }

    static func command(_ o: Options) -> Int32 {
        let ca = o.commonAddress ?? 1
        let ioa = o.objectAddress ?? 0
        let on = o.single ?? false
        var connection = IEC104Connection(host: o.host ?? "", port: o.port, parameters: parameters(o))
        let receiver = IEC104ProbeReceiver(awaiting: .singleCommand, commonAddress: ca, objectAddress: ioa)
        guard start(&connection, receiver, o) else { return 1 }
        StandardOutput.line("\(connection.host):\(connection.port) started; single command \(on ? 1 : 0) to common address \(ca), IOA \(ioa)")
        for select in o.select ? [true, false] : [false] {
            let step = select ? "select" : "execute"
            receiver.confirmation = nil
            receiver.refusal = nil
            do throws(IEC104Error) {
                try connection.send(.single(on, select: select), commonAddress: ca, address: ioa)
            } catch {
                StandardOutput.errorLine("edge-agent iec104: cannot send the \(step): \(error.text)")
                connection.stop(into: receiver)
                return 1
            }
            guard waitFor(&connection, receiver, o, what: "single command (\(step))",
                        until: { receiver.refusal != nil || receiver.confirmation != nil }) else { return 1 }
            if let refusal = receiver.refusal {
                connection.stop(into: receiver)
                StandardOutput.errorLine("edge-agent iec104: common address \(ca), IOA \(ioa) refused the \(step): \(IEC104ProbeReceiver.words(refusal))")
                return 1
            }
            StandardOutput.line("\(step): positive confirmation (\(Cause.text(receiver.confirmation?.causeCode ?? 7)))")
        }
        // The outstation may end the command with an activation termination; give it a moment.
        _ = waitFor(&connection, receiver, IEC104Command.Options(timeout: 100), what: "single command") { receiver.terminated }
        if receiver.terminated { StandardOutput.line("execute: activation termination") }
        connection.stop(into: receiver)
        return 0
    }
}

/// What the probe hears: prints each value as it comes, and keeps the answer (confirmation,
/// refusal, termination) to the one request the probe sent.
final class IEC104ProbeReceiver: IEC104EventReceiver {
    let awaiting: TypeIdentification
    let commonAddress: UInt16
    let objectAddress: UInt32
    var events = 0
    var values = 0
    var confirmation: ControlResponse?
    var refusal: ControlResponse?
    var terminated = false

    init(awaiting: TypeIdentification, commonAddress: UInt16, objectAddress: UInt32) {
        self.awaiting = awaiting
        self.commonAddress = commonAddress
        self.objectAddress = objectAddress
    }

    var hasRoom: Bool { true }

    func handle(_ event: LinkEvent, now: WallTime) {
        events += 1
        switch event {
        case .data(let p):
            values += 1
            StandardOutput.line(Self.line(p))
        case .response(let r):
            guard r.type == awaiting, r.address == objectAddress,
                  r.commonAddress == commonAddress || commonAddress == 0xFFFF else { return }
            if r.isRefused {
                if refusal == nil { refusal = r }
            } else if r.causeCode == Cause.activationTermination.rawValue {
                terminated = true
            } else if r.causeCode == Cause.activationConfirmation.rawValue {
                confirmation = r
            }
        case .endOfInitialisation(let ca):
            StandardOutput.line("common address \(ca): end of initialisation (M_EI_NA_1)")
        case .rejected(let error, let typeCode):
            StandardOutput.errorLine("edge-agent iec104: skipped an ASDU of type \(typeCode): \(error.text)")
        case .started, .stopped:
            break
        }
    }

    /// "ca 47 ioa 15 M_ME_TF_1 -1.5 quality good time 2026-01-01T00:00:00.250Z cause interrogated".
    static func line(_ p: DataPoint) -> String {
        var text = "ca \(p.commonAddress) ioa \(p.address) \(p.type.mnemonic) \(value(p.value)) quality \(p.quality.words)"
        if let time = p.time {
            text += " time " + utc(time.milliseconds)
            if time.invalid { text += " (IV: time invalid)" }
            if time.summerTime { text += " (SU)" }
        }
        return text + " cause " + Cause.text(p.causeCode)
    }

    static func value(_ v: ElementValue) -> String {
        switch v {
        case .single(let on): return on ? "on" : "off"
        case .double(let state):
            switch state {
            case .off: return "off"
            case .on: return "on"
            case .intermediate: return "intermediate"
            case .indeterminate: return "indeterminate"
            }
        case .normalized(let f), .float(let f): return number { $0.write(shortest: Double(f)) }
        case .scaled(let s): return "\(s)"
        case .counter(let c, let sequence): return "\(c) (sequence \(sequence))"
        case .none: return "-"
        }
    }

    static func utc(_ milliseconds: Int64) -> String { number { $0.write(utc: WallTime(milliseconds: milliseconds)) } }

    static func number(_ body: (inout TextWriter) -> Void) -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { buffer.deallocate() }
        var out = TextWriter(buffer: buffer)
        body(&out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// A refusal in words: "negative activation confirmation (P/N set, COT 7)", "unknown object
    /// address (COT 47)".
    static func words(_ r: ControlResponse) -> String {
        r.negative ? "negative \(Cause.text(r.causeCode)) (P/N set, COT \(r.causeCode))" : "\(Cause.text(r.causeCode)) (COT \(r.causeCode))"
    }
}
