import EdgeCore
import EnOS
import MQTT
import OTA

/// An `ota.device.upgrade` push as the agent's loop receives it: the order's fields copied out
/// of the message (the EnOS layer checked that all five are present and of the right type), for
/// whom it is, and what it takes to reply to it.
public struct ReceivedUpgradeOrder: Sendable {
    public var version: String
    public var sign: String
    public var signMethod: String
    public var fileURL: String
    public var fileSize: Int64
    /// True when the order names the gateway itself (not one of its sub-devices).
    public var forGateway: Bool
    /// The push's reply handle (nil in tests without EnOS).
    public var replyHandle: EnOSReplyHandle?

    public init(version: String, sign: String, signMethod: String, fileURL: String, fileSize: Int64, forGateway: Bool = true,
                replyHandle: EnOSReplyHandle? = nil) {
        self.version = version
        self.sign = sign
        self.signMethod = signMethod
        self.fileURL = fileURL
        self.fileSize = fileSize
        self.forGateway = forGateway
        self.replyHandle = replyHandle
    }
}

/// The OTA side of the cloud connection that `AgentOTA` drives: upgrade orders in, the reply to
/// each order, `ota.device.progress` and `ota.device.inform` out, and the cloud's replies to
/// those two (by tag). `EnOSUplink` is the real one.
public protocol OTAUplink: ~Copyable {
    /// Connected (progress and inform can be sent).
    var isConnected: Bool { get }
    /// The next upgrade order received, oldest first.
    mutating func nextUpgradeOrder() -> ReceivedUpgradeOrder?
    /// Answers an order (`ota.device.upgrade_reply`): 200 accepted, else a code >= 2000 and why.
    mutating func replyToUpgrade(_ order: ReceivedUpgradeOrder, code: Int, message: String)
    /// Sends one `ota.device.progress`; false when it could not be sent now (retry later).
    mutating func postUpgradeProgress(_ progress: UpgradeProgress, tag: UInt64) -> Bool
    /// Sends `ota.device.inform` with `version`; false when it could not be sent now.
    mutating func postFirmwareVersion(_ version: String, tag: UInt64) -> Bool
    /// The next reply (or timeout: code 0) to a progress or inform request, by its tag.
    mutating func nextUpgradeReply() -> (tag: UInt64, code: Int)?
}

/// Upgrade orders and replies to OTA requests, queued by `EnOSEventSink` inside the EnOS
/// gateway's callback (where the gateway cannot be called) for the agent's loop. Bounded: orders
/// beyond `capacity` are dropped and counted (the cloud resends a pending task on reconnect).
final class OTAInbox {
    let capacity: Int
    var orders: [ReceivedUpgradeOrder] = []
    var replies: [(tag: UInt64, code: Int)] = []
    var droppedOrders = 0

    init(capacity: Int = 4) {
        self.capacity = capacity
        orders.reserveCapacity(capacity)
        replies.reserveCapacity(16)
    }

    /// An `ota.device.upgrade` command (called in the gateway's callback, while its bytes are valid).
    func receive(_ command: EnOSCommand) {
        guard orders.count < capacity, let u = command.upgrade() else { droppedOrders += 1; return }
        orders.append(ReceivedUpgradeOrder(version: u.version.string, sign: u.sign.string, signMethod: u.signMethod.string,
                                           fileURL: u.fileUrl.string, fileSize: u.fileSize,
                                           forGateway: command.device == .gateway, replyHandle: command.replyHandle))
    }

    /// A reply to (or a timeout of, code 0) an `ota.device.progress`/`inform` request.
    func replied(tag: UInt64, code: Int) {
        guard tag != 0, replies.count < 16 else { return }
        replies.append((tag, code))
    }

    func popOrder() -> ReceivedUpgradeOrder? { orders.isEmpty ? nil : orders.removeFirst() }
    func popReply() -> (tag: UInt64, code: Int)? { replies.isEmpty ? nil : replies.removeFirst() }
}

extension EnOSUplink: OTAUplink where Transport: ~Copyable {
    public mutating func nextUpgradeOrder() -> ReceivedUpgradeOrder? { sink.otaInbox.popOrder() }

    public mutating func replyToUpgrade(_ order: ReceivedUpgradeOrder, code: Int, message: String) {
        guard let handle = order.replyHandle else { return }
        let sink = self.sink
        if code == EnOSReplyCode.success {
            // Spec §7.2: {"id","code":200,"data":""}.
            _ = gateway.reply(to: handle, code: code, message: message,
                              data: { (w: inout JSONWriter) throws(JSONWriterError) in try w.value("") },
                              onEvent: { sink.on($0) })
        } else {
            _ = gateway.reply(to: handle, code: code, message: message, data: nil, onEvent: { sink.on($0) })
        }
    }

    public mutating func postUpgradeProgress(_ progress: UpgradeProgress, tag: UInt64) -> Bool {
        let sink = self.sink
        if case .sent = gateway.reportProgress(step: progress.step, description: progress.desc, tag: tag, onEvent: { sink.on($0) }) {
            return true
        }
        return false
    }

    public mutating func postFirmwareVersion(_ version: String, tag: UInt64) -> Bool {
        let sink = self.sink
        if case .sent = gateway.informVersion(version, tag: tag, onEvent: { sink.on($0) }) { return true }
        return false
    }

    public mutating func nextUpgradeReply() -> (tag: UInt64, code: Int)? { sink.otaInbox.popReply() }
}
