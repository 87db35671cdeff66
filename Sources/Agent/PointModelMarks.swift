import EdgeCore
import FieldBus
import CloudLink

/// The console's copy of each point's TSL model verdict (`ModelCheck.Verdict`), flat over the
/// devices' points; sized from the configuration, filled in place (no allocation).
public struct PointModelMarks: Sendable {
    var verdicts: [ModelCheck.Verdict]
    let firstPoint: [Int]
    let pointCounts: [Int]

    init(_ fieldBus: FieldBusConfiguration) {
        var first: [Int] = []
        var counts: [Int] = []
        var total = 0
        for d in fieldBus.devices {
            first.append(total)
            let n = fieldBus.templates[d.template].points.count
            counts.append(n)
            total += n
        }
        firstPoint = first
        pointCounts = counts
        verdicts = [ModelCheck.Verdict](repeating: .unchecked, count: total)
    }

    /// Refills from `verdict(device, point)`.
    mutating func copy(_ verdict: (Int, Int) -> ModelCheck.Verdict) {
        var d = 0
        while d < firstPoint.count {
            var p = 0
            while p < pointCounts[d] {
                verdicts[firstPoint[d] + p] = verdict(d, p)
                p += 1
            }
            d += 1
        }
    }

    public func verdict(device: Int, point: Int) -> ModelCheck.Verdict {
        guard device >= 0, device < firstPoint.count, point >= 0, point < pointCounts[device] else { return .unchecked }
        return verdicts[firstPoint[device] + point]
    }

    /// The mark after a point's line: nothing if the model takes it (or none was seen).
    public func write(device: Int, point: Int, into out: inout TextWriter) {
        switch verdict(device: device, point: point) {
        case .unknown: out.write("  [not in the TSL model: left out of posts]")
        case .mismatch: out.write("  [TSL model type differs: left out of posts]")
        default: break
        }
    }
}
