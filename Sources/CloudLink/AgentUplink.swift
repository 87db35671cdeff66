import EdgeCore
import EnOS
import FieldBus
import MQTT
import StoreForward

/// What the cloud connection reports to the agent's loop, in the order it happened. Field
/// devices are named by their index in the configuration.
public enum UplinkEvent: Equatable, Sendable {
    /// The `code` of a `retry` that had no reply at all (timed out, or the connection ended).
    public static let noReply = 0

    /// Connected and announced; sub-device logins are under way.
    case connected
    /// The connection ended (`wasConnected`: it had been up and announced) or an attempt failed,
    /// with the reason (`causeDescription` words it).
    case disconnected(MQTTClientError, wasConnected: Bool)
    /// The broker refused a subscription (SUBACK 0x80): messages on `topicFilter` (commands,
    /// replies) will not arrive on this connection.
    case subscriptionRefused(topicFilter: String)
    /// A measurepoint request was delivered (reply 200, or PUBACK in that mode).
    case confirmed(tag: UInt64)
    /// A measurepoint request was refused for good (its content is invalid): do not resend.
    case rejected(tag: UInt64, code: Int)
    /// A measurepoint request failed in a way worth retrying later: the cloud's `code` (723,
    /// 1009, 1212, an unknown code...), or `noReply` (no reply in time, lost connection).
    case retry(tag: UInt64, code: Int)
    /// A measurepoint request was refused for a reason about one sub-device (705, 723, 740,
    /// 1009, 1212, 1257: `MeasurepointReplyCode.deviceRefused`); `device`: the field device the
    /// reply's message names, nil when it names none.
    case deviceRefused(tag: UInt64, code: Int, device: Int?)
    /// An alarm event (`thing.event.{eventId}.post`, tag of its ring-log record) was refused for
    /// good with `code` (1204: the event is not in the product's model): not sent again.
    case alarmRefused(tag: UInt64, code: Int)
    case loggedIn(device: Int)
    case loginFailed(device: Int, code: Int)
    case loggedOut(device: Int)
    /// The cloud enabled, disabled or deleted `device`'s sub-device (`combine.*` notice, answered
    /// already); reported when it changes.
    case cloudNotice(device: Int, notice: EnOSSubDeviceNotice)
    /// Cloud commands could not be queued (`cause`) since the last such report: `answeredBusy` of
    /// them were answered busy, `unanswered` got no reply at all.
    case commandsRefused(cause: CommandOverflow, answeredBusy: Int, unanswered: Int)
}

/// The agent loop's view of the cloud connection: one descriptor to poll, events to drain,
/// sub-device wishes, measurepoint requests (`MeasurepointUplink`), gateway status posts and
/// command replies. `EnOSUplink` is the real one; tests substitute their own. Generic use only.
public protocol AgentUplink: MeasurepointUplink, ~Copyable {
    /// Connected (requests may be published; `isReady` adds "logins settled").
    var isConnected: Bool { get }
    /// Runs timers; says what to poll (descriptor -1: none; timeout -1: none).
    mutating func pollRequest() -> (descriptor: Int32, events: Int16, timeoutMilliseconds: Int)
    /// Handles poll(2)'s result for the descriptor.
    mutating func handle(revents: Int16)
    /// The next event, oldest first.
    mutating func nextEvent() -> UplinkEvent?
    /// The field device answers (log its sub-device in) or stopped answering (log it out).
    mutating func setDeviceOnline(_ device: Int, _ online: Bool)
    /// The next cloud command waiting to be executed.
    mutating func nextCommand() -> ControlRequest?
    /// Answers a command.
    mutating func reply(_ reply: ControlReply)
    /// Posts the gateway's own figures as gateway measurepoints.
    mutating func postStatus(_ status: GatewayStatus) -> Bool
    /// Clean DISCONNECT (SIGTERM).
    mutating func disconnect()
    /// The console's `mqtt` lines: connection state, in-flight window, counters.
    func describeConnection(into out: inout TextWriter)
    /// The cloud's text with the last refused login of `device`'s sub-device ("" if none).
    func loginFailureMessage(device: Int) -> String
    /// What the product's TSL model says about `point` of `device` (`ModelCheck`).
    func modelVerdict(device: Int, point: Int) -> ModelCheck.Verdict
}

extension AgentUplink where Self: ~Copyable {
    public func loginFailureMessage(device: Int) -> String { "" }
    public func modelVerdict(device: Int, point: Int) -> ModelCheck.Verdict { .unchecked }

    public func describeConnection(into out: inout TextWriter) {
        out.write("uplink: ")
        out.line(isConnected ? "connected" : "not connected")
    }
}
