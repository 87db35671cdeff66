import EdgeCore
import EdgeCrypto
import Foundation
import TestSupport
import Testing

/// Keys and signatures are made here by openssl, an independent implementation.
@Suite struct ECDSAPublicKeyTests {
    struct Fixture {
        var publicKeyDER: [UInt8]
        var signatureDER: [UInt8]
        var message: [UInt8]
    }

    static func makeFixture(curve: String = "prime256v1") throws -> Fixture {
        let files = try CertificateDirectory(prefix: "ecdsa")
        let message = Array("firmware image header and payload digest".utf8)
        try Data(message).write(to: URL(fileURLWithPath: files.path("msg")))
        try files.openssl("ecparam", "-name", curve, "-genkey", "-noout", "-out", files.path("key.pem"))
        try files.openssl("ec", "-in", files.path("key.pem"), "-pubout", "-outform", "DER", "-out", files.path("pub.der"))
        try files.openssl("dgst", "-sha256", "-sign", files.path("key.pem"), "-out", files.path("sig.der"), files.path("msg"))
        return Fixture(publicKeyDER: Array(try Data(contentsOf: URL(fileURLWithPath: files.path("pub.der")))),
                       signatureDER: Array(try Data(contentsOf: URL(fileURLWithPath: files.path("sig.der")))),
                       message: message)
    }

    func digest(_ bytes: [UInt8]) -> SHA256Digest {
        bytes.withUnsafeBytes { SHA256.hash($0) }
    }

    /// Copies into a manually managed buffer: Array's withUnsafeBytes rethrows untyped errors.
    func parseKey(_ der: [UInt8]) throws(CryptoError) -> ECDSAPublicKey {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(der.count, 1), alignment: 1)
        defer { buffer.deallocate() }
        der.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return try ECDSAPublicKey(der: UnsafeRawBufferPointer(rebasing: buffer[0..<der.count]))
    }

    func verify(_ f: Fixture, digest d: SHA256Digest, signature: [UInt8]) throws(CryptoError) {
        let key = try parseKey(f.publicKeyDER)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: signature.count, alignment: 1)
        defer { buffer.deallocate() }
        signature.withUnsafeBytes { buffer.copyMemory(from: $0) }
        try key.verify(digest: d, signature: UnsafeRawBufferPointer(buffer))
    }

    @Test func acceptsASignatureMadeByOpenSSL() throws {
        let f = try Self.makeFixture()
        try verify(f, digest: digest(f.message), signature: f.signatureDER)
    }

    @Test func refusesATamperedMessage() throws {
        let f = try Self.makeFixture()
        var message = f.message
        message[0] ^= 1
        #expect(throws: CryptoError.self) { try verify(f, digest: digest(message), signature: f.signatureDER) }
    }

    @Test func refusesATamperedSignature() throws {
        let f = try Self.makeFixture()
        var sig = f.signatureDER
        sig[sig.count - 1] ^= 0x40
        #expect(throws: CryptoError.self) { try verify(f, digest: digest(f.message), signature: sig) }
    }

    @Test func refusesGarbageAsAKey() {
        let garbage: [UInt8] = [0x30, 0x03, 0x01, 0x02, 0x03]
        #expect(throws: CryptoError.self) {
            _ = try parseKey(garbage)
        }
    }
}
