import EdgeCore
import FieldBus
import OTA
import RingLog
import CloudLink
import Configuration

/// `AgentOTA` inside the agent's loop: its download socket and wake-up go into the same poll(2)
/// as everything else, its step runs after each turn with the loop's health observations, and
/// its messages go to the loop's log:
///
///     loop.prepareOTA(ota)
///     let outcome = loop.turn()
///     switch loop.stepOTA(&ota) { case .none: …; case .reboot(let m): …; case .healthCheckFailed: … }
extension AgentEventLoop where Uplink: OTAUplink, Device: ~Copyable, Uplink: ~Copyable, Poller: ~Copyable {
    /// Puts the OTA job's descriptor and deadline into the next turn's poll.
    public mutating func prepareOTA(_ ota: borrowing AgentOTA) {
        extraPoll = ota.pollRequest(now: clock.monotonicNow())
    }

    /// Runs OTA's step after a turn; what the caller must do (reboot, exit) comes back.
    public mutating func stepOTA(_ ota: inout AgentOTA) -> AgentOTA.Action {
        let action = ota.step(revents: extraRevents, health: health, uplink: &uplink, now: clock.monotonicNow())
        logOTA(&ota)
        return action
    }

    /// SIGTERM, reload failure paths: cancels a running job and sends what can be sent.
    public mutating func shutdownOTA(_ ota: inout AgentOTA, reason: String) {
        ota.shutdown(reason: reason, uplink: &uplink)
        logOTA(&ota)
    }

    /// Writes OTA's pending messages to the log.
    public mutating func logOTA(_ ota: inout AgentOTA) {
        while let (level, text) = ota.nextMessage() {
            switch level {
            case .info: log.info(text)
            case .warning: log.warning(text)
            case .error: log.error(text)
            }
        }
    }
}
