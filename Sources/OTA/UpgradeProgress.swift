/// One EnOS `ota.device.progress` report of an upgrade, as plain fields the EnOS layer encodes:
/// `step` is sent as a string (`stepText`), `"0"`…`"100"` while it goes well, or one of the
/// spec's failure codes (enos-protocol.md §7): `-1` failed (generic), `-2` download failed, `-3`
/// verification failed, `-4` write failed, `-5` the device ignored (refused) the upgrade. `desc`
/// is one line; for a failure it names the reason (the same text the console shows).
public struct UpgradeProgress: Equatable, Sendable {
    public var step: Int
    public var desc: String

    public init(step: Int, desc: String) {
        self.step = step
        self.desc = desc
    }

    /// From a refusal or failure: its step and its description.
    public init(_ error: SlotError) {
        self.init(step: error.progressStep, desc: error.description)
    }

    /// The step as the protocol sends it (`"35"`, `"-3"`).
    public var stepText: String { "\(step)" }

    /// True for the negative failure codes.
    public var isFailure: Bool { step < 0 }

    public static let generic = -1
    public static let downloadFailed = -2
    public static let verificationFailed = -3
    public static let writeFailed = -4
    public static let ignored = -5
}
