import EdgeCompute
import EdgeCore
import FieldBus
import Testing

/// Window operators in the configuration (`"window"`, `"aggregate"` on a derived point): loaded
/// with the counter width of a plain unsigned counter; a window on a polled point, a missing half,
/// an unknown aggregate or a length that does not divide a day is refused at its place.
@Suite struct WindowConfigurationTests {
    static let text = DerivedPointConfigurationTests.text
    static let errors = DerivedPointConfigurationTests.errors

    @Test func windowedDerivedPointsAreLoadedWithTheirCounterWidth() throws {
        let c = try DerivedPointConfigurationTests.parse(Self.text(#"""
            , {"id": "E", "formula": "W / 3.6e6", "window": "5m", "aggregate": "integral"},
              {"id": "A_rate", "formula": " A ", "window": "1m", "aggregate": "rate"},
              {"id": "W_delta", "formula": "W", "window": "15s", "aggregate": "delta"},
              {"id": "W_avg", "formula": "W", "window": "1h", "aggregate": "avg", "deadband": 5}
            """#, #", {"name": "plant", "type": "virtual", "points": [{"id": "A_sum", "formula": "inv1.A", "window": "1d", "aggregate": "delta"}]}"#))
        let points = c.templates[0].points
        #expect(points[3].window == PointWindow(operation: .integral, lengthMs: 300_000))
        #expect(points[6].window == PointWindow(operation: .average, lengthMs: 3_600_000))
        #expect(points[6].report.deadband == 5)
        #expect(points[0].window == nil)
        let plan = try ComputePlan.build(c)
        let windows = plan.derived.filter { $0.device == 0 }.map { $0.window?.operation }
        // A (uint16, unscaled) is a counter; W is signed and scaled by W_SF: no wrap-around.
        #expect(windows == [.integral, .rate(counterBits: 16), .delta(counterBits: 0), .average])
        #expect(plan.derived.last?.window == PointWindow(operation: .delta(counterBits: 16), lengthMs: 86_400_000))
    }

    @Test func aWindowOnAPolledPointIsRefusedWithWhatToWriteInstead() {
        let e = Self.errors(Self.text(#", {"id": "V", "table": "holding", "address": 9, "type": "uint16", "window": "5m", "aggregate": "avg"}"#, ""))
        #expect(e.count == 1)
        #expect(e.first?.hasPrefix(#"site.json: templates[0].points[3].window (line 6, column "#) == true)
        #expect(e.first?.contains(#"applies to a derived point: keep this point live and add one that aggregates it, e.g. {"id": "W_avg", "formula": "W""#) == true)
    }

    @Test func aWindowWithoutAggregateOrAnAggregateWithoutWindowIsRefused() {
        let e1 = Self.errors(Self.text(#", {"id": "V", "formula": "W", "window": "5m"}"#, ""))
        #expect(e1.count == 1)
        #expect(e1.first?.contains(#"templates[0].points[3].window (line 6, "#) == true)
        #expect(e1.first?.hasSuffix(#""window" needs an "aggregate": one of avg, min, max, sum, first, last, delta, rate, integral"#) == true)
        let e2 = Self.errors(Self.text(#", {"id": "V", "formula": "W", "aggregate": "avg"}"#, ""))
        #expect(e2.count == 1)
        #expect(e2.first?.hasSuffix(#""aggregate" needs a "window" (e.g. "window": "5m")"#) == true)
    }

    @Test func anUnknownAggregateOrABadLengthIsRefusedAtItsValue() {
        let e1 = Self.errors(Self.text(#", {"id": "V", "formula": "W", "window": "5m", "aggregate": "mean"}"#, ""))
        #expect(e1.count == 1)
        #expect(e1.first?.contains("templates[0].points[3].aggregate") == true)
        let e2 = Self.errors(Self.text(#", {"id": "V", "formula": "W", "window": "7m", "aggregate": "avg"}"#, ""))
        #expect(e2.count == 1)
        #expect(e2.first?.hasSuffix(#"window "7m" does not divide a day: windows would not start at the same times every day (take e.g. 1m, 5m, 15m, 1h)"#) == true)
        let e3 = Self.errors(Self.text(#", {"id": "V", "formula": "W", "window": "2d", "aggregate": "avg"}"#, ""))
        #expect(e3.first?.hasSuffix(#"window "2d" is longer than a day"#) == true)
        let e4 = Self.errors(Self.text(#", {"id": "V", "formula": "W", "window": "5x", "aggregate": "avg"}"#, ""))
        #expect(e4.first?.hasSuffix(#"window unit "x" is none of ms, s, m, h, d"#) == true)
        #expect(e4.first?.contains("templates[0].points[3].window (line 6, column ") == true)
    }
}
