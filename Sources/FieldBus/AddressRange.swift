/// A closed range of addresses in one table, e.g. registers a device must never be asked for.
public struct AddressRange: Equatable, Sendable {
    public var table: RegisterTable
    public var first: UInt16
    public var last: UInt16

    public init(table: RegisterTable, first: UInt16, last: UInt16) {
        self.table = table
        self.first = first
        self.last = last
    }

    /// True when the range shares at least one address of `table` with `lower...upper`.
    @inlinable public func overlaps(table: RegisterTable, lower: UInt32, upper: UInt32) -> Bool {
        self.table == table && UInt32(first) <= upper && lower <= UInt32(last)
    }
}
