import EdgeCore
import EdgeCrypto
import Testing

@Suite struct SHA256Tests {
    func hex(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { Hex.string($0) } }

    func digest(_ text: String) -> [UInt8] {
        var t = text
        let d = t.withUTF8 { SHA256.hash(UnsafeRawBufferPointer($0)) }
        return d.withUnsafeBytes { Array($0) }
    }

    @Test func matchesFIPSVectors() {
        #expect(hex(digest("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(digest("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func streamingInChunksEqualsOneShot() {
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let one = data.withUnsafeBytes { SHA256.hash($0) }
        var sha = SHA256()
        data.withUnsafeBytes { d in
            var i = 0
            while i < d.count {
                let end = min(i + 333, d.count)
                sha.update(UnsafeRawBufferPointer(rebasing: d[i..<end]))
                i = end
            }
        }
        let streamed = sha.finish()
        #expect(streamed == one)
        // The hasher starts over after finish.
        let empty = sha.finish()
        #expect(empty.withUnsafeBytes { Hex.string($0) } == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
