import Console
import EdgeCompute
import EdgeCore
import FieldBus

/// `trace DEVICE POINT`: the loop watches the point (`PointComputation.watch`, through the
/// command port) and records each step in a fixed ring; each turn the console shows the steps
/// that arrived since, one line each: time, the register words of a polled Modbus point (as
/// received, `BusScheduler.watch`), the polled value (and the raw one before `scale` and `offset`), the scale factor, the formula's result, the window, and whether it was reported or
/// suppressed and why. Ctrl-C stops the watch.
extension AgentConsoleBackend {
    mutating func trace(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply {
        guard let d = deviceIndex(arguments[0], &out) else { return .done }
        guard let p = pointIndex(d, arguments.dropping(1), writing: false, &out) else { return .done }
        guard port.submit(.trace(device: d, point: p)) else {
            out.line("the agent is busy with other console requests; try again")
            return .done
        }
        state.pending = .trace(device: d, point: p, seen: 0)
        state.pendingDeadline = nil
        out.write("tracing ")
        writeName(d, p, &out)
        out.line(" (Ctrl-C ends): each sample, registers -> decoded -> scaled -> formula -> window -> reported or suppressed")
        return .pending
    }

    /// Stops the loop's watch when a trace is pending (Ctrl-C, hangup).
    func stopTrace() {
        guard case .trace = state.pending else { return }
        _ = port.submit(.trace(device: -1, point: -1))
    }

    /// True when the snapshot holds steps of the traced point not shown yet.
    var hasTraceSteps: Bool {
        guard case .trace(let d, let p, let seen) = state.pending, isTraced(d, p) else { return false }
        return snapshot.trace.written > seen
    }

    func isTraced(_ d: Int, _ p: Int) -> Bool {
        var offset = 0
        var i = 0
        while i < d {
            offset += fieldBus.templates[fieldBus.devices[i].template].points.count
            i += 1
        }
        return snapshot.trace.slot == offset + p
    }

    /// The steps that arrived since the last call, one line each.
    mutating func writeTraceSteps(into out: inout TextWriter) {
        guard case .trace(let d, let p, var seen) = state.pending else { return }
        let written = snapshot.trace.written
        if written - seen > UInt64(PointTrace.capacity) {
            out.write("... ")
            out.write(written - seen - UInt64(PointTrace.capacity))
            out.line(" steps not shown (too fast)")
            seen = written - UInt64(PointTrace.capacity)
        }
        while seen < written {
            if let entry = snapshot.trace.entry(seen) { writeStep(entry, d, p, &out) }
            seen += 1
        }
        state.pending = .trace(device: d, point: p, seen: seen)
    }

    func writeName(_ d: Int, _ p: Int, _ out: inout TextWriter) {
        out.write(fieldBus.devices[d].name)
        out.write(".")
        out.write(fieldBus.templates[fieldBus.devices[d].template].points[p].identifier)
    }

    /// `12:00:05.000Z inv1.W registers 0x3034 -> decoded 1234 (raw 12340) -> reported: changed beyond the deadband`.
    func writeStep(_ e: PointTraceEntry, _ d: Int, _ p: Int, _ out: inout TextWriter) {
        let point = fieldBus.templates[fieldBus.devices[d].template].points[p]
        out.write(utc: WallTime(milliseconds: e.time))
        out.write(" ")
        writeName(d, p, &out)
        writeRegisters(e.raw, of: point, &out)
        switch e.stage {
        case .polled:
            out.write(" decoded ")
            out.write(shortest: e.value)
            if !point.isUnscaled && e.quality.isGood {
                out.write(" (raw ")
                out.write(shortest: (e.value - point.offset) / point.scale)
                out.write(")")
            }
        case .scaled:
            out.write(" decoded ")
            out.write(shortest: e.input)
            out.write(" -> scaled by @")
            out.write(point.scalePoint ?? "")
            out.write(" ")
            out.write(shortest: e.value)
        case .derived, .windowInput:
            out.write(" formula ")
            out.write(point.formula ?? "")
            out.write(" = ")
            out.write(shortest: e.value)
        case .window:
            out.write(" window from its start: ")
            out.write(point.window.map { Self.aggregateName($0.operation) } ?? "")
            out.write(" ")
            out.write(shortest: e.value)
        }
        if !e.quality.isGood {
            out.write(" ")
            Self.writeQuality(e.quality, into: &out)
        }
        if e.stage == .windowInput {
            out.line(" -> kept in the open window")
            return
        }
        out.write(e.reported ? " -> reported" : " -> suppressed")
        if let decision = e.decision {
            out.write(": ")
            switch decision {
            case .report(let reason), .suppress(let reason): out.write(reason.name)
            }
        }
        out.newline()
    }

    /// ` registers 0x4348 0x0000 ->`: the words as received; `...` when the point has more than
    /// a sample carries (a string). Nothing when there are none.
    func writeRegisters(_ raw: RawWords, of point: PointDefinition, _ out: inout TextWriter) {
        guard raw.count > 0 else { return }
        out.write(" registers")
        var i = 0
        while i < Int(raw.count) {
            out.write(" 0x")
            out.write(hex: UInt64(raw[i]), width: 4)
            i += 1
        }
        if point.dataType.registerCount > UInt16(raw.count) { out.write(" ...") }
        out.write(" ->")
    }

    static func aggregateName(_ operation: WindowOperator) -> StaticString {
        switch operation {
        case .average: return "avg"
        case .minimum: return "min"
        case .maximum: return "max"
        case .sum: return "sum"
        case .first: return "first"
        case .last: return "last"
        case .delta: return "delta"
        case .rate: return "rate"
        case .integral: return "integral"
        }
    }
}
