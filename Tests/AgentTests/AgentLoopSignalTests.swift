import Agent
import CShim
import EdgeCore
import Testing

/// Signals through the loop's poller: SIGHUP asks for a reload, SIGTERM and SIGINT for a stop, a
/// stop wins over a reload caught in the same turn, and each signal is acted on once.
@Suite struct AgentLoopSignalTests {
    @Test func sighupAsksForAReloadOnce() throws {
        var h = try LoopHarness()
        #expect(h.turn() == .running)
        h.poller.raise(SIGHUP)
        #expect(h.turn() == .reload)
        #expect(h.turn() == .running)
    }

    @Test func sigtermAndSigintAskForAStop() throws {
        var h = try LoopHarness()
        h.poller.raise(SIGTERM)
        #expect(h.turn() == .terminate)
        #expect(h.turn() == .running)
        h.poller.raise(SIGINT)
        #expect(h.turn() == .terminate)
    }

    @Test func aStopWinsOverAReloadCaughtInTheSameTurn() throws {
        var h = try LoopHarness()
        h.poller.raise(SIGHUP)
        h.poller.raise(SIGTERM)
        #expect(h.turn() == .terminate)
    }

    @Test func aSignalEndsTheWaitAtOnce() throws {
        var h = try LoopHarness()
        let before = h.now
        h.poller.raise(SIGHUP)
        #expect(h.turn() == .reload)
        #expect(h.now == before, "the turn waited \(h.now - before) ms with a signal pending")
    }
}
