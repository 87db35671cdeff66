import EdgeCore
import EdgeCrypto
import Foundation
import OTA

/// Images made by Tools/make-image.py (Python + `cryptography`: an independent implementation of
/// the format) and the helpers to feed them to the Swift reader.
enum ImageFixtures {
    static var tool: String { TestFiles.packageRoot.appendingPathComponent("Tools/make-image.py").path }
    static var keys: URL { TestFiles.packageRoot.appendingPathComponent("Tests/OTAFixtures/Keys") }
    static var testKeyPEM: URL { keys.appendingPathComponent("test-signing-key.pem") }
    static var otherKeyPEM: URL { keys.appendingPathComponent("other-signing-key.pem") }
    static var testKeyDER: [UInt8] { Array(try! Data(contentsOf: keys.appendingPathComponent("test-signing-key.der"))) }

    /// Builds and signs an image with the Python tool.
    static func image(board: String = "qemu-aarch64", version: String, payload: [UInt8], key: URL? = nil) throws -> [UInt8] {
        let dir = try TestFiles.scratchDirectory("img"); defer { TestFiles.remove(dir) }
        let input = dir.appendingPathComponent("payload.bin"), output = dir.appendingPathComponent("image.bin")
        try Data(payload).write(to: input)
        try TestFiles.check("/usr/bin/python3", [tool, "build", "--key", (key ?? testKeyPEM).path, "--board", board,
                                                 "--version", version, "--input", input.path, "--output", output.path])
        return Array(try Data(contentsOf: output))
    }

    static func payload(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    static func key(_ der: [UInt8] = testKeyDER) throws(CryptoError) -> ECDSAPublicKey {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: der.count, alignment: 1)
        defer { buffer.deallocate() }
        der.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return try ECDSAPublicKey(der: UnsafeRawBufferPointer(buffer))
    }

    static func policy(board: String = "qemu-aarch64", running: String = "1.0.0", allowDowngrade: Bool = false,
                       max: UInt64 = 1 << 30) -> FirmwareImagePolicy {
        FirmwareImagePolicy(board: board, runningVersion: FirmwareVersion(running)!, allowDowngrade: allowDowngrade,
                            maxPayloadLength: max)
    }
}

/// Collects the payload into a preallocated buffer (no allocation per write).
struct CollectingSink: FirmwarePayloadSink {
    let storage: UnsafeMutableRawBufferPointer
    var count = 0
    init(capacity: Int) {
        storage = .allocate(byteCount: max(capacity, 1), alignment: 8)
    }
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        guard count + bytes.count <= storage.count else { throw .ioError }
        UnsafeMutableRawBufferPointer(rebasing: storage[count..<(count + bytes.count)]).copyMemory(from: bytes)
        count += bytes.count
    }
    var bytes: [UInt8] { Array(storage[0..<count]) }
    func free() { storage.deallocate() }
}

/// Feeds `image` in chunks of `chunk` bytes and finishes. Returns the header and the payload the
/// sink received, or the refusal.
func readImage(_ image: [UInt8], chunk: Int, policy: borrowing FirmwareImagePolicy, key: borrowing ECDSAPublicKey,
               received: inout [UInt8]) -> Result<FirmwareImageHeader, FirmwareImageError> {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(image.count, 1), alignment: 8)
    defer { buffer.deallocate() }
    image.withUnsafeBytes { if $0.count > 0 { buffer.copyMemory(from: $0) } }
    var sink = CollectingSink(capacity: image.count)
    defer { received = sink.bytes; sink.free() }
    var reader = FirmwareImageReader()
    var offset = 0
    do throws(FirmwareImageError) {
        while offset < image.count {
            let n = min(chunk, image.count - offset)
            try reader.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + n)]), policy: policy, into: &sink)
            offset += n
        }
        return .success(try reader.finish(key: key))
    } catch {
        return .failure(error)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let e) = self { return e } else { return nil } }
    var success: Success? { if case .success(let v) = self { return v } else { return nil } }
}
