// AlarmBench (issue 14): what 1,000 alarm rules cost the agent. Host-only (Foundation allowed).
// Prints "key<TAB>value" lines; Tools/bench.d/80-alarms.sh turns them into the BENCHMARKS.md section.
//
// 1. Evaluation: 1,000 rules (10 per inverter × 100 inverters of 10 points: high/low limits with
//    hysteresis, EdgeCompute expressions, rate of change, state change, stale data, offline) in the
//    agent's `AlarmStation`; each turn one batch of 1,000 samples (`observe`) then one evaluation
//    (`evaluateAndStoreIfDue`, records encoded), beside two references run alternately in the same process:
//    the same 1,000 samples stored into plain arrays with 1,000 plain comparisons, and with 1,000
//    EdgeCompute formula evaluations of the rules' conditions. Processor time (clock()).
// 2. RAM: the rule set, the evaluator's state and the station's arrays as sized at load, from their
//    capacities, beside the heap's growth (mallinfo2) and the resident set's.
// 3. Raise latency: condition true → alarm record durable in the ring log, on a ManualClock, through
//    AlarmStation and StoreAndForward (memory flash device, the default 100 ms group commit).
import Agent
import Configuration
import EdgeAlarms
import EdgeCompute
import EdgeCore
import FieldBus
import Foundation
import RingLog
import StoreForward
import TestSupport

@_silgen_name("edge_heap_in_use")
func edgeHeapInUse() -> Int

let arguments = ProcessInfo.processInfo.arguments
let turnsPerRound = arguments.count > 1 ? Int(arguments[1]) ?? 10_000 : 10_000
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5

let devices = 100
let pointsPerDevice = 10
let pointNames = ["TEMP", "W", "VAR", "STATUS", "HUM", "V", "A", "HZ", "PF", "E"]
@MainActor func point(_ name: String) -> Int { pointNames.firstIndex(of: name)! }

@MainActor func out(_ key: String, _ value: Any) { print("\(key)\t\(value)") }
@MainActor func fail(_ what: String) -> Never {
    FileHandle.standardError.write("AlarmBench: \(what)\n".data(using: .utf8)!)
    exit(1)
}

// MARK: - The rules

/// One rule of each kind per inverter, with delays, levels, messages and outputs as a template
/// would stamp them; and the EdgeCompute formula the reference evaluates for it.
let kinds: [(name: String, condition: AlarmConditionDefinition, onDelay: UInt32, offDelay: UInt32, level: AlarmLevel, formula: String)] = [
    ("overTemp", .high(point: "TEMP", limit: 80, hysteresis: 5), 10_000, 30_000, .major, "TEMP > 80"),
    ("underTemp", .low(point: "TEMP", limit: -20, hysteresis: 2), 60_000, 60_000, .minor, "TEMP < -20"),
    ("overVoltage", .high(point: "V", limit: 253, hysteresis: 2), 5_000, 10_000, .major, "V > 253"),
    ("underVoltage", .low(point: "V", limit: 207, hysteresis: 2), 5_000, 10_000, .major, "V < 207"),
    ("lowPowerFactor", .expression("W > 1000 && PF < 0.8"), 30_000, 30_000, .warning, "W > 1000 && PF < 0.8"),
    ("frequency", .expression("abs(HZ - 50) > 0.5"), 2_000, 5_000, .critical, "abs(HZ - 50) > 0.5"),
    ("powerRamp", .rateOfChange(point: "W", perSecond: 500), 0, 60_000, .info, "W > 500"),
    ("statusChange", .stateChange(point: "STATUS"), 0, 60_000, .info, "STATUS != 0"),
    ("energyStale", .stale(point: "E", afterMilliseconds: 600_000), 0, 0, .warning, "E > 0"),
    ("offline", .offline, 30_000, 0, .critical, "TEMP > 1000"),
]

@MainActor func definition(device d: Int, kind k: Int, onDelay: UInt32? = nil) -> AlarmDefinition {
    let kind = kinds[k]
    return AlarmDefinition(identifier: "inverter\(d)-\(kind.name)", device: d, condition: kind.condition,
                           onDelayMilliseconds: onDelay ?? kind.onDelay, offDelayMilliseconds: kind.offDelay,
                           level: kind.level, message: "\(kind.name): temperature {TEMP} °C, power {W} W",
                           eventId: kind.name,
                           outputs: [AlarmOutputDefinition("temp", .point("TEMP")), AlarmOutputDefinition("power", .point("W")),
                                     AlarmOutputDefinition("desc", .message), AlarmOutputDefinition("level", .level),
                                     AlarmOutputDefinition("state", .state)])
}

