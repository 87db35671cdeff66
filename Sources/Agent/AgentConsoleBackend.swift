import Console
import EdgeCompute
import EdgeCore
import FieldBus
import RingLog
import Synchronization
import CloudLink
import Configuration
import StoreForward

/// The console's view of the running agent for one `AgentConsole.serve`: answers the commands
/// from the figures the loop copied out (`AgentSnapshot`) and starts the ones answered later,
/// through requests the loop answers (`AgentCommandPort`). It never sees the loop itself.
struct AgentConsoleBackend<Clock: EdgeClock>: ConsoleBackend {
    let snapshot: AgentSnapshot
    let port: AgentCommandPort
    let state: AgentConsoleState
    let clock: Clock

    /// How long `read` waits for the point's next sample (beyond its poll interval).
    static var readGraceMilliseconds: UInt64 { 5_000 }
    /// How long `write` waits for the bus worker's result.
    static var writeTimeoutMilliseconds: UInt64 { 10_000 }
    /// How long `buses`/`devices` wait for fresh statistics before showing the last ones.
    static var statisticsTimeoutMilliseconds: UInt64 { 2_000 }
    /// How long an `ota …` command waits for the OTA code's answer.
    static var otaAnswerMilliseconds: UInt64 { 5_000 }

    var fieldBus: FieldBusConfiguration { snapshot.fieldBus }

    // MARK: status, mqtt, config

    mutating func status(into out: inout TextWriter) -> ConsoleReply {
        let s = snapshot.status
        out.write("edge-agent ")
        out.write(s.firmwareVersion.isEmpty ? "(unversioned)" : s.firmwareVersion)
        if !s.firmwareSlot.isEmpty {
            out.write(", slot ")
            out.write(s.firmwareSlot)
        }
        out.write(", up ")
        out.write(durationMilliseconds: s.uptimeSeconds * 1000)
        out.newline()
        out.write("config: ")
        out.write(s.configVersion.isEmpty ? "(unversioned)" : s.configVersion)
        out.write(", sha256 ")
        out.write(s.configHash)
        out.newline()
        out.write("uplink: ")
        out.write(s.uplinkConnected ? "connected" : "NOT connected")
        out.write(" (")
        out.write(snapshot.cloudHost)
        out.write(":")
        out.write(snapshot.cloudPort)
        out.write(snapshot.cloudUsesTLS ? ", tls)" : ", tcp)")
        out.newline()
        out.write("buses: ")
        out.write(fieldBus.buses.count)
        out.write(", busiest ")
        out.write(Double(s.busUtilizationPPM) / 10_000, fractionDigits: 1)
        out.write("% utilized")
        out.newline()
        out.write("devices: ")
        out.write(s.devicesOnline)
        out.write("/")
        out.write(s.devicesTotal)
        out.write(" online")
        out.newline()
        out.write("sub-devices: ")
        out.write(s.subDevicesLoggedIn)
        out.write("/")
        out.write(s.subDevicesTotal)
        out.write(" logged in")
        if s.subDevicesRefused > 0 {
            out.write(", ")
            out.write(s.subDevicesRefused)
            out.write(" refused or unanswered (see the log)")
        }
        out.newline()
        out.write("ring log: ")
        out.write(s.ringLogUnacknowledgedRecords)
        out.write(" records to send, ")
        out.write(s.ringLogDroppedRecords)
        out.write(" dropped, ")
        out.write(snapshot.ringUsedBytes / 1024)
        out.write(" of ")
        out.write(snapshot.ringCapacityBytes / 1024)
        out.write(" KiB used")
        out.newline()
        out.write("memory: ")
        out.write(s.residentKiB)
        out.write(" KiB resident")
        out.newline()
        if s.alarmRules > 0 { writeAlarmCounts(s, into: &out) }
        return .done
    }

