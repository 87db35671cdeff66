import CShim
import EdgeCore
@testable import FieldBus
import Foundation
import Synchronization
import Testing

/// The bus thread's wake-up protocol (event queue + flag + pipe) under a producer racing the
/// agent's drain: a consumer that drains only when the pipe is readable, as the agent's poll loop
/// does, must see every event; a lost wake-up leaves events in the queue with the pipe silent.
@Suite struct BusWorkerWakeupTests {
    @Test func everyDeliveredEventWakesTheConsumer() throws {
        let capacity = 4096
        let worker = try BusWorker(scheduler: try BusSchedulerTests.make(units: [1]), eventCapacity: capacity)
        let total = 200_000
        let counts = EventCounts()
        nonisolated(unsafe) let shared = worker
        let producer = Thread {
            var sink = BusWorker<FakeBus, ManualClock>.QueueSink(worker: shared)
            var i = 0
            while i < total {
                // Never overrun the queue: a drop is not what this test is about.
                if i - counts.received.load(ordering: .acquiring) > capacity / 2 { usleep(100); continue }
                // Bursts with short pauses: pushes land at every point of the consumer's drain.
                for _ in 0..<(1 + i % 7) where i < total {
                    sink.deliver(.deviceOnline(device: i, time: WallTime(milliseconds: 0)))
                    i += 1
                    counts.produced.store(i, ordering: .releasing)
                }
                if i % 3 == 0 { usleep(0) }
            }
        }
        producer.start()
        var received = 0
        var lostWakeup = false
        // Bounded: a correct protocol finishes in a few seconds; 2 s of silence with events
        // queued is a lost wake-up (every push after the consumer's drain leaves a byte).
        let deadline = Date().addingTimeInterval(120)
        while received < total && Date() < deadline {
            if edge_poll_in(worker.eventFD, 2_000) > 0 {
                worker.drain { _ in received += 1 }
                counts.received.store(received, ordering: .releasing)
            } else if counts.produced.load(ordering: .acquiring) > received {
                lostWakeup = true
                break
            }
        }
        #expect(!lostWakeup, "lost wake-up: \(received) of \(counts.produced.load(ordering: .acquiring)) delivered events received, the pipe stayed silent")
        #expect(received == total)
        #expect(worker.droppedEvents.load(ordering: .relaxed) == 0)
        counts.received.store(total, ordering: .releasing)   // a stuck producer finishes (into drops)
    }
}

/// Events delivered by the producer thread and received by the consumer.
final class EventCounts: Sendable {
    let produced = Atomic<Int>(0)
    let received = Atomic<Int>(0)
}
