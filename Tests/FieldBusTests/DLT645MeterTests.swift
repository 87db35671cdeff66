import CShim
import EdgeCore
import FieldBus
import Foundation
import Testing
import TestSupport

/// The DL/T 645 master against an emulated meter on a socat pty (Tools/dlt645_test_meter.py,
/// written from the standard, independently of our codec): every DI of the table, the faults a
/// real line has (checksum errors, error replies, silence, extra wake-up bytes, a reply from
/// another address or for another DI), and several meters on one bus polled through the
/// protocol-independent scheduler on its own thread, from a configuration file's text.
@Suite(.serialized) struct DLT645MeterTests {
    /// What the emulator serves for every meter (forward active energy adds the meter's last two
    /// digits), in the table's units.
    static let expected: [(UInt32, Double)] = [
        (0x0000_0000, 1500.25), (0x0001_0000, 12345.67 + 78), (0x0001_0100, 2345.60), (0x0001_000C, 111.11),
        (0x0002_0000, 12.34), (0x0003_0000, -56.78), (0x0101_0000, 12.3456),
        (0x0201_0100, 220.1), (0x0201_0200, 221.2), (0x0201_0300, 219.9),
        (0x0202_0100, 5.123), (0x0202_0200, -0.456), (0x0202_0300, 10.0),
        (0x0203_0000, 3.21), (0x0203_0100, 1.05), (0x0203_0200, -0.5), (0x0203_0300, 2.66),
        (0x0204_0000, 0.8765), (0x0205_0000, 3.3333),
        (0x0206_0000, 0.985), (0x0206_0100, -0.95), (0x0206_0200, 1.0), (0x0206_0300, 0.5),
        (0x0280_0001, 0.012), (0x0280_0002, 49.98), (0x0280_0003, 3.1), (0x0280_0004, 3.2),
        (0x0280_0005, -0.4), (0x0280_0006, 3.5), (0x0280_0007, 35.5),
    ]

    static func master(_ meter: DLT645MeterProcess, timeout: UInt32 = 300) -> DLT645Master {
        DLT645Master(serial: SerialSettings(path: meter.devicePath, baud: 2400, parity: .even),
                     responseTimeoutMilliseconds: timeout, byteTimeoutMilliseconds: 100)
    }

