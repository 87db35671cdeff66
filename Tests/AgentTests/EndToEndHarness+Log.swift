import Foundation

extension EndToEndHarness {
    /// The agent's log so far (every process started by this harness, appended).
    func agentLogText() -> String {
        String(decoding: (try? Data(contentsOf: agentLog)) ?? Data(), as: UTF8.self)
    }

    /// How many times `text` stands in the agent's log so far.
    func logCount(_ text: String) -> Int {
        agentLogText().components(separatedBy: text).count - 1
    }

    /// Waits until `condition` holds for the agent's log (or the timeout).
    func waitForLog(_ timeout: Double, _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(agentLogText()) { return true }
            usleep(50_000)
        }
        return condition(agentLogText())
    }
}
