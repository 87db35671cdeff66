import EdgeCore
import EdgeCrypto
import OTA
import Testing
import TestSupport

/// The streaming reader against images made by Tools/make-image.py: acceptance, every refusal
/// with its reason and progress step, chunking at every split, and no allocation per chunk.
@Suite struct FirmwareImageReaderTests {
    @Test func anImageMadeByThePythonToolVerifies() throws {
        let payload = ImageFixtures.payload(5000)
        let image = try ImageFixtures.image(version: "1.2.3", payload: payload)
        let policy = ImageFixtures.policy()
        let key = try ImageFixtures.key()
        var received: [UInt8] = []
        let header = try readImage(image, chunk: 4096, policy: policy, key: key, received: &received).get()
        #expect(header.version == FirmwareVersion("1.2.3")!)
        #expect(header.payloadLength == 5000)
        #expect(received == payload)
    }

    @Test func everySplitSizeYieldsTheSamePayloadAndVerdict() throws {
        let payload = ImageFixtures.payload(300)
        let image = try ImageFixtures.image(version: "2.0", payload: payload)
        let policy = ImageFixtures.policy()
        let key = try ImageFixtures.key()
        for chunk in 1...image.count {
            var received: [UInt8] = []
            let result = readImage(image, chunk: chunk, policy: policy, key: key, received: &received)
            #expect(result.success?.payloadLength == 300, "chunk \(chunk): \(result)")
            #expect(received == payload, "chunk \(chunk)")
        }
    }

    @Test func anEmptyPayloadIsAValidImage() throws {
        let image = try ImageFixtures.image(version: "1.0.1", payload: [])
        var received: [UInt8] = []
        let result = readImage(image, chunk: 7, policy: ImageFixtures.policy(), key: try ImageFixtures.key(), received: &received)
        #expect(result.success?.payloadLength == 0)
    }

    func refusal(_ image: [UInt8], policy: borrowing FirmwareImagePolicy = ImageFixtures.policy(),
                 keyDER: [UInt8] = ImageFixtures.testKeyDER, chunk: Int = 64) throws -> (FirmwareImageError?, Int) {
        var received: [UInt8] = []
        let key = try ImageFixtures.key(keyDER)
        let result = readImage(image, chunk: chunk, policy: policy, key: key, received: &received)
        return (result.failure, received.count)
    }

    @Test func wrongMagicIsRefusedBeforeAnyPayloadIsWritten() throws {
        var image = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(100))
        image[0] = UInt8(ascii: "X")
        let (error, written) = try refusal(image)
        #expect(error == .badMagic)
        #expect(written == 0)
        #expect(error?.progressStep == -3)
    }

    @Test func unknownFormatVersionIsRefused() throws {
        var image = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(100))
        image[8] = 2
        #expect(try refusal(image).0 == .unsupportedFormat(2))
    }

    @Test func anotherBoardsImageIsRefusedBeforeAnyPayloadIsWritten() throws {
        let image = try ImageFixtures.image(board: "qemu-armv7", version: "1.2.3", payload: ImageFixtures.payload(100))
        let (error, written) = try refusal(image)
        #expect(error == .wrongBoard)
        #expect(written == 0)
    }

    @Test func aDowngradeIsRefusedUnlessAllowed() throws {
        let image = try ImageFixtures.image(version: "1.9.9", payload: ImageFixtures.payload(100))
        let (error, written) = try refusal(image, policy: ImageFixtures.policy(running: "1.10"))
        #expect(error == .downgrade)
        #expect(error?.progressStep == -5)
        #expect(written == 0)
        #expect(try refusal(image, policy: ImageFixtures.policy(running: "1.10", allowDowngrade: true)).0 == nil)
        // Reinstalling the running version is not a downgrade.
        #expect(try refusal(image, policy: ImageFixtures.policy(running: "1.9.9")).0 == nil)
    }

    @Test func aPayloadLargerThanTheSlotIsRefusedBeforeWriting() throws {
        let image = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(1000))
        let (error, written) = try refusal(image, policy: ImageFixtures.policy(max: 999))
        #expect(error == .oversized)
        #expect(written == 0)
        #expect(try refusal(image, policy: ImageFixtures.policy(max: 1000)).0 == nil)
    }

    @Test func bytesAfterTheSignatureAreRefused() throws {
        let image = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(100))
        #expect(try refusal(image + [0]).0 == .oversized)
    }

    @Test func anImageCutAnywhereIsTruncated() throws {
        let image = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(200))
        for cut in [0, 1, 127, 128, 129, 327, 328, 329, 330, image.count - 1] {
            let (error, written) = try refusal(Array(image[0..<cut]))
            #expect(error == .truncated, "cut at \(cut)")
            #expect(written <= 200)
        }
        #expect(FirmwareImageError.truncated.progressStep == -2)
    }

    @Test func aChangedPayloadByteFailsTheDigest() throws {
        var image = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(200))
        image[128 + 50] ^= 0x01
        #expect(try refusal(image).0 == .badDigest)
    }

    @Test func aChangedHeaderFieldFailsTheSignature() throws {
        var image = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(200))
        image[48 + 4] = UInt8(ascii: "4")   // 1.2.3 → 1.2.4, digest still right
        #expect(try refusal(image).0 == .badSignature)
    }

    @Test func anImageSignedWithAnotherKeyIsRefused() throws {
        let image = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(200), key: ImageFixtures.otherKeyPEM)
        #expect(try refusal(image).0 == .badSignature)
    }

    @Test func aCorruptSignatureIsRefused() throws {
        var image = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(200))
        image[image.count - 3] ^= 0x10
        #expect(try refusal(image).0 == .badSignature)
        var long = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(200))
        long[128 + 200] = 200   // signature length 200 > 72
        #expect(try refusal(long).0 == .oversized)
    }

    @Test func aFailingSinkIsAWriteFailure() throws {
        let image = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(200))
        let policy = ImageFixtures.policy()
        var sink = CollectingSink(capacity: 100)
        defer { sink.free() }
        var reader = FirmwareImageReader()
        let result: FirmwareImageError? = image.withUnsafeBytes { bytes in
            do throws(FirmwareImageError) { try reader.feed(bytes, policy: policy, into: &sink); return nil } catch { return error }
        }
        #expect(result == .writeFailed(.ioError))
        #expect(result?.progressStep == -4)
    }

    @Test func feedingChunksAllocatesNothing() throws {
        let payload = ImageFixtures.payload(256 * 1024)
        let image = try ImageFixtures.image(version: "1.2.3", payload: payload)
        let policy = ImageFixtures.policy()
        let key = try ImageFixtures.key()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: image.count, alignment: 8)
        defer { buffer.deallocate() }
        image.withUnsafeBytes { buffer.copyMemory(from: $0) }
        #expect(AllocationCounter.isActive)
        var sink = DiscardingPayloadSink()
        for round in 0..<2 {   // round 0 warms up
            var reader = FirmwareImageReader()
            var failure: FirmwareImageError? = nil
            let counted = AllocationCounter.count {
                var offset = 0
                while offset < image.count {
                    let n = min(4096, image.count - offset)
                    do throws(FirmwareImageError) {
                        try reader.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + n)]), policy: policy, into: &sink)
                    } catch { failure = error; return }
                    offset += n
                }
            }
            #expect(failure == nil)
            if round == 1 { #expect(counted.allocations == 0, "\(counted)") }
            #expect(throws: Never.self) { _ = try reader.finish(key: key) }
        }
    }
}
