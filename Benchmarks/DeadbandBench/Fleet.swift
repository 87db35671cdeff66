// The fleet case of DeadbandBench: 10 devices × 100 points at 1 Hz, published as the agent
// publishes them at its default settings: every second, the samples of each device (one poll, one
// time stamp) form one entry (productKey, deviceKey, time, measurepoints) of a
// `thing.measurepoint.post.batch` on the gateway's topic, and a request takes whole devices up to
// `batchSamples` (200) samples. Values are quantized as the registers that carry them are
// (0.1 V, 0.01 A, 0.1 kW, 0.1 °C) and scaled as the agent's codec does (raw × scale).
import EdgeCompute
import EnOS
import Foundation

/// One point's kind: what it measures, its register resolution and its noise.
enum FleetQuantity: CaseIterable {
    case voltage, current, power, temperature

    var name: String {
        switch self {
        case .voltage: return "voltage"
        case .current: return "current"
        case .power: return "power"
        case .temperature: return "temperature"
        }
    }

    /// Register resolution (the template's `scale`).
    var scale: Double {
        switch self {
        case .voltage: return 0.1
        case .current: return 0.01
        case .power: return 0.1
        case .temperature: return 0.1
        }
    }
}

/// A device's 100 points: 30 voltages, 30 currents, 20 powers, 20 temperatures.
func fleetQuantity(_ point: Int) -> FleetQuantity {
    point < 30 ? .voltage : point < 60 ? .current : point < 80 ? .power : .temperature
}

/// The true trace of one point for `seconds` s (fixed seed per device and point): a level, a slow
/// drift, noise, and steps (a tap change, a load switching, a cloud over a PV string).
func fleetTrace(device: Int, point: Int, seconds: Int) -> [Double] {
    var noise = Noise(state: 0x9E37_79B9_7F4A_7C15 ^ UInt64(device * 1_000 + point + 1) &* 0xBF58_476D_1CE4_E5B9)
    let quantity = fleetQuantity(point)
    let u = noise.uniform(), v = noise.uniform()
    var out: [Double] = []
    out.reserveCapacity(seconds)
    var level = 0.0
    for i in 0..<seconds {
        let t = Double(i)
        let value: Double
        switch quantity {
        case .voltage:
            // 230 V ± a few volts over minutes, σ 0.3 V, a +6 V tap change for 120 s.
            let start = 200 + Int(u * 500)
            let step = i >= start && i < start + 120 ? 6.0 : 0.0
            value = 228 + 4 * u + 3 * sin(t * 2 * .pi / (400 + 400 * v)) + step + 0.3 * noise.normal()
        case .current:
            // 20 to 80 A, a load switching every few minutes (±25 %), σ 0.1 % of the value.
            if i % (120 + Int(u * 240)) == 0 { level = (20 + 60 * noise.uniform()) }
            let base = level == 0 ? 20 + 60 * v : level
            value = base * (1 + 0.05 * sin(t * 2 * .pi / 900)) * (1 + 0.001 * noise.normal())
        case .power:
            // 50 to 500 kW with a ramp (PV through the morning) and a cloud (−40 % for 60 s).
            let start = 100 + Int(v * 800)
            let cloud = i >= start && i < start + 60 ? 0.6 : 1.0
            value = (50 + 450 * u) * (1 + t / Double(seconds) * 0.3) * cloud * (1 + 0.0015 * noise.normal())
        case .temperature:
            // 25 to 65 °C drifting by a few degrees, σ 0.05 °C.
            value = 25 + 40 * u + 3 * sin(t * 2 * .pi / 3_600 + 6 * v) + 0.05 * noise.normal()
        }
        // The register holds round(value / scale); the agent decodes raw × scale.
        out.append((value / quantity.scale).rounded() * quantity.scale)
    }
    return out
}

/// Uplink figures of one way of sending the fleet's samples.
struct FleetFigures {
    var messages = 0
    var bytes = 0
    var samples = 0
}

/// The fleet's uplink with every sample sent, and with a `percent` deadband on every point; the
/// cloud holds the last value of each point it got and is compared with the truth every second.
@MainActor func runFleet(devices: Int, points: Int, seconds: Int, percent: Double)
    -> (every: FleetFigures, deadband: FleetFigures, worstErrorPercent: Double, outside: Int) {
    var traces: [[Double]] = []
    for d in 0..<devices { for p in 0..<points { traces.append(fleetTrace(device: d, point: p, seconds: seconds)) } }
    var ids: [String] = []
    for p in 0..<points { ids.append(fleetQuantity(p).name + String(p % 30 + 1)) }
    var filters = [ReportFilter](repeating: ReportFilter(ReportFilterSettings(deadbandPercent: percent)), count: devices * points)
    var held = [Double](repeating: 0, count: devices * points)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 1)
    defer { buffer.deallocate() }
    let topicBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 1)
    defer { topicBuffer.deallocate() }
    let topicBytes = EnOSTopic.request(.measurepointPostBatch, productKey: "demoGatewayPK", deviceKey: "demo-gateway",
                                       into: topicBuffer) ?? 0
    var every = FleetFigures(), filtered = FleetFigures()
    var worst = 0.0
    var outside = 0
    var requestId: UInt32 = 0

    /// Sends one second's entries (device → its points to send) as the agent would: requests of
    /// whole devices up to 200 samples.
    func send(_ entries: [(device: Int, points: [Int])], time: Int64, second: Int, into figures: inout FleetFigures) {
        var i = 0
        while i < entries.count {
            requestId &+= 1
            guard var m = try? EnOSMeasurepointMessage(kind: .measurepointPostBatch, requestId: requestId, buffer: buffer,
                                                       allowOfflineSubDevice: true, skipInvalidMeasurepoints: true) else { return }
            var count = 0
            while i < entries.count && (count == 0 || count + entries[i].points.count <= 200) {
                let (d, list) = entries[i]
                m.beginEntry(productKey: "demoMeterPK", deviceKey: "meter-" + String(d + 1), timeMilliseconds: time)
                for p in list { _ = m.addPoint(ids[p], .double(traces[d * points + p][second])) }
                _ = m.endEntry()
                count += list.count
                i += 1
            }
            guard let payload = m.finish() else { return }
            let remaining = 2 + topicBytes + 2 + payload.count
            var lengthBytes = 1
            var n = remaining
            while n >= 128 { n /= 128; lengthBytes += 1 }
            figures.messages += 1
            figures.bytes += 1 + lengthBytes + remaining
            figures.samples += count
        }
    }

    let all = Array(0..<points)
    for s in 0..<seconds {
        let time = t0 + Int64(s) * 1_000
        var everyEntries: [(device: Int, points: [Int])] = []
        var reported: [(device: Int, points: [Int])] = []
        for d in 0..<devices {
            everyEntries.append((d, all))
            var list: [Int] = []
            for p in 0..<points {
                let k = d * points + p
                let v = traces[k][s]
                if filters[k].decide(value: v, good: true, at: time).isReported {
                    list.append(p)
                    held[k] = v
                }
                let error = abs(v - held[k])
                worst = max(worst, error / abs(held[k]) * 100)
                if error > percent / 100 * abs(held[k]) { outside += 1 }
            }
            if !list.isEmpty { reported.append((d, list)) }
        }
        send(everyEntries, time: time, second: s, into: &every)
        send(reported, time: time, second: s, into: &filtered)
    }
    return (every, filtered, worst, outside)
}
