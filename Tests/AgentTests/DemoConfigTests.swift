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
        #expect(c.fieldBus.devices.map(\.name) == ["meter1", "inverter1", "plant"])
        #expect(c.cloud.host == "127.0.0.1")
        #expect(c.cloud.tls == nil)
    }

    @Test func bothDemoDevicesAreSubDevicesWithTheCheckersIdentities() throws {
        let c = try Self.load()
        let identities = c.fieldBus.devices.map { $0.cloud }
        #expect(identities == [CloudIdentity(productKey: "demoMeterPK", deviceKey: "demo-meter-1"),
                               CloudIdentity(productKey: "demoInverterPK", deviceKey: "demo-inverter-1"),
                               CloudIdentity(productKey: "demoPlantPK", deviceKey: "demo-plant")])
        #expect(c.cloud.subDevice(forDevice: 0) != nil)
        #expect(c.cloud.subDevice(forDevice: 1) != nil)
        #expect(c.cloud.subDevice(forDevice: 2) != nil)
    }

    /// The computed points the demo shows (issue 13): the plant's total power over both devices,
    /// the inverter's energy per 10 s window, a deadband on the meter's voltages.
    @Test func theDemoComputesAPlantTotalAnEnergyIntegralAndDeadbandsTheVoltages() throws {
        let c = try Self.load()
        let plant = c.fieldBus.devices[2]
        #expect(plant.isVirtual)
        #expect(c.fieldBus.templates[plant.template].points.first?.formula == "meter1.activePower + inverter1.acPower")
        let inverter = c.fieldBus.templates[c.fieldBus.devices[1].template]
        let energy = try #require(inverter.points.first { $0.identifier == "acEnergy10s" })
        #expect(energy.window == PointWindow(operation: .integral, lengthMs: 10_000))
        let meter = c.fieldBus.templates[c.fieldBus.devices[0].template]
        for v in ["voltageL1", "voltageL2", "voltageL3"] {
            #expect(meter.points.first { $0.identifier == v }?.report.deadband == 0.5)
        }
        let plan = try ComputePlan.build(c.fieldBus)
        #expect(plan.derived.count == 3)
    }

    @Test func theSimulatorsUnitsAndTheWritableLimitMatch() throws {
        let c = try Self.load()
        #expect(c.fieldBus.devices.prefix(2).map(\.unitId) == [1, 2])
        let inverter = c.fieldBus.templates[c.fieldBus.devices[1].template]
        let limit = try #require(inverter.points.first { $0.identifier == "activePowerLimit" })
        #expect(limit.writable)
        #expect(limit.table == .holdingRegister && limit.address == 40)
        #expect(limit.allowedRange == 0...100)
        let meter = c.fieldBus.templates[c.fieldBus.devices[0].template]
        #expect(meter.points.allSatisfy { $0.table == .inputRegister && $0.dataType == .float32 && $0.order == .abcd })
    }
}
