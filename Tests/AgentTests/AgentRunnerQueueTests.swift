import Agent
import FieldBus
import Testing

/// The bus workers' event queues are sized from the configuration: half a second of each bus's
/// samples (at least one round of its points), room for status events, within 256...4096.
@Suite struct AgentRunnerQueueTests {
    static func config(points: Int, devices: Int, intervalMs: UInt32, otherBusDevices: Int = 0,
                       pointIntervalMs: UInt32? = nil) -> FieldBusConfiguration {
        var list: [PointDefinition] = []
        for i in 0..<points {
            list.append(PointDefinition(identifier: "p\(i)", table: .holdingRegister, address: UInt16(i), dataType: .uint16,
                                        intervalMilliseconds: i == 0 ? pointIntervalMs : nil))
        }
        let template = DeviceTemplate(name: "t", points: list, defaultIntervalMilliseconds: intervalMs)
        let tcp = BusTransportSettings.tcp(TCPSettings(host: "127.0.0.1", port: 502))
        var deviceList: [DeviceDefinition] = []
        for d in 0..<devices { deviceList.append(DeviceDefinition(name: "d\(d)", template: 0, unitId: UInt8(d + 1), bus: 0)) }
        for d in 0..<otherBusDevices {
            deviceList.append(DeviceDefinition(name: "o\(d)", template: 0, unitId: UInt8(d + 1), bus: 1))
        }
        return FieldBusConfiguration(buses: [BusDefinition(name: "a", transport: tcp), BusDefinition(name: "b", transport: tcp)],
                                     templates: [template], devices: deviceList)
    }

    @Test func oneRoundOfASlowBusPlusStatusRoom() {
        // 10 devices of 100 points polled every second: 1000 samples + 40 + 64.
        #expect(AgentRunner.eventQueueCapacity(bus: 0, Self.config(points: 100, devices: 10, intervalMs: 1000)) == 1104)
    }

    @Test func fastPointsCountHalfASecondOfSamples() {
        // 100 ms: 5 samples per point in 500 ms; one point at 30 ms: 17.
        let c = Self.config(points: 10, devices: 5, intervalMs: 100, pointIntervalMs: 30)
        #expect(AgentRunner.eventQueueCapacity(bus: 0, c) == 5 * (9 * 5 + 17) + 5 * 4 + 64)
    }

    @Test func onlyTheBusOwnDevicesCountWithinBounds() {
        let c = Self.config(points: 10, devices: 1, intervalMs: 1000, otherBusDevices: 50)
        #expect(AgentRunner.eventQueueCapacity(bus: 0, c) == 256)
        #expect(AgentRunner.eventQueueCapacity(bus: 1, Self.config(points: 1, devices: 0, intervalMs: 1000)) == 256)
        #expect(AgentRunner.eventQueueCapacity(bus: 0, Self.config(points: 100, devices: 50, intervalMs: 100)) == 4096)
    }
}
