import EdgeCore
import Testing

@Suite struct Base64Tests {
    func decode(_ text: String) -> [UInt8]? { Array(text.utf8).withUnsafeBytes { Base64.decode($0) } }
    func encode(_ bytes: [UInt8]) -> String { String(decoding: bytes.withUnsafeBytes { Base64.encode($0) }, as: UTF8.self) }

    @Test func decodesTheRFC4648VectorsWithAndWithoutPadding() {
        let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
                       ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            #expect(decode(encoded) == Array(plain.utf8), "\(encoded)")
            #expect(decode(String(encoded.prefix { $0 != "=" })) == Array(plain.utf8), "\(encoded) unpadded")
            #expect(encode(Array(plain.utf8)) == encoded)
        }
        let all = (0...255).map { UInt8($0) }
        #expect(decode(encode(all)) == all)
    }

    @Test func refusesWhatIsNotBase64() {
        for bad in ["Zm9v!", "Z", "Zm9vY", "Zm=9", "Zg===", "Zh==", "Zm 9v", "Zm9v\n"] {
            #expect(decode(bad) == nil, "\(bad)")
        }
    }
}
