// DeadbandBench: uplink bytes of one point on a 1 Hz noisy trace, every sample sent against
// report-by-exception with a percentage deadband (issue 13). Host-only (Foundation allowed).
// Each sent sample is one thing.measurepoint.post built by the agent's own encoder
// (EnOSMeasurepointMessage) in an MQTT QoS 1 PUBLISH; the cloud holds the last value it got, and
// every second that value is compared with the true one. Deterministic (a fixed PRNG seed).
//
// The fleet case (Fleet.swift): 10 devices × 100 points (voltages, currents, powers,
// temperatures) at 1 Hz for SECONDS s, grouped into thing.measurepoint.post.batch requests as the
// agent groups them; its keys start with "fleet".
//
// usage: DeadbandBench [SAMPLES] [DEADBAND_PERCENT] [FLEET_SECONDS]   prints "key<TAB>value" lines
import EdgeCompute
import EnOS
import Foundation

let arguments = ProcessInfo.processInfo.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 1_000 : 1_000
let percent = arguments.count > 2 ? Double(arguments[2]) ?? 0.5 : 0.5

let fleetSeconds = arguments.count > 3 ? Int(arguments[3]) ?? 1_000 : 1_000

/// xorshift64*, and Box-Muller for a normal deviate: the same trace on every run.
struct Noise {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func uniform() -> Double {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        let bits = (state &* 0x2545_F491_4F6C_DD1D) >> 11
        return Double(bits) / 9_007_199_254_740_992.0
    }
    mutating func normal() -> Double {
        let r = (-2.0 * log(max(uniform(), 1e-300))).squareRoot()
        let angle = 2.0 * Double.pi * uniform()
        return r * cos(angle)
    }
}

/// A phase voltage: 230 V with a slow 10-minute swing of ±4 V, measurement noise of σ 0.3 V,
/// and a +8 V step between seconds 600 and 700 (a tap change).
let t0: Int64 = 1_767_225_600_000
var noise = Noise()
var trace: [Double] = []
for i in 0..<count {
    let swing: Double = 4.0 * sin(Double(i) * 2.0 * Double.pi / 600.0)
    let step: Double = i >= 600 && i < 700 ? 8.0 : 0.0
    trace.append(230.0 + swing + 0.3 * noise.normal() + step)
}

let topic = "/sys/demoMeterPK/demo-meter-1/thing/measurepoint/post"
let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
defer { buffer.deallocate() }

/// Bytes on the uplink for one sample: the PUBLISH's fixed header, topic, packet id and payload.
@MainActor func publishBytes(_ value: Double, at time: Int64, id: UInt32) -> Int {
    guard var m = try? EnOSMeasurepointMessage(kind: .measurepointPost, requestId: id, buffer: buffer) else { return 0 }
    _ = m.beginEntry(timeMilliseconds: time)
    _ = m.addPoint("voltageL1", .double(value))
    _ = m.endEntry()
    guard let payload = m.finish() else { return 0 }
    let remaining = 2 + topic.utf8.count + 2 + payload.count
    var lengthBytes = 1
    var n = remaining
    while n >= 128 { n /= 128; lengthBytes += 1 }
    return 1 + lengthBytes + remaining
}

var everyBytes = 0
var filteredBytes = 0
var sent = 0
var filter = ReportFilter(ReportFilterSettings(deadbandPercent: percent))
var held = 0.0
var worst = 0.0
var outside = 0
for (i, v) in trace.enumerated() {
    let time = t0 + Int64(i) * 1_000
    everyBytes += publishBytes(v, at: time, id: UInt32(i + 1))
    if filter.decide(value: v, good: true, at: time).isReported {
        filteredBytes += publishBytes(v, at: time, id: UInt32(sent + 1))
        sent += 1
        held = v
    }
    // What the cloud shows now (the last value it got) against the truth.
    let error = abs(v - held)
    worst = max(worst, error / abs(held) * 100)
    if error > percent / 100 * abs(held) { outside += 1 }
}

print("samples\t\(count)")
print("deadbandPercent\t\(percent)")
print("everyMessages\t\(count)")
print("everyBytes\t\(everyBytes)")
print("deadbandMessages\t\(sent)")
print("deadbandBytes\t\(filteredBytes)")
print("saving\t\(String(format: "%.1f", 100 * (1 - Double(filteredBytes) / Double(everyBytes))))")
print("worstErrorPercent\t\(String(format: "%.3f", worst))")
print("outsideDeadband\t\(outside)")

let fleet = runFleet(devices: 10, points: 100, seconds: fleetSeconds, percent: percent)
let fleetPoints = 1_000
print("fleetPoints\t\(fleetPoints)")
print("fleetSeconds\t\(fleetSeconds)")
print("fleetEveryMessages\t\(fleet.every.messages)")
print("fleetEveryBytes\t\(fleet.every.bytes)")
print("fleetEverySamples\t\(fleet.every.samples)")
print("fleetEveryBytesPerPointSecond\t\(String(format: "%.2f", Double(fleet.every.bytes) / Double(fleetPoints * fleetSeconds)))")
print("fleetDeadbandMessages\t\(fleet.deadband.messages)")
print("fleetDeadbandBytes\t\(fleet.deadband.bytes)")
print("fleetDeadbandSamples\t\(fleet.deadband.samples)")
print("fleetDeadbandBytesPerPointSecond\t\(String(format: "%.2f", Double(fleet.deadband.bytes) / Double(fleetPoints * fleetSeconds)))")
print("fleetSaving\t\(String(format: "%.1f", 100 * (1 - Double(fleet.deadband.bytes) / Double(max(1, fleet.every.bytes)))))")
print("fleetWorstErrorPercent\t\(String(format: "%.3f", fleet.worstErrorPercent))")
print("fleetOutsideDeadband\t\(fleet.outside)")
