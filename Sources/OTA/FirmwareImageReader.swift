import EdgeCore
import EdgeCrypto

/// Streaming parser and verifier of a firmware image (layout: `FirmwareImageHeader`). Takes the
/// image in chunks of any size, never holds it whole: the header is checked as soon as its 128
/// bytes are in (magic, format, board, downgrade, size), payload bytes are hashed and handed to
/// the sink as they arrive, and `finish` checks the length, the digest and the signature.
///
/// Guarantees: nothing of the payload reaches the sink before the header passed its checks; the
/// sink never receives more than the declared payload length; a successful `finish` means every
/// byte the sink received is exactly the signed payload. After `init`, `feed` allocates nothing.
/// On any error the reader is spent (start a new one).
public struct FirmwareImageReader: ~Copyable {
    enum Stage { case header, payload, signatureLength, signature, done, failed }

    private var stage = Stage.header
    private var hasher = SHA256()
    /// Header (128), then the signature length (2) and the signature (up to 72).
    private let buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    private var payloadRemaining: UInt64 = 0
    private var signatureLength = 0
    public private(set) var header: FirmwareImageHeader? = nil
    /// Total image bytes accepted so far.
    public private(set) var bytesConsumed: UInt64 = 0

    private static let signatureStart = FirmwareImageHeader.size + 2

    public init() {
        buffer = .allocate(byteCount: Self.signatureStart + FirmwareImageHeader.maxSignatureSize, alignment: 8)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { buffer.deallocate() }

    /// The raw 128 header bytes (valid once `header` is set).
    public var headerBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[0..<FirmwareImageHeader.size])
    }

    /// Consumes the next chunk of the image.
    public mutating func feed<Sink: FirmwarePayloadSink & ~Copyable>(_ chunk: UnsafeRawBufferPointer, policy: borrowing FirmwareImagePolicy,
                                                                     into sink: inout Sink) throws(FirmwareImageError) {
        do throws(FirmwareImageError) {
            try consume(chunk, policy: policy, into: &sink)
        } catch {
            stage = .failed
            throw error
        }
    }

    private mutating func consume<Sink: FirmwarePayloadSink & ~Copyable>(_ chunk: UnsafeRawBufferPointer, policy: borrowing FirmwareImagePolicy,
                                                                         into sink: inout Sink) throws(FirmwareImageError) {
        var rest = chunk
        while rest.count > 0 {
            switch stage {
            case .header:
                let n = take(&rest, upTo: FirmwareImageHeader.size)
                if n == FirmwareImageHeader.size {
                    let h = try FirmwareImageHeader.parse(headerBytes, policy: policy)
                    header = h
                    payloadRemaining = h.payloadLength
                    stage = h.payloadLength == 0 ? .signatureLength : .payload
                }
            case .payload:
                let n = Int(min(UInt64(rest.count), payloadRemaining))
                let part = UnsafeRawBufferPointer(rebasing: rest[0..<n])
                hasher.update(part)
                do throws(Errno) { try sink.write(part) } catch { throw .writeFailed(error) }
                payloadRemaining -= UInt64(n)
                bytesConsumed += UInt64(n)
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                if payloadRemaining == 0 { stage = .signatureLength }
            case .signatureLength:
                if take(&rest, upTo: Self.signatureStart) == Self.signatureStart {
                    let length = Int(FirmwareImageHeader.readLE16(UnsafeRawBufferPointer(buffer), FirmwareImageHeader.size))
                    guard length <= FirmwareImageHeader.maxSignatureSize else { throw .oversized }
                    guard length >= 8 else { throw .badSignature }
                    signatureLength = length
                    stage = .signature
                }
            case .signature:
                if take(&rest, upTo: Self.signatureStart + signatureLength) == Self.signatureStart + signatureLength {
                    stage = .done
                }
            case .done:
                throw .oversized
            case .failed:
                throw .truncated
            }
        }
    }

    /// Copies from `rest` into the buffer up to `limit` filled bytes; returns the filled count.
    private mutating func take(_ rest: inout UnsafeRawBufferPointer, upTo limit: Int) -> Int {
        let n = min(limit - filled, rest.count)
        if n > 0 {
            UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + n)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            filled += n
            bytesConsumed += UInt64(n)
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        return filled
    }

    /// Ends the image: checks it is complete, that the payload's SHA-256 is the header's, and
    /// that the signature verifies with `key`. Returns the accepted header.
    public mutating func finish(key: borrowing ECDSAPublicKey) throws(FirmwareImageError) -> FirmwareImageHeader {
        guard stage == .done, let header else {
            stage = .failed
            throw .truncated
        }
        stage = .failed  // spent, whatever the outcome
        let computed = hasher.finish()
        var stated = SHA256Digest()
        let digestBytes = UnsafeRawBufferPointer(rebasing: buffer[FirmwareImageHeader.digestOffset..<(FirmwareImageHeader.digestOffset + 32)])
        stated.withUnsafeMutableBytes { $0.copyMemory(from: digestBytes) }
        guard stated == computed else { throw .badDigest }
        hasher.update(headerBytes)
        computed.withUnsafeBytes { hasher.update($0) }
        let message = hasher.finish()
        let signature = UnsafeRawBufferPointer(rebasing: buffer[Self.signatureStart..<(Self.signatureStart + signatureLength)])
        do throws(CryptoError) {
            try key.verify(digest: message, signature: signature)
        } catch {
            throw .badSignature
        }
        return header
    }
}
