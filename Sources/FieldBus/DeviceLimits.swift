/// What one device tolerates in a single read: the Modbus maxima by default (125 registers,
/// 2000 bits), and how many unused registers or bits the planner may read to merge two requests.
public struct DeviceLimits: Equatable, Sendable {
    public var maxRegistersPerRead: UInt16
    public var maxBitsPerRead: UInt16
    /// Unused registers the planner may read between two points to merge their requests.
    public var registerGap: UInt16
    /// Unused bits the planner may read between two points to merge their requests.
    public var bitGap: UInt16

    /// The protocol's own maxima for reads (and writes of many registers/coils).
    public static let protocolMaxRegisters: UInt16 = 125
    public static let protocolMaxBits: UInt16 = 2000

    public init(maxRegistersPerRead: UInt16 = DeviceLimits.protocolMaxRegisters,
                maxBitsPerRead: UInt16 = DeviceLimits.protocolMaxBits,
                registerGap: UInt16 = 0, bitGap: UInt16 = 0) {
        self.maxRegistersPerRead = maxRegistersPerRead
        self.maxBitsPerRead = maxBitsPerRead
        self.registerGap = registerGap
        self.bitGap = bitGap
    }

    /// The maximum units of one read from `table`.
    @inlinable public func maxPerRead(_ table: RegisterTable) -> UInt16 {
        table.holdsBits ? maxBitsPerRead : maxRegistersPerRead
    }

    /// The gap the planner may fill in `table`.
    @inlinable public func gap(_ table: RegisterTable) -> UInt16 {
        table.holdsBits ? bitGap : registerGap
    }
}
