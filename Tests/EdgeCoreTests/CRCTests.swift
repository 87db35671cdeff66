import EdgeCore
import Testing

@Suite struct CRCTests {
    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum("123456789") == 0xCBF4_3926)
        #expect(CRC32.checksum("") == 0)
    }

    @Test func crc16ModbusMatchesTheStandardCheckValue() {
        #expect(CRC16.checksum("123456789") == 0x4B37)
    }

    @Test func crc16OfAModbusRequestIsSentLowByteFirst() {
        // Read holding registers 0x006B, count 2, unit 17: 11 03 00 6B 00 02 B7 47 on the wire.
        let frame: [UInt8] = [0x11, 0x03, 0x00, 0x6B, 0x00, 0x02]
        let crc = frame.withUnsafeBytes { CRC16.checksum($0) }
        #expect(UInt8(crc & 0xFF) == 0xB7)
        #expect(UInt8(crc >> 8) == 0x47)
    }

    @Test func incrementalCRCEqualsOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = bytes.withUnsafeBytes { CRC32.checksum($0) }
        for split in [0, 1, 17, 500, 999, 1000] {
            var crc = CRC32()
            bytes.withUnsafeBytes { all in
                crc.update(UnsafeRawBufferPointer(rebasing: all[0..<split]))
                crc.update(UnsafeRawBufferPointer(rebasing: all[split...]))
            }
            #expect(crc.value == whole, "split at \(split)")
        }
        var bytewise = CRC32()
        for b in bytes { bytewise.update(byte: b) }
        #expect(bytewise.value == whole)
    }

    @Test func crc32MatchesZlib() throws {
        // zlib.crc32(b"The quick brown fox jumps over the lazy dog") == 0x414FA339
        #expect(CRC32.checksum("The quick brown fox jumps over the lazy dog") == 0x414F_A339)
    }
}
