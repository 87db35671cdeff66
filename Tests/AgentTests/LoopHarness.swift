import Agent
import EdgeCore
import FieldBus
import Foundation
import Logging
import RingLog
@testable import Configuration
@testable import StoreForward

/// The agent's loop in this process with nothing real but its own code: two buses in memory
/// (`MemoryBus`), the cloud in memory (`LoopUplink`), the ring log on the memory device, time on a
/// `ManualClock` moved by the `ManualPoller` when the loop waits. Device d0 is on bus b0, d1 on b1;
/// both have points v and w (writable) and a sub-device.
struct LoopHarness: ~Copyable {
    typealias Loop = AgentEventLoop<MemoryFlashDevice, ManualClock, LoopUplink, MemoryBus, ManualPoller>

    static func configText(statusMs: Int = 5_000, commandTtlMs: Int = 1_000, commandsInFlight: Int? = nil,
                           publishing: String = "{}", ringLogPath: String = "/tmp/agent-loop-tests.log") -> String {
        """
        {
          "buses": [{"name": "b0", "type": "tcp", "host": "127.0.0.1", "port": 1502},
                    {"name": "b1", "type": "tcp", "host": "127.0.0.1", "port": 1503}],
          "templates": [{"name": "t", "points": [
            {"id": "v", "table": "holding", "address": 0, "type": "uint16", "writable": true},
            {"id": "w", "table": "holding", "address": 1, "type": "uint16", "writable": true}]}],
          "devices": [{"name": "d0", "template": "t", "unit": 1, "bus": "b0", "productKey": "pk", "deviceKey": "dk0"},
                      {"name": "d1", "template": "t", "unit": 1, "bus": "b1", "productKey": "pk", "deviceKey": "dk1"}],
          "cloud": {"host": "127.0.0.1", "port": 1883,
                    "gateway": {"productKey": "gpk", "deviceKey": "gdk", "deviceSecret": "gsecret"},
                    "subDevices": [{"device": "d0", "deviceSecret": "s0"}, {"device": "d1", "deviceSecret": "s1"}]},
          "ringLog": {"path": "\(ringLogPath)", "size": "1MiB", "sectorSize": "64KiB", "syncIntervalMs": 100},
          "publishing": \(publishing),
          "status": {"intervalMs": \(statusMs)},
          "control": {"commandTtlMs": \(commandTtlMs)\(commandsInFlight.map { ", \"commandsInFlight\": \($0)" } ?? "")}
        }
        """
    }

    let clock: ManualClock
    let poller: ManualPoller
    let buses: [MemoryBus]
    let history: LogHistory
    var loop: Loop

    init(configText: String = LoopHarness.configText(), file: String = "agent.json", flash: MemoryFlashDevice? = nil) throws {
        let config = try AgentConfiguration.parse(Array(configText.utf8), file: file, checkDevicePaths: false)
        try self.init(config, flash: flash)
    }

    /// `flash`: the ring log's device (a restart passes the one the loop before it wrote).
    init(_ config: AgentConfiguration, flash: MemoryFlashDevice? = nil) throws {
        // Everything that can fail before the first stored property is set (a noncopyable value
        // cannot be left half-initialized).
        let clock = ManualClock()
        let poller = ManualPoller(clock: clock)
        let buses = config.fieldBus.buses.indices.map { MemoryBus(index: $0) }
        poller.buses = buses
        let history = LogHistory(lineCapacity: 256, lineLength: 256)
        let device = flash ?? MemoryFlashDevice(geometry: FlashGeometry(size: config.store.size, sectorSize: config.store.sectorSize))
        let ring = try RingLog(device: device, clock: clock, options: config.store.options)
        let store = StoreAndForward(log: ring, clock: clock, settings: config.publishing,
                                    translation: SampleTranslation(layout: SampleLayout(config)))
        let uplink = LoopUplink(clock: clock, devices: config.fieldBus.devices.count)
        let log = Logger(threshold: .debug, destination: .none, wallClock: { clock.wallNow() }, history: history)
        let loop = Loop(configuration: config, store: store, uplink: uplink, workers: buses, clock: clock, poller: poller,
                        signalDescriptor: ManualPoller.signalDescriptor, log: log)
        try loop.start()
        self.clock = clock
        self.poller = poller
        self.buses = buses
        self.history = history
        self.loop = loop
    }

    /// Milliseconds on the monotonic clock since the start.
    var now: UInt64 { clock.monotonicNow().nanoseconds / 1_000_000 }

    /// One turn that may wait up to a minute (the poller spends the wait at once).
    @discardableResult mutating func turn() -> LoopOutcome { loop.turn(maximumWaitMilliseconds: 60_000) }

    /// Turns until the manual clock reaches `milliseconds`.
    mutating func run(until milliseconds: UInt64) {
        var guardTurns = 100_000
        while now < milliseconds && guardTurns > 0 {
            _ = loop.turn(maximumWaitMilliseconds: Int(milliseconds - now))
            guardTurns -= 1
        }
    }

    /// The uplink connected and ready (logins settled), as after a connect.
    mutating func connect() {
        loop.uplink.isConnected = true
        loop.uplink.isReady = true
        loop.uplink.events.append(.connected)
    }

    /// A good sample of `device`'s `point` now.
    func sample(_ device: Int, _ point: Int, _ value: Double) -> BusEvent {
        .sample(Sample(device: device, point: point, value: .double(value), quality: .good, time: clock.wallNow()))
    }

    /// Log lines so far.
    var lines: [String] {
        var out: [String] = []
        history.forEachLine { out.append(String(decoding: $0, as: UTF8.self)) }
        return out
    }
}