@MainActor func resolver(_ d: Int) -> (String) -> Int? {
    { name in pointNames.firstIndex(of: name).map { d * pointsPerDevice + $0 } }
}

@MainActor func thousandRules() -> AlarmSettings {
    var b = AlarmRuleSetBuilder()
    do {
        for d in 0..<devices {
            for k in kinds.indices { try b.add(definition(device: d, kind: k), resolve: resolver(d)) }
        }
    } catch { fail("rule: \(error)") }
    return AlarmSettings(rules: b.finish(), slotBase: (0..<devices).map { $0 * pointsPerDevice },
                         slotCount: devices * pointsPerDevice)
}

// MARK: - 2. RAM at load (measured first, on a quiet heap)

@MainActor func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

_ = AlarmStation(thousandRules(), devices: devices)  // one-time runtime allocations (metadata) are not the rules'
let heapBefore = edgeHeapInUse()
let residentBefore = residentBytes()
let station = AlarmStation(thousandRules(), devices: devices)
let heapGrowth = edgeHeapInUse() - heapBefore
let residentGrowth = residentBytes() - residentBefore

do {
    let rules = station.evaluator.rules
    let n = rules.count
    let slots = devices * pointsPerDevice
    let ruleArray = rules.rules.capacity * MemoryLayout<AlarmRule>.stride
    let code = rules.code.memoryBytes
    let texts = rules.texts.capacity
    let captures = rules.captures.capacity * MemoryLayout<UInt32>.stride
    let outputs = rules.outputs.capacity * MemoryLayout<AlarmOutput>.stride
    let state = station.evaluator.memoryBytes - rules.memoryBytes
    // AlarmStation.init: values, qualities, times per slot; online per device; slotBase; one record
    // buffer; per rule its last transition's record (slots sized to the rule's captures, their
    // offsets) and the sequence number of its raise ("still active" copies). The console's
    // snapshot (`AlarmConsoleTable`) copies the records and adds a state and a raise time.
    let inputs = slots * (MemoryLayout<Double>.stride + MemoryLayout<InputQuality>.stride + MemoryLayout<Int64>.stride)
        + devices * (MemoryLayout<Bool>.stride + MemoryLayout<Int>.stride) + AlarmRecord.maximumSize
    let console = station.recordSlots.byteCount + station.recordSlots.offsets.capacity * MemoryLayout<UInt32>.stride
        + n * MemoryLayout<UInt64>.stride
    let snapshot = station.recordSlots.byteCount + n * (MemoryLayout<UInt8>.stride + MemoryLayout<Int64>.stride)
    out("rules", n)
    out("ruleBytes", ruleArray)
    out("ruleStride", MemoryLayout<AlarmRule>.stride)
    out("codeBytes", code)
    out("textBytes", texts)
    out("captureBytes", captures)
    out("outputBytes", outputs)
    out("ruleSetBytes", rules.memoryBytes)
    out("stateBytes", state)
    out("stateStride", AlarmEvaluator.stateBytesPerRule)
    out("evaluatorBytes", station.evaluator.memoryBytes)
    out("inputBytes", inputs)
    out("consoleBytes", console)
    out("snapshotBytes", snapshot)
    out("totalBytes", station.evaluator.memoryBytes + inputs + console + snapshot)
    out("heapGrowth", heapGrowth)
    out("residentGrowth", residentGrowth)
}

// MARK: - 1. Evaluation cost

