import FieldBus

/// A TSL service (`thing.service.{id}`) of a device, as the configuration maps it: its input
/// parameters, the writes it makes and the output parameters its reply carries. Resolved at load
/// into indices (points of the device's template, inputs of this service) so that a call is
/// checked and turned into writes without a lookup by name or an allocation; the reply messages
/// that name a parameter are written here once, at load.
public struct ServiceDefinition: Equatable, Sendable {
    /// At most this many inputs, writes and outputs (one `ControlRequest` carries the writes).
    public static let capacity = 16

    public var identifier: String
    public var inputs: [ServiceInput]
    public var actions: [ServiceAction]
    public var outputs: [ServiceOutput]

    public init(identifier: String, inputs: [ServiceInput], actions: [ServiceAction], outputs: [ServiceOutput]) {
        self.identifier = identifier
        self.inputs = inputs
        self.actions = actions
        self.outputs = outputs
    }
}

/// The JSON types an input parameter may have (the TSL's int/float/double/bool/string).
public enum ServiceParameterType: Equatable, Sendable {
    /// A JSON integer (written as `.int`).
    case integer
    /// Any JSON number (written as `.double`).
    case number
    /// `true`/`false`, or the integers 0 and 1 (EnOS models often carry booleans as 0/1).
    case bool
    /// A JSON string of at most `ShortString.capacity` bytes.
    case string

    /// The configuration's word for it.
    public var name: String {
        switch self {
        case .integer: return "integer"
        case .number: return "number"
        case .bool: return "bool"
        case .string: return "string"
        }
    }
}

/// One input parameter: its identifier, its type, and the reply messages that name it.
public struct ServiceInput: Equatable, Sendable {
    public var identifier: String
    public var type: ServiceParameterType
    /// `missing input parameter "low"`.
    public let missingMessage: String
    /// `input parameter "low" must be an integer`.
    public let wrongTypeMessage: String

    public init(identifier: String, type: ServiceParameterType) {
        self.identifier = identifier
        self.type = type
        missingMessage = "missing input parameter \"" + identifier + "\""
        let article = type == .integer ? "an " : "a "
        wrongTypeMessage = "input parameter \"" + identifier + "\" must be " + article + type.name
    }
}

/// Where a write takes its value: an input parameter (by index) or a constant from the configuration.
public enum ServiceValueSource: Equatable, Sendable {
    case input(Int)
    case constant(PointValue)
}

/// One write of a service: the point (index in the device's template), its value, and whether the
/// registers are read back and compared after the write (a mismatch fails the call with 2011).
public struct ServiceAction: Equatable, Sendable {
    public var point: Int
    public var value: ServiceValueSource
    public var readBack: Bool
    /// For a value from an input: the reply message when the point refuses it (range, type),
    /// naming the parameter and the point; empty for a constant (checked at load).
    public let refusedMessage: String

    public init(point: Int, pointIdentifier: String, value: ServiceValueSource, readBack: Bool, inputIdentifier: String?) {
        self.point = point
        self.value = value
        self.readBack = readBack
        if let inputIdentifier {
            refusedMessage = "input parameter \"" + inputIdentifier + "\" refused by point \"" + pointIdentifier + "\""
        } else {
            refusedMessage = ""
        }
    }
}

/// One output parameter of the reply: its identifier and the point whose value it carries (the
/// value written when that write was read back and matched, else the point's latest good value;
/// left out of the reply when there is none yet).
public struct ServiceOutput: Equatable, Sendable {
    public var identifier: String
    public var point: Int

    public init(identifier: String, point: Int) {
        self.identifier = identifier
        self.point = point
    }
}

/// Every configured service, and per field device the ones it offers (its template's, with the
/// device's own added or replacing those of the same identifier). Empty when the configuration
/// defines none: then every `thing.service.{id}` is answered 1101, as the SDKs answer a service
/// without a handler.
public struct ServiceCatalog: Equatable, Sendable {
    public var services: [ServiceDefinition]
    /// Per device (configuration order): indices into `services`.
    public var deviceServices: [[Int]]

    public init(services: [ServiceDefinition] = [], deviceServices: [[Int]] = []) {
        self.services = services
        self.deviceServices = deviceServices
    }

    /// The services `device` offers (empty for an index out of range).
    public func offered(by device: Int) -> [Int] {
        device >= 0 && device < deviceServices.count ? deviceServices[device] : []
    }
}
