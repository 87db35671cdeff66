import Testing
import TestSupport

/// The random tests (the SIGKILL sweep, the console's garbage input) can be replayed: the seed
/// comes from EDGE_TEST_SEED when it is set, and the same seed draws the same numbers.
@Suite struct TestSeedTests {
    @Test func aSeedFromTheEnvironmentIsUsedAsGiven() {
        #expect(TestSeed.seed(for: "TestSeedTests", environment: ["EDGE_TEST_SEED": "1234567890"]) == 1_234_567_890)
        #expect(TestSeed.seed(for: "TestSeedTests", environment: ["EDGE_TEST_SEED": "0xff"]) == 255)
    }

    @Test func withoutOneEachRunDrawsItsOwn() {
        let a = TestSeed.seed(for: "TestSeedTests", environment: [:])
        let b = TestSeed.seed(for: "TestSeedTests", environment: ["EDGE_TEST_SEED": "not a number"])
        #expect(a != b)
    }

    @Test func theSameSeedDrawsTheSameNumbers() {
        var first = SeededGenerator(seed: 7)
        var second = SeededGenerator(seed: 7)
        var other = SeededGenerator(seed: 8)
        let a = (0..<16).map { _ in UInt32.random(in: 0...30_000, using: &first) }
        let b = (0..<16).map { _ in UInt32.random(in: 0...30_000, using: &second) }
        let c = (0..<16).map { _ in UInt32.random(in: 0...30_000, using: &other) }
        #expect(a == b)
        #expect(a != c)
    }
}