/// A deterministic plant: slow waves (each inverter at its own phase) plus noise; every few
/// hundred turns an inverter runs hot, its power factor sags, its status changes.
struct Plant {
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func noise() -> Double {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return Double(Int64(bitPattern: seed >> 11) % 2001 - 1000) / 1000
    }
    static func wave(_ k: Int, _ d: Int, _ period: Int) -> Double {
        let x = Double((k + d * 37) % period) / Double(period)
        return x < 0.5 ? 2 * x : 2 - 2 * x
    }
    mutating func value(turn k: Int, device d: Int, point p: Int) -> Double {
        switch p {
        case 0: return 50 + 35 * Plant.wave(k, d, 300) + 0.5 * noise()          // TEMP
        case 1: return 800 + 400 * Plant.wave(k, d, 120) + 20 * noise()         // W
        case 2: return 100 + 5 * noise()                                         // VAR
        case 3: return Double(((k + d * 11) / 150) % 3)                         // STATUS
        case 4: return 40 + noise()                                              // HUM
        case 5: return 230 + 3 * noise()                                         // V
        case 6: return (800 + 400 * Plant.wave(k, d, 120)) / 230                // A
        case 7: return 50 + 0.1 * noise()                                        // HZ
        case 8: return 0.95 - 0.2 * Plant.wave(k, d, 90)                         // PF
        default: return Double(k) * 0.3                                         // E
        }
    }
}

let traceTurns = 600
let slotCount = devices * pointsPerDevice
var trace = [Double](repeating: 0, count: traceTurns * slotCount)
do {
    var plant = Plant()
    for k in 0..<traceTurns {
        for d in 0..<devices { for p in 0..<pointsPerDevice { trace[k * slotCount + d * pointsPerDevice + p] = plant.value(turn: k, device: d, point: p) } }
    }
}

let pollMilliseconds: Int64 = 1_000
let startTime: Int64 = 1_767_225_600_000
var turn = 0
var transitions = 0

/// One agent turn: a batch of 1,000 samples observed, then the rules evaluated (records encoded).
@MainActor func stationTurns(_ n: Int, evaluate: Bool = true) {
    trace.withUnsafeBufferPointer { t in
        for _ in 0..<n {
            let base = (turn % traceTurns) * slotCount
            let time = WallTime(milliseconds: startTime + Int64(turn) * pollMilliseconds)
            for s in 0..<slotCount {
                station.observe(Sample(device: s / pointsPerDevice, point: s % pointsPerDevice,
                                       value: .double(t[base + s]), quality: .good, time: time))
            }
            if evaluate {
                station.evaluateAndStoreIfDue(wallNow: time.milliseconds) { _, _ in transitions += 1; return nil }
            }
            turn += 1
        }
    }
}

// Reference inputs: the same samples stored into plain arrays (value, quality, time).
var refValues = [Double](repeating: 0, count: slotCount)
var refQualities = [InputQuality](repeating: .good, count: slotCount)
var refTimes = [Int64](repeating: 0, count: slotCount)
var refTurn = 0
var refMet = 0

/// Reference: per rule one comparison of its point with a limit (`value > limit`), held in a Bool.
let comparisonSlots: [Int] = (0..<devices).flatMap { d in kinds.indices.map { k in d * pointsPerDevice + [0, 0, 5, 5, 1, 7, 1, 3, 9, 0][k] } }
let comparisonLimits: [Double] = (0..<devices).flatMap { _ in [80, -20, 253, 207, 1000, 50.5, 500, 0, 0, 1000] }
var comparisonHeld = [Bool](repeating: false, count: devices * kinds.count)

