import Agent
import EdgeCore
import FieldBus
import OTA
@testable import StoreForward
@testable import CloudLink

/// The cloud connection in memory for the agent loop's tests (`AgentUplink`, `OTAUplink`): the
/// test sets its state, queues its events and commands; what the loop hands it (measurepoint
/// requests through `FakeUplink`, command replies, status posts, device online/offline wishes,
/// the disconnect) is kept with the manual clock's time. With `confirmsRequests`, every request
/// sent is confirmed at the next turn, as a cloud answering at once would.
struct LoopUplink: AgentUplink, OTAUplink {
    let clock: ManualClock
    var cloud: FakeUplink
    var isConnected = false
    var confirmsRequests = true
    var events: [UplinkEvent] = []
    var commands: [ControlRequest] = []
    private(set) var replies: [ControlReply] = []
    /// Monotonic milliseconds of each status post.
    private(set) var statusPostedAt: [UInt64] = []
    private(set) var postedStatus: [GatewayStatus] = []
    private(set) var onlineWishes: [(device: Int, online: Bool)] = []
    private(set) var disconnects = 0
    /// Monotonic milliseconds at which each measurepoint request was sent (as in `cloud.requests`).
    private(set) var requestSentAt: [UInt64] = []

    init(clock: ManualClock, devices: Int) {
        self.clock = clock
        cloud = FakeUplink(devices: devices)
        cloud.isReady = false
    }

    var isReady: Bool {
        get { cloud.isReady }
        set { cloud.isReady = newValue }
    }

    // MARK: AgentUplink

    mutating func pollRequest() -> (descriptor: Int32, events: Int16, timeoutMilliseconds: Int) { (-1, 0, -1) }
    mutating func handle(revents: Int16) {}

    mutating func nextEvent() -> UplinkEvent? { events.isEmpty ? nil : events.removeFirst() }
    mutating func setDeviceOnline(_ device: Int, _ online: Bool) { onlineWishes.append((device, online)) }
    mutating func nextCommand() -> ControlRequest? { commands.isEmpty ? nil : commands.removeFirst() }
    mutating func reply(_ reply: ControlReply) { replies.append(reply) }

    mutating func postStatus(_ status: GatewayStatus) -> Bool {
        statusPostedAt.append(clock.monotonicNow().nanoseconds / 1_000_000)
        postedStatus.append(status)
        return true
    }

    mutating func disconnect() {
        disconnects += 1
        isConnected = false
        isReady = false
    }

    // MARK: MeasurepointUplink

    func hasCloudIdentity(device: Int) -> Bool { cloud.hasCloudIdentity(device: device) }
    mutating func beginBatch(_ kind: BatchKind) -> Bool { cloud.beginBatch(kind) }
    mutating func beginEntry(device: Int, time: WallTime) { cloud.beginEntry(device: device, time: time) }
    mutating func addPoint(device: Int, point: Int, value: PointValue, quality: Quality) {
        cloud.addPoint(device: device, point: point, value: value, quality: quality)
    }
    mutating func endEntry() -> BatchEntryOutcome { cloud.endEntry() }
    mutating func cancelBatch() { cloud.cancelBatch() }

    mutating func sendBatch(tag: UInt64) -> Bool {
        let sent = cloud.sendBatch(tag: tag)
        if sent { requestSentAt.append(clock.monotonicNow().nanoseconds / 1_000_000) }
        if sent && confirmsRequests { events.append(.confirmed(tag: tag)) }
        return sent
    }

    // MARK: OTAUplink (no upgrades in these tests)

    mutating func nextUpgradeOrder() -> ReceivedUpgradeOrder? { nil }
    mutating func replyToUpgrade(_ order: ReceivedUpgradeOrder, code: Int, message: String) {}
    mutating func postUpgradeProgress(_ progress: UpgradeProgress, tag: UInt64) -> Bool { false }
    mutating func postFirmwareVersion(_ version: String, tag: UInt64) -> Bool { false }
    mutating func nextUpgradeReply() -> (tag: UInt64, code: Int)? { nil }
}
