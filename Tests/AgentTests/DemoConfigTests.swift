import Agent
import EdgeCore
import FieldBus
import Foundation
import Testing
@testable import Configuration

/// `make run`'s configuration (Tools/demo/demo-config.json) stays a valid agent configuration that
/// matches the simulated devices (Tools/demo/sim_devices.py) and the demo's checker
/// (Tools/demo/check_record.py): a config change that breaks the demo fails here in seconds.
@Suite struct DemoConfigTests {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func load() throws -> AgentConfiguration {
        let path = packageRoot.appendingPathComponent("Tools/demo/demo-config.json").path
        do throws(ConfigErrors) {
            // The bus's pty and the ring log's folder exist only while the demo runs.
            return try AgentConfiguration.load(file: path, checkDevicePaths: false)
        } catch {
            let text = error.errors.map(\.description).joined(separator: "\n")
            Issue.record("demo-config.json is refused:\n\(text)")
            throw error
        }
    }

    @Test func theDemoConfigIsValid() throws {
        let c = try Self.load()
        #expect(c.fieldBus.devices.map(\.name) == ["meter-1", "inverter-1"])
        #expect(c.cloud.host == "127.0.0.1")
        #expect(c.cloud.tls == nil)
    }

    @Test func bothDemoDevicesAreSubDevicesWithTheCheckersIdentities() throws {
        let c = try Self.load()
        let identities = c.fieldBus.devices.map { $0.cloud }
        #expect(identities == [CloudIdentity(productKey: "demoMeterPK", deviceKey: "demo-meter-1"),
                               CloudIdentity(productKey: "demoInverterPK", deviceKey: "demo-inverter-1")])
        #expect(c.cloud.subDevice(forDevice: 0) != nil)
        #expect(c.cloud.subDevice(forDevice: 1) != nil)
    }

    @Test func theSimulatorsUnitsAndTheWritableLimitMatch() throws {
        let c = try Self.load()
        #expect(c.fieldBus.devices.map(\.unitId) == [1, 2])
        let inverter = c.fieldBus.templates[c.fieldBus.devices[1].template]
        let limit = try #require(inverter.points.first { $0.identifier == "activePowerLimit" })
        #expect(limit.writable)
        #expect(limit.table == .holdingRegister && limit.address == 40)
        #expect(limit.allowedRange == 0...100)
        let meter = c.fieldBus.templates[c.fieldBus.devices[0].template]
        #expect(meter.points.allSatisfy { $0.table == .inputRegister && $0.dataType == .float32 && $0.order == .abcd })
    }
}
