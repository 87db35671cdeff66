import CloudLink
import Console
import EdgeAlarms
import EdgeCore

extension AgentConsoleBackend {
    /// The `status` line of the alarms: raised now, per level, most serious first.
    func writeAlarmCounts(_ s: GatewayStatus, into out: inout TextWriter) {
        var total = 0
        var i = 0
        while i < 5 {
            total += s.alarmsRaised[i]
            i += 1
        }
        out.write("alarms: ")
        out.write(total)
        out.write(" raised (")
        out.write(s.alarmsRaised[4])
        out.write(" critical, ")
        out.write(s.alarmsRaised[3])
        out.write(" major, ")
        out.write(s.alarmsRaised[2])
        out.write(" minor, ")
        out.write(s.alarmsRaised[1])
        out.write(" warning, ")
        out.write(s.alarmsRaised[0])
        out.write(" info) of ")
        out.write(s.alarmRules)
        out.write(" rules")
        out.newline()
    }

    /// `alarms`: every rule raised now (state, level, since when), then those with a raise or a
    /// clear since start, each with its last transition's time and message (the values then).
    mutating func alarms(into out: inout TextWriter) -> ConsoleReply {
        let table = snapshot.alarms
        guard table.count > 0 else {
            out.line("no alarm rules configured (the `alarms` section)")
            return .done
        }
        let now = clock.wallNow().milliseconds
        var shown = 0
        var pass = 0
        while pass < 2 {
            var r = 0
            while r < table.count {
                let raised = table.raisedAt(r) != nil
                let had = table.withLastTransition(r) { _ in true } ?? false
                if (pass == 0 && raised) || (pass == 1 && !raised && had) {
                    writeAlarm(table, r, now: now, into: &out)
                    shown += 1
                }
                r += 1
            }
            pass += 1
        }
        if shown == 0 { out.line("no alarm raised or cleared since start") }
        out.write(table.count)
        out.write(" rules")
        out.newline()
        return .done
    }

    func writeAlarm(_ table: AlarmConsoleTable, _ r: Int, now: Int64, into out: inout TextWriter) {
        let rules = table.rules
        let rule = rules.rules[r]
        rules.withBytes(rule.identifier) { out.write(bytes: $0) }
        out.write(" [")
        out.write(rule.level.name)
        out.write("] ")
        out.write(table.state(r).name)
        if let at = table.raisedAt(r) {
            out.write(", RAISED ")
            out.write(durationMilliseconds: UInt64(max(0, now &- at)))
            out.write(" ago")
        }
        _ = table.withLastTransition(r) { record in
            out.write(record.kind == .raise ? "; last raise " : "; last clear ")
            out.write(durationMilliseconds: UInt64(max(0, now &- record.timeMilliseconds)))
            out.write(" ago (")
            out.write(record.timeMilliseconds)
            out.write(" ms)")
            withUnsafeTemporaryAllocation(byteCount: AlarmMessage.maximumBytes, alignment: 1) { scratch in
                let n = AlarmMessage.render(rule: rule, rules: rules, record: record, into: scratch)
                if n > 0 {
                    out.write(": ")
                    out.write(bytes: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                }
            }
            var k = 0
            while k < record.valueCount {
                out.write(k == 0 ? " values " : ", ")
                let (value, good) = record.value(k)
                if good { out.write(shortest: value) } else { out.write("n/a") }
                k += 1
            }
            return true
        }
        out.newline()
    }
}