    mutating func mqtt(into out: inout TextWriter) -> ConsoleReply {
        snapshot.writeConnection(into: &out)
        let stats = snapshot.store
        out.write("requests: ")
        out.write(stats.requestsSent)
        out.write(" sent (")
        out.write(stats.liveRequests)
        out.write(" live, ")
        out.write(stats.resumeRequests)
        out.write(" resume), ")
        out.write(stats.requestsConfirmed)
        out.write(" confirmed, ")
        out.write(stats.requestsRejected)
        out.write(" rejected, ")
        out.write(stats.rewinds)
        out.write(" resent from the ring log")
        out.newline()
        out.write("samples: ")
        out.write(stats.samplesSentLive)
        out.write(" sent live, ")
        out.write(stats.samplesSentResume)
        out.write(" as backlog")
        out.write(snapshot.isResuming ? " (resuming now)" : "")
        out.newline()
        if stats.samplesSuppressed > 0 {
            out.write("report by exception: ")
            out.write(stats.samplesSuppressed)
            out.write(" samples suppressed (deadband or min interval; not stored, not sent)")
            out.newline()
        }
        if stats.devicesRefused > 0 || stats.samplesOfRefusedDevices > 0 {
            out.write("refused by the cloud: ")
            out.write(stats.devicesRefused)
            out.write(" sub-devices now, ")
            out.write(stats.samplesOfRefusedDevices)
            out.write(" samples left out (see the log)")
            out.newline()
        }
        return .done
    }

    mutating func config(into out: inout TextWriter) -> ConsoleReply {
        // Made once at start with the secrets replaced; the session masks registered secrets too.
        for line in state.configLines {
            out.write(line)
            out.newline()
        }
        return .done
    }

    /// Hands `config apply PATH` to the runner, which answers right after this turn.
    mutating func configApply(path: ConsoleToken, into out: inout TextWriter) -> ConsoleReply {
        state.pending = .configApply
        state.configApplyPath = path.string
        state.pendingDeadline = clock.monotonicNow().advanced(byMilliseconds: Self.otaAnswerMilliseconds)
        return .pending
    }

    // MARK: buses, devices (fresh statistics first)

    mutating func buses(into out: inout TextWriter) -> ConsoleReply { askStatistics(devices: false, into: &out) }

    mutating func devices(into out: inout TextWriter) -> ConsoleReply { askStatistics(devices: true, into: &out) }

    mutating func askStatistics(devices: Bool, into out: inout TextWriter) -> ConsoleReply {
        guard port.submit(.statistics) else {
            // The port is full (the loop has not answered for a while): the figures as they are.
            if devices { writeDevices(into: &out) } else { writeBuses(into: &out) }
            return .done
        }
        state.pending = .statistics(devices: devices, baseline: snapshot.figures.snapshotCount)
        state.pendingDeadline = clock.monotonicNow().advanced(byMilliseconds: Self.statisticsTimeoutMilliseconds)
        return .pending
    }

    func writeBuses(into out: inout TextWriter) {
        let figures = snapshot.figures
        let now = clock.monotonicNow().nanoseconds
        var bus = 0
        while bus < fieldBus.buses.count {
            let definition = fieldBus.buses[bus]
            let s = figures.buses[bus]
            out.write(definition.name)
            switch definition.transport {
            case .serial(let serial):
                out.write(": serial ")
                out.write(serial.path)
                out.write(" ")
                out.write(serial.baud)
                out.write(" baud")
            case .tcp:
                out.write(": tcp")
            }
            let meters = definition.fieldProtocol == .dlt645
            if meters { out.write(", dlt645") }
            let station = definition.fieldProtocol == .iec104
            if station { out.write(", iec104") }
            if figures.busSnapshots[bus] == 0 {
                out.write(", no statistics yet")
                out.newline()
                bus += 1
                continue
            }
            out.write(", ")
            out.write(Double(s.utilizationPPM(nowNanoseconds: figures.busSnapshotAt[bus])) / 10_000, fractionDigits: 1)
            out.write("% utilized")
            out.newline()
            let t = s.transactions
            if case .iec104(let link)? = figures.busProtocols[bus] { writeIEC104Link(link, into: &out) }
            out.write("  polls ")
            out.write(s.polls)
            if station {
                writeIEC104Transactions(s, into: &out)
            } else {
                out.write(", requests ")
                out.write(t.requests)
                out.write(", responses ")
                out.write(t.responses)
                out.write(", timeouts ")
                out.write(t.timeouts)
                // DL/T 645's checksum errors and error replies are counted where Modbus' CRC errors
                // and exceptions are: named in the bus's own words.
                out.write(meters ? ", checksum errors " : ", crc errors ")
                out.write(t.crcErrors)
                out.write(meters ? ", error replies " : ", exceptions ")
                out.write(t.exceptions)
                out.write(", other errors ")
                out.write(t.otherErrors)
                out.newline()
            }
            if let cause = t.lastFailure {
                out.write("  last error: ")
                out.write(cause.description)
                out.newline()
            }
            out.write(station ? "  link turn avg " : "  round trip avg ")
            out.write(durationMilliseconds: t.roundTripAverageNanoseconds / 1_000_000)
            out.write(", max ")
            out.write(durationMilliseconds: t.roundTripMaximumNanoseconds / 1_000_000)
            out.write(", jitter max ")
            out.write(durationMilliseconds: s.jitterMaximumNanoseconds / 1_000_000)
            out.write(", missed deadlines ")
            out.write(s.missedDeadlines)
            out.newline()
            out.write("  writes ")
            out.write(s.writes)
            out.write(" (")
            out.write(s.writesDropped)
            out.write(" dropped), events lost ")
            out.write(snapshot.droppedEvents[bus])
            out.write(", statistics ")
            out.write(durationMilliseconds: (now &- figures.busSnapshotAt[bus]) / 1_000_000)
            out.write(" old")
            out.newline()
            bus += 1
        }
    }

