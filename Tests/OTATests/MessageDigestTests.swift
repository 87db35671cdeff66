import EdgeCore
import EdgeCrypto
import Testing

/// The cloud-digest algorithms (EdgeCrypto.MessageDigest) against RFC 1321 / FIPS 180 vectors.
@Suite struct MessageDigestTests {
    func hex(_ algorithm: MessageDigest.Algorithm, _ text: String, split: Int = 1) throws -> String {
        var d = try MessageDigest(algorithm)
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let part = Array(bytes[i..<min(i + split, bytes.count)])
            part.withUnsafeBytes { d.update($0) }
            i += split
        }
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 8)
        defer { out.deallocate() }
        d.finish(into: out)
        return Hex.string(UnsafeRawBufferPointer(rebasing: out[0..<algorithm.size]))
    }

    @Test func matchesStandardVectorsInAnyChunking() throws {
        #expect(try hex(.md5, "abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(try hex(.sha1, "abc", split: 2) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(try hex(.sha256, "abc", split: 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try hex(.md5, "") == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func namesAsCloudsWriteThem() {
        #expect(MessageDigest.Algorithm(name: "MD5") == .md5)
        #expect(MessageDigest.Algorithm(name: "sha-256") == .sha256)
        #expect(MessageDigest.Algorithm(name: "SHA1") == .sha1)
        #expect(MessageDigest.Algorithm(name: "crc32") == nil)
    }
}
