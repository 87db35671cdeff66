import IEC104

/// The link parameters of an `"protocol": "iec104"` bus (k, w, T0-T3, interrogation schedules,
/// originator); the interrogated common address is set from the bus's devices at start-up.
public typealias IEC104LinkSettings = LinkParameters

/// The kind of value an IEC 104 point carries, whatever its type identification says about time
/// stamps: `single` takes M_SP_NA_1 and M_SP_TB_1, `float` M_ME_NC_1 and M_ME_TF_1, and so on.
/// Values of another kind at the point's address are counted, not delivered.
public enum IEC104PointKind: String, Equatable, Sendable, CaseIterable {
    case single, double, normalized, scaled, float, counter

    /// The kind of a received type, nil for control-direction types.
    public init?(_ type: TypeIdentification) {
        switch type {
        case .singlePoint, .singlePointTime: self = .single
        case .doublePoint, .doublePointTime: self = .double
        case .normalized, .normalizedTime: self = .normalized
        case .scaled, .scaledTime: self = .scaled
        case .shortFloat, .shortFloatTime: self = .float
        case .integratedTotals, .integratedTotalsTime: self = .counter
        default: return nil
        }
    }

    /// True for the kinds a command can set: single (C_SC_NA_1), double (C_DC_NA_1) and float
    /// (the set-point C_SE_NC_1).
    public var isCommandable: Bool { self == .single || self == .double || self == .float }
}

/// How one template point is addressed and commanded on IEC 104: its kind, the object address
/// commands go to (often not the one the value is reported at) and whether a command is
/// selected before it is executed.
public struct IEC104PointSettings: Equatable, Sendable {
    public var kind: IEC104PointKind
    public var commandAddress: UInt32?
    public var selectBeforeOperate: Bool

    public init(kind: IEC104PointKind, commandAddress: UInt32? = nil, selectBeforeOperate: Bool = false) {
        self.kind = kind
        self.commandAddress = commandAddress
        self.selectBeforeOperate = selectBeforeOperate
    }
}