    func writeDevices(into out: inout TextWriter) {
        let figures = snapshot.figures
        let online = snapshot.devices.online
        let now = clock.wallNow().milliseconds
        var d = 0
        while d < fieldBus.devices.count {
            let device = fieldBus.devices[d]
            out.write(device.name)
            out.pad(toColumn: 14)
            out.write(online[d] ? "online " : "OFFLINE")
            out.write("  ")
            let meter = !device.isVirtual && fieldBus.buses[device.bus].fieldProtocol == .dlt645
            if device.isVirtual {
                out.write("virtual")
            } else if meter {
                out.write(fieldBus.buses[device.bus].name)
                out.write(" meter ")
                out.write(DLT645Address(station: device.station).text)
            } else if isIEC104(device: d) {
                out.write(fieldBus.buses[device.bus].name)
                out.write(" station ")
                out.write(Int(device.station))
            } else {
                out.write(fieldBus.buses[device.bus].name)
                out.write(" unit ")
                out.write(device.unitId)
            }
            out.write(", last good ")
            writeAge(figures.lastGood[d], now: now, into: &out)
            out.write(", failed reads ")
            out.write(figures.failures[d])
            if figures.lastFailure[d] != 0 {
                out.write(" (last ")
                writeAge(figures.lastFailure[d], now: now, into: &out)
                out.write(")")
            }
            let t = figures.devices[d]
            if isIEC104(device: d) {
                out.write(", link turns ")
                out.write(t.requests)
                out.write(", T0/T1 timeouts ")
                out.write(t.timeouts)
            } else {
                out.write(", requests ")
                out.write(t.requests)
                out.write(", timeouts ")
                out.write(t.timeouts)
                out.write(meter ? ", error replies " : ", exceptions ")
                out.write(t.exceptions)
                out.write(meter ? ", checksum " : ", crc ")
                out.write(t.crcErrors)
            }
            if let cause = t.lastFailure {
                out.write(", last error: ")
                out.write(cause.description)
            }
            out.newline()
            d += 1
        }
    }

    // MARK: points

    mutating func points(device: ConsoleToken?, into out: inout TextWriter) -> ConsoleReply {
        if let device {
            guard let d = deviceIndex(device, &out) else { return .done }
            writePoints(of: d, into: &out)
            return .done
        }
        var d = 0
        while d < fieldBus.devices.count {
            writePoints(of: d, into: &out)
            d += 1
        }
        return .done
    }

    func writePoints(of d: Int, into out: inout TextWriter) {
        let fieldBus = self.fieldBus
        let template = fieldBus.templates[fieldBus.devices[d].template]
        let now = clock.wallNow().milliseconds
        var p = 0
        while p < template.points.count {
            writePoint(device: d, point: p, fieldBus: fieldBus, now: now, into: &out)
            p += 1
        }
    }

