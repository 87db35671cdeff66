import Foundation

/// The seed of a test that draws random numbers (kill moments, garbage input), so that a failure
/// can be replayed: EDGE_TEST_SEED=N runs with seed N, otherwise a fresh one is drawn. The seed
/// is printed either way (`seed(for:)`), and goes into the failure messages of the tests.
public enum TestSeed {
    /// The name of the environment variable that fixes the seed.
    public static let variable = "EDGE_TEST_SEED"

    /// The seed for `test`: EDGE_TEST_SEED when set in `environment` (decimal or 0x-hex), else a
    /// random one. Prints "<test>: seed N (replay: EDGE_TEST_SEED=N)".
    public static func seed(for test: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) -> UInt64 {
        var seed: UInt64
        if let text = environment[variable], let given = parse(text) {
            seed = given
        } else {
            var system = SystemRandomNumberGenerator()
            seed = system.next()
        }
        print("\(test): seed \(seed) (replay: \(variable)=\(seed))")
        return seed
    }

    static func parse(_ text: String) -> UInt64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }
}

/// A small, fast generator whose whole sequence follows from its seed (SplitMix64), for tests
/// that must replay the same random choices from `TestSeed`.
public struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