@MainActor func comparisonTurns(_ n: Int) {
    trace.withUnsafeBufferPointer { t in
        refValues.withUnsafeMutableBufferPointer { v in
            refTimes.withUnsafeMutableBufferPointer { times in
                comparisonSlots.withUnsafeBufferPointer { slots in
                    comparisonLimits.withUnsafeBufferPointer { limits in
                        comparisonHeld.withUnsafeMutableBufferPointer { held in
                            for _ in 0..<n {
                                let base = (refTurn % traceTurns) * slotCount
                                let time = startTime + Int64(refTurn) * pollMilliseconds
                                for s in 0..<slotCount { v[s] = t[base + s]; times[s] = time }
                                for r in 0..<slots.count {
                                    let met = v[slots[r]] > limits[r]
                                    if met != held[r] { refMet += 1; held[r] = met }
                                }
                                refTurn += 1
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Reference: per rule the EdgeCompute program of its condition (`formula` above), compiled alone.
let programs: [FormulaProgram] = (0..<devices).flatMap { d in
    kinds.map { kind in
        do { return try FormulaCompiler.compile(kind.formula, resolve: resolver(d)) } catch { fail("formula \(kind.formula): \(error)") }
    }
}
var formulaHeld = [Bool](repeating: false, count: programs.count)

@MainActor func formulaTurns(_ n: Int) {
    trace.withUnsafeBufferPointer { t in
        refValues.withUnsafeMutableBufferPointer { v in
            refTimes.withUnsafeMutableBufferPointer { times in
                refQualities.withUnsafeBufferPointer { q in
                    formulaHeld.withUnsafeMutableBufferPointer { held in
                        for _ in 0..<n {
                            let base = (refTurn % traceTurns) * slotCount
                            let time = startTime + Int64(refTurn) * pollMilliseconds
                            for s in 0..<slotCount { v[s] = t[base + s]; times[s] = time }
                            for r in 0..<programs.count {
                                let result = programs[r].evaluate(values: UnsafeBufferPointer(v), qualities: q)
                                let met = result.isGood && result.value != 0
                                if met != held[r] { refMet += 1; held[r] = met }
                            }
                            refTurn += 1
                        }
                    }
                }
            }
        }
    }
}

@MainActor func cpuSeconds(_ body: () -> Void) -> Double {
    let start = clock()
    body()
    return Double(clock() - start) / Double(CLOCKS_PER_SEC)
}

// Warm up (and let every rule leave its first state), then alternate the four loops.
stationTurns(traceTurns)
comparisonTurns(100)
formulaTurns(100)
transitions = 0
var stationTimes: [Double] = [], observeTimes: [Double] = [], comparisonTimes: [Double] = [], formulaTimes: [Double] = []
var allocations: UInt64 = 0
var countedTurns = 0
for _ in 0..<rounds {
    var seconds = 0.0
    let counted = AllocationCounter.count { seconds = cpuSeconds { stationTurns(turnsPerRound) } }
    allocations += counted.allocations
    countedTurns += turnsPerRound
    stationTimes.append(seconds)
    observeTimes.append(cpuSeconds { stationTurns(turnsPerRound, evaluate: false) })
    comparisonTimes.append(cpuSeconds { comparisonTurns(turnsPerRound) })
    formulaTimes.append(cpuSeconds { formulaTurns(turnsPerRound) })
}
@MainActor func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
@MainActor func nanosecondsPerTurn(_ seconds: Double) -> Double { seconds * 1e9 / Double(turnsPerRound) }
out("turnsPerRound", turnsPerRound)
out("rounds", rounds)
out("samplesPerTurn", slotCount)
out("stationTurnNs", Int(nanosecondsPerTurn(median(stationTimes))))
out("observeTurnNs", Int(nanosecondsPerTurn(median(observeTimes))))
out("comparisonTurnNs", Int(nanosecondsPerTurn(median(comparisonTimes))))
out("formulaTurnNs", Int(nanosecondsPerTurn(median(formulaTimes))))
// Ratios per round (the same round's loops ran back to back), then their median.
out("stationOverComparison", String(format: "%.1f", median(zip(stationTimes, comparisonTimes).map { $0 / $1 })))
out("stationOverFormula", String(format: "%.2f", median(zip(stationTimes, formulaTimes).map { $0 / $1 })))
out("evaluateOverFormula", String(format: "%.2f", median((0..<rounds).map { (stationTimes[$0] - observeTimes[$0]) / formulaTimes[$0] })))
out("allocationsPerTurn", String(format: "%.3f", Double(allocations) / Double(countedTurns)))
out("allocations", allocations)
// The count means something only with the counting malloc linked in (not under a sanitizer), and
// only if it sees an allocation made on purpose.
let probe = AllocationCounter.count { withExtendedLifetime(UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)) { $0.deallocate() } }
if !AllocationCounter.isActive || probe.allocations == 0 { fail("the malloc counter is not active: allocations cannot be counted") }
out("transitionsPerTurn", String(format: "%.2f", Double(transitions) / Double(countedTurns)))
do {
    let c = station.raisedCounts()
    var raised = 0
    for i in c.indices { raised += c[i] }
    out("raisedAtEnd", raised)
}
out("referenceFlips", refMet)

// MARK: - 3. Raise latency

/// One inverter (10 points) polled every `poll` ms, one rule `TEMP` high 80/5 with `onDelay`; the
/// temperature steps from 70 to 90 at `t0` (`phase` ms after a poll). The loop is the agent's:
/// each poll's samples go to the station and the store (the record flushed after the batch), the
/// rules are evaluated when due and a raise is appended to the ring log right after the batch and
/// synced at once (AgentLoop.evaluateAlarms); the store's timers run every millisecond.
/// Returns the milliseconds from `t0` to the raise's record being durable, from `t0` to its append,
/// and the raise's time stamp minus `t0`.
@MainActor func raiseLatency(poll: Int64, onDelay: UInt32, phase: Int64) -> (durable: Int64, appended: Int64, stamp: Int64) {
    var b = AlarmRuleSetBuilder()
    do { try b.add(definition(device: 0, kind: 0, onDelay: onDelay), resolve: resolver(0)) } catch { fail("rule: \(error)") }
    let settings = AlarmSettings(rules: b.finish(), slotBase: [0], slotCount: pointsPerDevice)
    let station = AlarmStation(settings, devices: 1)
    let clock = ManualClock()
    var options = RingLogOptions()
    options.writeBufferSize = 4096
    let device = MemoryFlashDevice(geometry: FlashGeometry(size: 64 * 4096, sectorSize: 4096))
    var store: StoreAndForward<MemoryFlashDevice, ManualClock>
    do {
        let log = try RingLog(device: device, clock: clock, options: options)
        store = StoreAndForward(log: log, clock: clock, settings: PublishingSettings(), devices: 1)
    } catch { fail("ring log: \(error)") }
    let start = clock.wallNow().milliseconds
    let t0 = start + 5 * poll + phase
    var nextPoll = start
    var alarmSequence: UInt64? = nil
    var appended: Int64 = 0
    var stamp: Int64 = 0
    while clock.wallNow().milliseconds < t0 + 10 * poll + Int64(onDelay) + 10_000 {
        let now = clock.wallNow().milliseconds
        if now >= nextPoll {
            for p in 0..<pointsPerDevice {
                let value = p == 0 ? (now >= t0 ? 90.0 : 70.0) : 1.0
                let sample = Sample(device: 0, point: p, value: .double(value), quality: .good, time: WallTime(milliseconds: now))
                station.observe(sample)
                do { try store.record(sample) } catch { fail("record: \(error)") }
            }
            do { try store.flushRecord() } catch { fail("flush: \(error)") }
            nextPoll += poll
        }
        var raised = false
        station.evaluateAndStoreIfDue(wallNow: now) { bytes, time in
            do { try store.appendAlarm(bytes, time: time) } catch { fail("appendAlarm: \(error)") }
            alarmSequence = store.log.nextAppendSequence - 1
            appended = now - t0
            stamp = time.milliseconds - t0
            raised = true
            return alarmSequence
        }
        // As AgentLoop.evaluateAlarms: a transition is synced at once, not at the group commit.
        if raised { do { try store.sync() } catch { fail("sync: \(error)") } }
        do { try store.tick() } catch { fail("tick: \(error)") }
        if let s = alarmSequence, (store.log.durableSequence ?? 0) >= s { return (now - t0, appended, stamp) }
        clock.advance(milliseconds: 1)
    }
    fail("no durable raise (poll \(poll), on-delay \(onDelay), phase \(phase))")
}

out("syncIntervalMs", RingLogOptions().syncIntervalMilliseconds)
for (poll, onDelay) in [(Int64(1_000), UInt32(0)), (1_000, 10_000), (1_000, 2_500), (5_000, 10_000)] {
    var worst: (durable: Int64, appended: Int64, stamp: Int64) = (Int64.min, Int64.min, Int64.min)
    var best: Int64 = Int64.max
    var phases = 0
    for i in 0..<20 {
        // t0 from 1 ms after a poll (the worst case: seen at the next one) to on a poll.
        let phase = 1 + Int64(i) * (poll - 1) / 19
        let r = raiseLatency(poll: poll, onDelay: onDelay, phase: phase)
        worst = (max(worst.durable, r.durable), max(worst.appended, r.appended), max(worst.stamp, r.stamp))
        best = min(best, r.durable)
        phases += 1
    }
    print("latency\t\(poll)\t\(onDelay)\t\(phases)\t\(best)\t\(worst.durable)\t\(worst.appended)\t\(worst.stamp)")
}