    func writePoint(device d: Int, point p: Int, fieldBus: FieldBusConfiguration, now: Int64, into out: inout TextWriter) {
        let template = fieldBus.templates[fieldBus.devices[d].template]
        out.write(fieldBus.devices[d].name)
        out.write(".")
        out.write(template.points[p].identifier)
        out.pad(toColumn: 24)
        out.write(" ")
        guard let latest = snapshot.devices.latest(device: d, point: p) else {
            out.write("(no sample yet)")
            snapshot.modelMarks.write(device: d, point: p, into: &out)
            out.newline()
            return
        }
        Self.writeValue(latest.value, into: &out)
        out.pad(toColumn: 40)
        out.write(" ")
        Self.writeQuality(latest.quality, into: &out)
        out.write(", ")
        writeAge(latest.time.milliseconds, now: now, into: &out)
        snapshot.modelMarks.write(device: d, point: p, into: &out)
        out.newline()
    }

    // MARK: read, write (commissioning)

    mutating func read(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply {
        guard let d = deviceIndex(arguments[0], &out) else { return .done }
        if isIEC104(device: d) { return iec104Read(d, arguments, &out) }
        if !fieldBus.devices[d].isVirtual, fieldBus.buses[fieldBus.devices[d].bus].fieldProtocol == .dlt645 {
            if arguments.count > 1 && arguments[1].equals("di") { return dataRead(d, arguments, &out) }
            if Self.table(arguments[1]) != nil {
                out.line("a DL/T 645 meter has no registers: read DEVICE di 0xDDDDDDDD (or read DEVICE POINT)")
                return .usage
            }
        }
        // `read D TABLE ADDRESS COUNT`, or an address where no configured point starts: the raw
        // registers (a commissioning read through the bus worker).
        if let table = Self.table(arguments[1]) {
            guard let address = arguments.count > 2 ? arguments[2].integer : nil, address >= 0, address <= 65535 else {
                out.line("give the register address as a number")
                return .usage
            }
            if arguments.count > 3 || configuredPoint(d, table: table, address: UInt16(address)) == nil {
                return registerRead(d, table: table, address: UInt16(address), arguments, &out)
            }
        }
        guard let p = pointIndex(d, arguments.dropping(1), writing: false, &out) else { return .done }
        // The bus worker owns the port: the answer is the point's next poll (writes go first).
        let template = fieldBus.templates[fieldBus.devices[d].template]
        let interval = UInt64(template.points[p].intervalMilliseconds ?? fieldBus.devices[d].intervalOverrideMilliseconds
                              ?? template.defaultIntervalMilliseconds)
        state.pending = .read(device: d, point: p, after: clock.wallNow().milliseconds)
        state.pendingDeadline = clock.monotonicNow().advanced(byMilliseconds: interval + Self.readGraceMilliseconds)
        out.write("reading ")
        out.write(fieldBus.devices[d].name)
        out.write(".")
        out.write(template.points[p].identifier)
        out.write(" at its next poll (Ctrl-C abandons)...")
        out.newline()
        return .pending
    }

    /// `read D TABLE ADDRESS [COUNT]` of registers outside the configured points: queued on the
    /// device's bus worker, ahead of its polls, which checks the template's forbidden addresses
    /// and per-read limit and sends nothing for a refused range.
    mutating func registerRead(_ d: Int, table: RegisterTable, address: UInt16, _ arguments: ConsoleArguments,
                               _ out: inout TextWriter) -> ConsoleReply {
        var count = 1
        if arguments.count > 3 {
            guard let n = arguments[3].integer, n >= 1, n <= Int(RegisterReadRequest.maximumCount) else {
                out.write("give a count from 1 to ")
                out.write(Int(RegisterReadRequest.maximumCount))
                out.newline()
                return .usage
            }
            count = Int(n)
        }
        guard Int(address) + count - 1 <= 65535 else {
            out.line("the range goes past address 65535")
            return .done
        }
        // The template's forbidden addresses and per-read limit are checked by the scheduler,
        // whose refusal is the answer.
        state.writeSequence &+= 1
        let id = ConsoleWriteId.make(state.writeSequence)
        let request = RegisterReadRequest(id: id, device: d, table: table, address: address, count: UInt16(count))
        guard port.submit(.registerRead(bus: fieldBus.devices[d].bus, request)) else {
            out.line("a commissioning read is still waiting on that bus: try again")
            return .done
        }
        state.pending = .registerRead(id: id, device: d, table: table, address: address)
        state.pendingDeadline = clock.monotonicNow().advanced(byMilliseconds: Self.writeTimeoutMilliseconds)
        out.write("reading ")
        out.write(fieldBus.devices[d].name)
        out.write(" ")
        out.write(table.name)
        out.write(" ")
        out.write(Int(address))
        if count > 1 {
            out.write("..")
            out.write(Int(address) + count - 1)
        }
        out.line(" (ahead of the polls)...")
        return .pending
    }

    /// `read D di 0xDDDDDDDD` of a DL/T 645 meter: any identifier of the table, configured or
    /// not, read live through the bus worker ahead of its polls (like a register read).
    mutating func dataRead(_ d: Int, _ arguments: ConsoleArguments, _ out: inout TextWriter) -> ConsoleReply {
        guard arguments.count == 3, let number = arguments[2].integer, number >= 0, number <= Int64(UInt32.max) else {
            out.line("usage: read DEVICE di 0xDDDDDDDD (a DL/T 645 data identifier, e.g. 0x02010100)")
            return .usage
        }
        let di = UInt32(number)
        guard DLT645DataFormat.lookup(di) != nil else {
            out.write("refused, nothing sent: ")
            out.write(DLT645DataFormat.text(di))
            out.line(" is not in the DL/T 645 table")
            return .done
        }
        state.writeSequence &+= 1
        let id = ConsoleWriteId.make(state.writeSequence)
        guard port.submit(.registerRead(bus: fieldBus.devices[d].bus, RegisterReadRequest(id: id, device: d, dataIdentifier: di))) else {
            out.line("a commissioning read is still waiting on that bus: try again")
            return .done
        }
        state.pending = .registerRead(id: id, device: d, table: .holdingRegister, address: 0)
        state.pendingDeadline = clock.monotonicNow().advanced(byMilliseconds: Self.writeTimeoutMilliseconds)
        out.write("reading ")
        out.write(fieldBus.devices[d].name)
        out.write(" DI ")
        out.write(DLT645DataFormat.text(di))
        out.line(" (ahead of the polls)...")
        return .pending
    }

    mutating func write(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply {
        guard let d = deviceIndex(arguments[0], &out) else { return .done }
        let valueToken = arguments[arguments.count - 1]
        guard let p = pointIndex(d, arguments.dropping(1), writing: true, &out) else { return .done }
        let template = fieldBus.templates[fieldBus.devices[d].template]
        let point = template.points[p]
        let value: PointValue
        if case .string = point.dataType {
            value = .string(ShortString(valueToken.string))
        } else if let number = valueToken.number {
            if let i = valueToken.integer { value = .int(i) } else { value = .double(number) }
        } else {
            out.write("not a number: ")
            out.write(bytes: valueToken.bytes)
            out.newline()
            return .usage
        }
        // The point and the value first: a write that cannot succeed says why, whatever the device's state.
        do throws(EncodeError) {
            try PointCodec.checkWrite(value, for: point)
        } catch {
            out.write(fieldBus.devices[d].name)
            out.write(".")
            out.write(point.identifier)
            out.write(": ")
            Self.writeOutcome(.rejected(error), into: &out)
            out.newline()
            return .done
        }
        guard snapshot.devices.online[d] else {
            out.write(fieldBus.devices[d].name)
            out.line(" is offline: nothing written")
            return .done
        }
        state.writeSequence &+= 1
        let id = ConsoleWriteId.make(state.writeSequence)
        let command = WriteCommand(id: id, device: d, point: p, value: value,
                                   verify: snapshot.readBack)
        guard port.submit(.write(bus: fieldBus.devices[d].bus, command)) else {
            out.line("the bus's write queue is full: nothing written, try again")
            return .done
        }
        state.pending = .write(id: id, device: d, point: p)
        state.pendingDeadline = clock.monotonicNow().advanced(byMilliseconds: Self.writeTimeoutMilliseconds)
        out.write("writing ")
        out.write(fieldBus.devices[d].name)
        out.write(".")
        out.write(point.identifier)
        out.write(" = ")
        Self.writeValue(value, into: &out)
        out.line(" (ahead of the polls)...")
        return .pending
    }

    // MARK: ota, reboot

    mutating func otaStatus(into out: inout TextWriter) -> ConsoleReply { askOTA(.status, &out) }

    mutating func otaInstall(url: ConsoleToken, into out: inout TextWriter) -> ConsoleReply {
        askOTA(.install(url: url.string), &out)
    }

    mutating func otaMarkGood(into out: inout TextWriter) -> ConsoleReply { askOTA(.markGood, &out) }

    /// Hands the command to the OTA code, which answers right after this turn.
    mutating func askOTA(_ request: AgentConsoleOTARequest, _ out: inout TextWriter) -> ConsoleReply {
        guard state.otaAvailable else { return otaUnavailable(&out) }
        state.pending = .ota
        state.otaRequest = request
        state.pendingDeadline = clock.monotonicNow().advanced(byMilliseconds: Self.otaAnswerMilliseconds)
        return .pending
    }

    func otaUnavailable(_ out: inout TextWriter) -> ConsoleReply {
        out.line("ota: not set up in this run (start the agent with the board file, --board)")
        return .done
    }

    mutating func reboot(into out: inout TextWriter) -> ConsoleReply {
        out.line("rebooting: syncing the ring log and disconnecting first")
        state.rebootRequested = true
        return .done
    }

    mutating func cancelPending() {
        stopTrace()
        state.clearPending()
    }

    // MARK: Pending answers

    /// True when the pending command's answer is there (or its time ran out).
    mutating func pendingIsAnswered() -> Bool {
        guard let pending = state.pending else { return false }
        if let deadline = state.pendingDeadline, clock.monotonicNow() >= deadline { return true }
        switch pending {
        case .read(let d, let p, let after):
            guard let latest = snapshot.devices.latest(device: d, point: p) else { return false }
            return latest.time.milliseconds > after
        case .write(let id, _, _):
            return port.hasWrite(id: id)
        case .registerRead(let id, _, _, _):
            return port.hasRegisterRead(id: id)
        case .statistics(_, let baseline):
            return snapshot.figures.snapshotCount >= baseline + UInt64(fieldBus.buses.count)
        case .ota, .configApply:
            return false   // answered by AgentConsole.completeOTA / completeConfigApply
        case .trace:
            return false   // live until Ctrl-C (AgentConsoleBackend+Trace)
        }
    }

    /// Writes the pending command's answer (what arrived, or that nothing did in time).
    mutating func writePendingAnswer(into out: inout TextWriter) {
        guard let pending = state.pending else { return }
        switch pending {
        case .read(let d, let p, let after):
            let fresh = snapshot.devices.latest(device: d, point: p).map { $0.time.milliseconds > after } ?? false
            if !fresh { out.line("no new sample in time (device offline or bus busy); the last one:") }
            writePoint(device: d, point: p, fieldBus: fieldBus, now: clock.wallNow().milliseconds, into: &out)
        case .write(let id, let d, let p):
            let name = fieldBus.templates[fieldBus.devices[d].template].points[p].identifier
            guard let outcome = port.takeWrite(id: id) else {
                out.line("no result in time; the write may still run (see 'points')")
                return
            }
            out.write(fieldBus.devices[d].name)
            out.write(".")
            out.write(name)
            out.write(": ")
            Self.writeOutcome(outcome, into: &out)
            out.newline()
        case .registerRead(let id, let d, let table, let address):
            guard let outcome = port.takeRegisterRead(id: id) else {
                out.line("no answer in time (bus busy?)")
                return
            }
            writeRegisterRead(outcome, device: d, table: table, address: address, into: &out)
        case .statistics(let devices, _):
            if devices { writeDevices(into: &out) } else { writeBuses(into: &out) }
        case .ota:
            out.line("ota: no answer from the OTA code in time")
        case .configApply:
            out.line("config apply: no answer in time")
        case .trace:
            break
        }
    }

    // MARK: Helpers

    static func table(_ token: ConsoleToken) -> RegisterTable? {
        if token.equals("holding") { return .holdingRegister }
        if token.equals("input") { return .inputRegister }
        if token.equals("coil") { return .coil }
        if token.equals("discrete") { return .discreteInput }
        return nil
    }

    /// The configured point of device `d` that starts at `address` of `table`.
    func configuredPoint(_ d: Int, table: RegisterTable, address: UInt16) -> Int? {
        let points = fieldBus.templates[fieldBus.devices[d].template].points
        var p = 0
        while p < points.count {
            if points[p].table == table && points[p].address == address { return p }
            p += 1
        }
        return nil
    }

    static func writeForbidden(_ range: AddressRange, device: String, into out: inout TextWriter) {
        out.write("refused, nothing sent: ")
        out.write(range.table.name)
        out.write(" ")
        out.write(Int(range.first))
        if range.last != range.first {
            out.write("..")
            out.write(Int(range.last))
        }
        out.write(" must never be asked of ")
        out.write(device)
        out.line(" (its template forbids them)")
    }

    /// One line per value: address, then hex, unsigned and signed for registers; 0/1 for bits.
    func writeRegisterRead(_ outcome: RegisterReadOutcome, device d: Int, table: RegisterTable, address: UInt16,
                           into out: inout TextWriter) {
        let name = fieldBus.devices[d].name
        switch outcome {
        case .ok(let values):
            var i = 0
            while i < values.count {
                out.write(name)
                out.write(" ")
                out.write(table.name)
                out.write(" ")
                out.write(Int(address) + i)
                out.pad(toColumn: 24)
                let v = values[i]
                if table.holdsBits {
                    out.write(" ")
                    out.write(Int(v))
                } else {
                    out.write(" 0x")
                    Self.writeHex16(v, into: &out)
                    out.write("  ")
                    out.write(Int(v))
                    out.pad(toColumn: 40)
                    out.write(" int16 ")
                    out.write(Int(Int16(bitPattern: v)))
                }
                out.newline()
                i += 1
            }
        case .dataValue(let di, let value):
            out.write(name)
            out.write(" DI ")
            out.write(DLT645DataFormat.text(di))
            out.write(" = ")
            out.write(value, fractionDigits: DLT645DataFormat.lookup(di)?.decimals ?? 0)
            let unit = DLT645DataFormat.unit(di)
            if !unit.isEmpty {
                out.write(" ")
                out.write(unit)
            }
            out.newline()
        case .failed(let error):
            out.write(name)
            out.write(": FAILED: ")
            out.write(error.description)
            out.newline()
        case .failedDetail(let detail):
            out.write(name)
            out.write(": FAILED: ")
            out.write(detail.description)
            out.newline()
        case .forbidden(let range):
            Self.writeForbidden(range, device: name, into: &out)
        case .outOfLimits:
            out.write("refused, nothing sent: more than ")
            out.write(name)
            out.line("'s template allows in one read")
        case .unknownDevice:
            out.line("unknown device on its bus")
        case .busy:
            out.line("a commissioning read is still waiting on that bus: try again")
        }
    }

    static func writeHex16(_ v: UInt16, into out: inout TextWriter) {
        var shift = 12
        while shift >= 0 {
            let nibble = UInt8((v >> UInt16(shift)) & 0xF)
            out.write(byte: nibble < 10 ? 0x30 + nibble : 0x37 + nibble)
            shift -= 4
        }
    }

    func deviceIndex(_ token: ConsoleToken, _ out: inout TextWriter) -> Int? {
        let devices = fieldBus.devices
        var i = 0
        while i < devices.count {
            if token.equals(devices[i].name) { return i }
            i += 1
        }
        out.write("no device '")
        out.write(bytes: UnsafeRawBufferPointer(rebasing: token.bytes[0..<min(token.bytes.count, 40)]))
        out.write("' (devices: ")
        i = 0
        while i < devices.count {
            if i > 0 { out.write(", ") }
            out.write(devices[i].name)
            i += 1
        }
        out.line(")")
        return nil
    }

    /// The point named by `words` (`POINT …`, or `TABLE ADDRESS …`: the configured point at that
    /// register); raw registers are `registerRead`'s.
    func pointIndex(_ d: Int, _ words: ConsoleArguments, writing: Bool, _ out: inout TextWriter) -> Int? {
        let template = fieldBus.templates[fieldBus.devices[d].template]
        let first = words[0]
        var p = 0
        if let table = Self.table(first) {
            let expected = writing ? 3 : 2   // write D TABLE ADDRESS VALUE / read D TABLE ADDRESS
            guard words.count >= expected, let address = words[1].integer, address >= 0, address <= 65535 else {
                out.line("give the register address as a number")
                return nil
            }
            if let p = configuredPoint(d, table: table, address: UInt16(address)) { return p }
            out.write("no configured point of ")
            out.write(fieldBus.devices[d].name)
            out.write(" at ")
            out.write(table.name)
            out.write(" ")
            out.write(address)
            out.line(": the console writes configured points only ('points DEVICE' lists them)")
            return nil
        }
        if words.count != (writing ? 2 : 1) {
            out.line(writing ? "usage: write DEVICE POINT VALUE" : "usage: read DEVICE POINT")
            return nil
        }
        while p < template.points.count {
            if first.equals(template.points[p].identifier) { return p }
            p += 1
        }
        out.write("no point '")
        out.write(bytes: UnsafeRawBufferPointer(rebasing: first.bytes[0..<min(first.bytes.count, 40)]))
        out.write("' in ")
        out.write(fieldBus.devices[d].name)
        out.write(" (")
        out.write(template.name)
        out.line("; 'points DEVICE' lists them)")
        return nil
    }

    func writeAge(_ milliseconds: Int64, now: Int64, into out: inout TextWriter) {
        guard milliseconds != 0 else {
            out.write("never")
            return
        }
        out.write(durationMilliseconds: UInt64(max(0, now - milliseconds)))
        out.write(" ago")
    }

    static func writeValue(_ value: PointValue, into out: inout TextWriter) {
        switch value {
        case .bool(let b): out.write(b ? "true" : "false")
        case .int(let v): out.write(v)
        case .uint(let v): out.write(v)
        case .double(let v): out.write(shortest: v)
        case .string(let s):
            out.write("\"")
            var i = 0
            while i < s.count {
                out.write(byte: s[i])
                i += 1
            }
            out.write("\"")
        }
    }

    static func writeQuality(_ quality: Quality, into out: inout TextWriter) {
        switch quality {
        case .good: out.write("good")
        case .timeout: out.write("TIMEOUT")
        case .exception(let code):
            out.write("EXCEPTION ")
            out.write(code)
        case .crcError: out.write("CRC ERROR")
        case .invalidResponse: out.write("INVALID RESPONSE")
        case .offline: out.write("OFFLINE")
        case .ioError(let e):
            out.write("I/O ERROR ")
            out.write(e)
        case .formulaFault(let f):
            out.write("FORMULA: ")
            out.write(FormulaFault(rawValue: f)?.name ?? "fault")
        case .flagged(let flags):
            out.write("FLAGGED ")
            out.write(Int32(flags))
        }
    }

    static func writeOutcome(_ outcome: WriteOutcome, into out: inout TextWriter) {
        switch outcome {
        case .ok: out.write("written")
        case .rejected(let e):
            out.write("refused, nothing written: ")
            switch e {
            case .notWritable: out.write("the point is not writable")
            case .typeMismatch: out.write("wrong kind of value for the point")
            case .outOfAllowedRange: out.write("outside the point's allowed range (min/max)")
            case .outOfTypeRange: out.write("does not fit the point's type")
            case .notANumber: out.write("not a number")
            case .stringTooLong: out.write("string too long")
            case .readModifyWriteRequired: out.write("a bit of a register cannot be written alone")
            case .bufferTooSmall: out.write("value too large")
            }
        case .failed(let error):
            out.write("FAILED: ")
            out.write(error.description)
        case .deviceOffline: out.write("device offline: nothing written")
        case .unknownPoint: out.write("unknown point")
        case .verificationMismatch: out.write("written, but the read-back differs")
        case .queueFull: out.write("the bus's write queue is full: nothing written")
        }
    }
}
