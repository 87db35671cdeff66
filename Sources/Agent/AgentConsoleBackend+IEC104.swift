import Console
import EdgeCore
import FieldBus
import IEC104

/// What the console says of an IEC 104 bus and station in the protocol's words. `buses`: the
/// link's figures (whether it is started, its starts and losses, I frames received and sent, S
/// frames and TESTFR sent, values decoded, ASDUs rejected, unknown types, values for unconfigured
/// addresses and values dropped), and the generic transaction counters named for what they are
/// on a push protocol: a "request" is one turn of servicing the link (connect and STARTDT when it
/// is down, then receive for the response timeout), a timeout is T0 or T1, another error a link
/// or socket failure. `read DEVICE POINT` shows the latest value the station sent (it pushes its
/// values: there is no poll to wait for); register reads are refused in words.
extension AgentConsoleBackend {
    func writeIEC104Transactions(_ s: BusStatistics, into out: inout TextWriter) {
        let t = s.transactions
        out.write(", link turns ")
        out.write(t.requests)
        out.write(" (")
        out.write(t.responses)
        out.write(" kept the link up), T0/T1 timeouts ")
        out.write(t.timeouts)
        out.write(", link or socket failures ")
        out.write(t.otherErrors &+ t.crcErrors &+ t.exceptions)
        out.newline()
    }

    func writeIEC104Link(_ f: IEC104BusStatistics, into out: inout TextWriter) {
        out.write(f.started ? "  link started" : "  link NOT started")
        out.write(", starts ")
        out.write(f.starts)
        out.write(", losses ")
        out.write(f.losses)
        out.write(" (closed on a timeout or protocol error ")
        out.write(f.link.closes)
        out.write(")")
        out.newline()
        out.write("  I frames received ")
        out.write(f.link.informationFramesReceived)
        out.write(", I frames sent ")
        out.write(f.link.informationFramesSent)
        out.write(", S frames sent ")
        out.write(f.link.supervisoryFramesSent)
        out.write(", TESTFR sent ")
        out.write(f.link.testFramesSent)
        out.newline()
        out.write("  values decoded ")
        out.write(f.link.pointsDecoded)
        out.write(", unconfigured values ")
        out.write(f.unconfiguredValues)
        out.write(", dropped values ")
        out.write(f.droppedValues)
        out.write(", ASDUs rejected ")
        out.write(f.link.asdusRejected)
        out.write(", unknown types ")
        out.write(f.link.unknownTypes)
        out.newline()
    }

    func isIEC104(device d: Int) -> Bool {
        !fieldBus.devices[d].isVirtual && fieldBus.buses[fieldBus.devices[d].bus].fieldProtocol == .iec104
    }

    /// `read` of an IEC 104 station: a point's latest value at once; registers refused.
    mutating func iec104Read(_ d: Int, _ arguments: ConsoleArguments, _ out: inout TextWriter) -> ConsoleReply {
        if Self.table(arguments[1]) != nil {
            out.line("an IEC 104 station has no registers: read DEVICE POINT (the latest value it sent)")
            return .usage
        }
        guard let p = pointIndex(d, arguments.dropping(1), writing: false, &out) else { return .done }
        if snapshot.devices.latest(device: d, point: p) == nil {
            out.line("nothing received for this point yet (the station sends its values: at interrogation and on change)")
        }
        writePoint(device: d, point: p, fieldBus: fieldBus, now: clock.wallNow().milliseconds, into: &out)
        return .done
    }
}
