import EdgeCore
import Testing

@Suite struct HexTests {
    @Test func encodesAndDecodesBytes() {
        let bytes: [UInt8] = [0x00, 0x7F, 0x80, 0xFF, 0x12]
        let text = bytes.withUnsafeBytes { Hex.string($0) }
        #expect(text == "007f80ff12")
        var out = [UInt8](repeating: 0, count: 8)
        let n = out.withUnsafeMutableBytes { Hex.decode("007F80ff12", into: $0) }
        #expect(n == 5)
        #expect(Array(out[0..<5]) == bytes)
    }

    @Test func refusesOddLengthBadDigitsAndOverflow() {
        var out = [UInt8](repeating: 0, count: 2)
        #expect(out.withUnsafeMutableBytes { Hex.decode("abc", into: $0) } == nil)
        #expect(out.withUnsafeMutableBytes { Hex.decode("zz", into: $0) } == nil)
        #expect(out.withUnsafeMutableBytes { Hex.decode("001122", into: $0) } == nil)
    }

    @Test func padsIntegers() {
        #expect(Hex.string(UInt16(0x4B37), width: 4) == "0x4b37")
        #expect(Hex.string(UInt8(0x5), width: 2) == "0x05")
    }
}
