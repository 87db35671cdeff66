/// Randomness for reconnect jitter, injected so tests are deterministic.
public protocol MQTTRandomSource {
    /// A uniformly distributed 64-bit value.
    mutating func next() -> UInt64
}

/// SplitMix64: a small, fast, seedable generator (not for cryptography). Seed it from something
/// that differs between gateways (clock, MAC address) so that a fleet does not reconnect in step.
public struct SplitMix64: MQTTRandomSource, Sendable {
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