    @Test func everyTableIdentifierReadsItsValue() throws {
        let meter = try DLT645MeterProcess(meters: ["000012345678"])
        defer { meter.stop() }
        var master = Self.master(meter)
        let address = DLT645Address(text: "000012345678")!
        for (di, value) in Self.expected {
            var got: Double? = nil
            do throws(ModbusError) {
                got = try master.readValue(address: address, di: di)
            } catch {
                Issue.record("\(DLT645DataFormat.text(di)): \(error.description) \(master.lastError?.description ?? "")")
            }
            if let got { #expect(abs(got - value) < 1e-9, "\(DLT645DataFormat.text(di))") }
        }
        // The wildcard address reaches the only meter on the line.
        #expect(try master.readValue(address: .wildcard, di: 0x0201_0100) == 220.1)
    }

    @Test func lineFaultsBecomeTheirErrors() throws {
        let meter = try DLT645MeterProcess(meters: ["000000000001:checksum", "000000000002:error", "000000000003:silent",
                                                    "000000000004:fe", "000000000005:wrongaddr", "000000000006:wrongdi"])
        defer { meter.stop() }
        var master = Self.master(meter, timeout: 200)
        func read(_ address: String, di: UInt32 = 0x0201_0100) -> (Double?, ModbusError?) {
            do throws(ModbusError) {
                return (try master.readValue(address: DLT645Address(text: address)!, di: di), nil)
            } catch {
                return (nil, error)
            }
        }
        #expect(read("000000000001").1 == .crcError)
        if case .badChecksum(let computed, let received)? = master.lastError {
            #expect(received == computed &+ 1)
        } else {
            Issue.record("expected a checksum error, got \(String(describing: master.lastError))")
        }
        let refused = read("000000000002").1
        #expect(refused == .exception(0x01))
        #expect(refused?.isFailure == false)
        #expect(master.lastError == .errorReply(0x01))
        #expect(read("000000000003").1 == .timeout)
        #expect(read("000000000004").0 == 220.1)
        #expect(read("000000000005").1 != nil)
        #expect(master.lastError == .wrongAddress)
        #expect(read("000000000006").1 != nil)
        #expect(master.lastError == .wrongDataIdentifier(0x0201_0000))
        // A DI of our table the meter does not have: its error reply "no requested data".
        #expect(read("000000000004", di: 0x0001_0200).1 == .exception(0x02))
        #expect(master.lastError?.description.contains("no requested data") == true)
        // Still healthy afterwards: no stale bytes from the faults left in the way.
        #expect(read("000000000004").0 == 220.1)
    }

    static let configuration = """
    {
      "buses": [{"name": "meters", "type": "serial", "protocol": "dlt645", "device": "PTY", "baud": 2400, "parity": "E",
                 "responseTimeoutMs": 200, "retries": 0, "offlineAfterFailures": 2, "probeBackoffMinMs": 500}],
      "templates": [{"name": "meter", "protocol": "dlt645", "intervalMs": 100, "points": [
        {"id": "energy", "di": "0x00010000"},
        {"id": "ua", "di": "0x02010100"},
        {"id": "ia", "di": "0x02020100"},
        {"id": "p", "di": "0x02030000", "scale": 1000},
        {"id": "pf", "di": "0x02060000"}
      ]}],
      "devices": [
        {"name": "m1", "template": "meter", "bus": "meters", "address": "000012345678"},
        {"name": "m2", "template": "meter", "bus": "meters", "address": "000012345612"},
        {"name": "dead", "template": "meter", "bus": "meters", "address": "000000000009"}
      ]
    }
    """

    @Test func severalMetersArePolledThroughTheScheduler() throws {
        let meter = try DLT645MeterProcess(meters: ["000012345678", "000012345612", "000000000009:silent"])
        defer { meter.stop() }
        let text = Self.configuration.replacingOccurrences(of: "PTY", with: meter.devicePath)
        let config = try FieldBusConfiguration.parse(Array(text.utf8), file: "meters.json")
        let bus = config.buses[0]
        #expect(bus.fieldProtocol == .dlt645)
        let scheduler = try BusScheduler(bus: bus, busIndex: 0, templates: config.templates, devices: config.devices,
                                         transport: try FieldConnection(bus: bus), clock: SystemClock())
        let worker = try BusWorker(scheduler: scheduler)
        try worker.start()
        defer { worker.stop() }
        var events: [BusEvent] = []
        var values: [String: Double] = [:]
        var deadOffline = false
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && !(values.count == 10 && deadOffline) {
            if edge_poll_in(worker.eventFD, 100) > 0 { worker.drain { events.append($0) } }
            for event in events {
                switch event {
                case .sample(let s) where s.quality == .good && s.device < 2:
                    if case .double(let v) = s.value {
                        values["\(s.device)/\(config.templates[0].points[s.point].identifier)"] = v
                    }
                case .deviceOffline(device: 2, _, _, _):
                    deadOffline = true
                default:
                    break
                }
            }
        }
        #expect(deadOffline)
        #expect(values["0/energy"] == 12345.67 + 78)
        #expect(values["1/energy"] == 12345.67 + 12)
        #expect(values["0/ua"] == 220.1)
        #expect(values["1/ia"] == 5.123)
        #expect(values["0/p"].map { abs($0 - 3210) < 1e-6 } == true)
        #expect(values["1/pf"] == 0.985)
        #expect(meter.lines.contains { $0 == "READ 000012345612 02060000" })
    }

    /// Steady polling of healthy, refusing (error reply), corrupt (checksum) and dead meters, with a
    /// time sync every second, allocates nothing once warmed up: frames, replies and values live
    /// in start-up buffers.
    @Test func steadyPollingAllocatesNothing() throws {
        let meter = try DLT645MeterProcess(meters: ["000012345678", "000000000002:error", "000000000001:checksum",
                                                    "000000000003:silent"])
        defer { meter.stop() }
        let text = Self.configuration.replacingOccurrences(of: "PTY", with: meter.devicePath)
            .replacingOccurrences(of: "000012345612", with: "000000000002")
            .replacingOccurrences(of: "\"000000000009\"}", with: "\"000000000003\"}, {\"name\": \"bad\", \"template\": \"meter\", \"bus\": \"meters\", \"address\": \"000000000001\"}")
            .replacingOccurrences(of: "\"responseTimeoutMs\": 200", with: "\"responseTimeoutMs\": 50")
            .replacingOccurrences(of: "\"probeBackoffMinMs\": 500", with: "\"probeBackoffMinMs\": 100")
            .replacingOccurrences(of: "\"protocol\": \"dlt645\", \"device\"", with: "\"protocol\": \"dlt645\", \"timeSyncIntervalS\": 1, \"device\"")
        let config = try FieldBusConfiguration.parse(Array(text.utf8), file: "meters.json")
        #expect(config.devices.count == 4)
        var s = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                 transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        var sink = CountingSink()
        func run(transactions: Int) {
            var done = 0
            while done < transactions {
                switch s.step(sink: &sink) {
                case .transacted: done += 1
                case .waitUntil(let t):
                    let ns = t.nanoseconds(since: s.clock.monotonicNow())
                    if ns > 0 { edge_sleep_ns(ns) }
                case .idle: return
                }
            }
        }
        run(transactions: 40) // warm-up: the dead meter goes offline
        let before = sink.good
        let syncsBefore = meter.lines.filter { $0.hasPrefix("TIMESYNC") }.count
        let counted = ThrowHooks.suspended {
            AllocationCounter.count { run(transactions: 100) }
        }
        #expect(counted.allocations == 0, "\(counted)")
        #expect(sink.good - before >= 20)
        // A time sync went out within the counted polls.
        #expect(meter.waitFor({ $0.components(separatedBy: "TIMESYNC").count - 1 > syncsBefore }, seconds: 2))
    }

    /// The broadcast time sync goes out only when the bus asks for it ("timeSyncIntervalS"), with
    /// the gateway's local time, and the reads go on after it.
    @Test(arguments: [false, true]) func broadcastTimeSyncFollowsTheConfiguration(enabled: Bool) throws {
        let meter = try DLT645MeterProcess(meters: ["000012345678"])
        defer { meter.stop() }
        var text = Self.configuration.replacingOccurrences(of: "PTY", with: meter.devicePath)
        if enabled { text = text.replacingOccurrences(of: "\"protocol\": \"dlt645\", \"device\"", with: "\"protocol\": \"dlt645\", \"timeSyncIntervalS\": 1, \"device\"") }
        let config = try FieldBusConfiguration.parse(Array(text.utf8), file: "meters.json")
        #expect(config.buses[0].timeSyncIntervalSeconds == (enabled ? 1 : nil))
        let scheduler = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                         transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        let worker = try BusWorker(scheduler: scheduler)
        try worker.start()
        defer { worker.stop() }
        // Enough reads to span more than one sync period.
        #expect(meter.waitFor({ $0.components(separatedBy: "READ 000012345678").count > 40 }, seconds: 20))
        let syncs = meter.lines.filter { $0.hasPrefix("TIMESYNC ") }
        if enabled {
            #expect(syncs.count >= 2, "\(syncs)")
            let formatter = DateFormatter()
            formatter.dateFormat = "yyMMddHHmmss"
            formatter.timeZone = TimeZone.current
            let sent = syncs.first.flatMap { formatter.date(from: String($0.dropFirst(9))) }
            #expect(sent.map { abs($0.timeIntervalSinceNow) < 60 } == true, "\(syncs)")
        } else {
            #expect(syncs.isEmpty)
        }
    }
}
