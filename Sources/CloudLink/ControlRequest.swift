import EdgeCore
import FieldBus

/// Why a cloud command was refused before anything was written, with the spec's code (§6.4:
/// application failures ≥ 2000; 1101 for an unknown service). EnOS has no reply code of its own
/// for "busy" (429 is a client-side code of one SDK, never sent by a device), so `agentBusy`
/// takes the next application code.
public enum ControlError: Equatable, Sendable {
    case unknownDevice
    case unknownPoint
    case notWritable
    case badValue
    case outOfRange
    case tooManyPoints
    case unknownService
    case expired
    case busBusy
    case writeFailed
    case deviceOffline
    case verificationMismatch
    /// The command arrived while the agent's command queue was full: nothing was done, send it again.
    case agentBusy
    /// A service call lacks one of its input parameters (the reply's message names it).
    case missingParameter

    /// The refusal of a value the bus would not encode (`PointCodec.checkWrite`).
    public init(refusal: EncodeError) {
        switch refusal {
        case .outOfAllowedRange, .outOfTypeRange: self = .outOfRange
        case .notWritable: self = .notWritable
        default: self = .badValue
        }
    }

    /// The reply code.
    public var code: Int {
        switch self {
        case .unknownService: return 1101
        case .unknownDevice: return 2001
        case .unknownPoint: return 2002
        case .notWritable: return 2003
        case .badValue: return 2004
        case .outOfRange: return 2005
        case .tooManyPoints: return 2006
        case .expired: return 2007
        case .busBusy: return 2008
        case .writeFailed: return 2009
        case .deviceOffline: return 2010
        case .verificationMismatch: return 2011
        case .agentBusy: return 2012
        case .missingParameter: return 2013
        }
    }

    /// The reply message.
    public var message: String {
        switch self {
        case .unknownService: return "unknown service"
        case .unknownDevice: return "unknown device"
        case .unknownPoint: return "unknown measurepoint"
        case .notWritable: return "measurepoint is not writable"
        case .badValue: return "value has the wrong type"
        case .outOfRange: return "value out of range"
        case .tooManyPoints: return "too many measurepoints in one command"
        case .expired: return "command expired before it could run"
        case .busBusy: return "field bus write queue full"
        case .writeFailed: return "field device refused or did not answer the write"
        case .deviceOffline: return "field device offline"
        case .verificationMismatch: return "read-back differs from the value written"
        case .agentBusy: return "agent busy: too many commands waiting, nothing done; send it again later"
        case .missingParameter: return "missing input parameter"
        }
    }
}

/// A cloud command decoded and checked against the configuration, waiting for the agent's loop:
/// `measurepoint.set` / a service (points and values to write), or `measurepoint.get` (points
/// to read). Fixed size (at most `capacity` points); the uplink keeps the reply address under
/// `id`, which the command's bus writes carry too (`ControlRequestId`).
public struct ControlRequest: Sendable {
    public enum Kind: Equatable, Sendable { case set, get, service }
    public static let capacity = 16

    public var kind: Kind
    /// The request's one id (`ControlRequestId`): its writes', its reply's.
    public var id: UInt32
    /// Field device index (-1: the gateway itself).
    public var device: Int
    public var points: InlineArray<16, Int32>
    public var values: InlineArray<16, PointValue>
    public var count: Int
    /// Set when the command was refused while decoding (nothing will be written).
    public var error: ControlError?
    /// For a service: its index in `ServiceCatalog.services` (-1: none), the writes read back
    /// (bit i: write i), and the reply message naming the parameter that was refused (made at load).
    public var service: Int32 = -1
    public var verifyMask: UInt16 = 0
    public var detail: String? = nil

    public init(kind: Kind, id: UInt32, device: Int) {
        self.kind = kind
        self.id = id
        self.device = device
        points = InlineArray(repeating: -1)
        values = InlineArray(repeating: .bool(false))
        count = 0
        error = nil
    }

    /// Adds a point; false (and `tooManyPoints`) beyond the capacity.
    public mutating func append(point: Int, value: PointValue) -> Bool {
        guard count < ControlRequest.capacity else {
            error = error ?? .tooManyPoints
            return false
        }
        points[count] = Int32(point)
        values[count] = value
        count += 1
        return true
    }
}

/// The answer to a `ControlRequest`: the code (200 or a `ControlError`'s), and for
/// `measurepoint.get` the values read (point, value; nil value for a point without one yet).
public struct ControlReply: Sendable {
    /// The id of the request answered.
    public var id: UInt32
    public var device: Int
    public var error: ControlError?
    public var points: InlineArray<16, Int32>
    public var values: InlineArray<16, PointValue>
    public var present: InlineArray<16, Bool>
    public var count: Int
    /// For a service: its index (`points` then hold output indices of it), and the message
    /// naming the refused parameter (-1 / nil otherwise).
    public var service: Int32 = -1
    public var detail: String? = nil

    public init(id: UInt32, device: Int, error: ControlError?) {
        self.id = id
        self.device = device
        self.error = error
        points = InlineArray(repeating: -1)
        values = InlineArray(repeating: .bool(false))
        present = InlineArray(repeating: false)
        count = 0
    }

    public var code: Int { error?.code ?? 200 }
}
