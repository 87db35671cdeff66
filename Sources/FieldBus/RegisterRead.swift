/// A commissioning read of one device's raw registers or bits, outside its configured points
/// (the console's `read DEVICE holding ADDRESS COUNT`): what a technician checks a point table
/// against. At most `maximumCount` values, never over the template's forbidden addresses or
/// beyond its per-read limit. It runs on the bus thread ahead of the polls, like a write, and
/// leaves the device's online state alone.
public struct RegisterReadRequest: Equatable, Sendable {
    /// The most values one commissioning read returns.
    public static let maximumCount: UInt16 = 16

    public var id: UInt32
    public var device: Int
    public var table: RegisterTable
    public var address: UInt16
    public var count: UInt16
    /// A DL/T 645 data identifier to read instead of registers (a meter has none); nil for Modbus.
    public var dataIdentifier: UInt32? = nil

    public init(id: UInt32, device: Int, table: RegisterTable, address: UInt16, count: UInt16) {
        self.id = id
        self.device = device
        self.table = table
        self.address = address
        self.count = count
    }

    /// A commissioning read of one DL/T 645 data identifier of meter `device`.
    public init(id: UInt32, device: Int, dataIdentifier: UInt32) {
        self.init(id: id, device: device, table: .holdingRegister, address: 0, count: 1)
        self.dataIdentifier = dataIdentifier
    }
}

/// The values a `RegisterReadRequest` got, in address order: registers, or bits as 0 and 1.
/// Inline storage: an event carrying it allocates nothing.
public struct RegisterValues: Equatable, Sendable {
    var storage: InlineArray<16, UInt16>
    public private(set) var count: Int

    public init() {
        storage = InlineArray(repeating: 0)
        count = 0
    }

    public subscript(index: Int) -> UInt16 { storage[index] }

    /// Adds a value; ignored beyond the 16 a read may return.
    public mutating func append(_ value: UInt16) {
        guard count < 16 else { return }
        storage[count] = value
        count += 1
    }

    public static func == (a: RegisterValues, b: RegisterValues) -> Bool {
        guard a.count == b.count else { return false }
        var i = 0
        while i < a.count {
            if a.storage[i] != b.storage[i] { return false }
            i += 1
        }
        return true
    }
}

/// How a commissioning read ended.
public enum RegisterReadOutcome: Equatable, Sendable {
    case ok(RegisterValues)
    /// A DL/T 645 data identifier's value, in its table's unit (`DLT645DataFormat`).
    case dataValue(dataIdentifier: UInt32, value: Double)
    /// The transaction failed (timeout, exception code, CRC…).
    case failed(ModbusError)
    /// The transaction failed for a cause in the protocol's own words (a meter's error reply…).
    case failedDetail(FieldFailureDetail)
    /// The range touches addresses the device's template forbids; nothing was sent.
    case forbidden(AddressRange)
    /// A count of 0, over `RegisterReadRequest.maximumCount` or the device's per-read limit, or a
    /// range past address 65535; nothing was sent.
    case outOfLimits
    /// No such device on this bus.
    case unknownDevice
    /// Another commissioning read was still waiting on this bus; nothing was sent.
    case busy
}
