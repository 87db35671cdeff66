/// Little-endian loads and stores at any alignment: the byte order of every on-flash field.
@usableFromInline enum LittleEndian {
    @inlinable static func load32(_ p: UnsafeRawPointer, _ at: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
    @inlinable static func load64(_ p: UnsafeRawPointer, _ at: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
    @inlinable static func store32(_ p: UnsafeMutableRawPointer, _ at: Int, _ v: UInt32) {
        p.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt32.self)
    }
    @inlinable static func store64(_ p: UnsafeMutableRawPointer, _ at: Int, _ v: UInt64) {
        p.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt64.self)
    }
}
