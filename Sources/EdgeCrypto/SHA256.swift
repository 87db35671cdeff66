import CMbedTLS

/// A SHA-256 digest: 32 bytes held inline (no allocation).
public struct SHA256Digest: Equatable, Sendable {
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    /// Copies 32 bytes from `bytes` (which must hold at least 32).
    public init(copying bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= 32, "a SHA-256 digest is 32 bytes")
        Swift.withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<32])) }
    }

    /// The digest's bytes.
    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        Swift.withUnsafeBytes(of: words) { body($0) }
    }

    /// The digest's bytes, writable.
    @inlinable public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        Swift.withUnsafeMutableBytes(of: &words) { body($0) }
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }
}

/// Streaming SHA-256 through mbedTLS: for OTA images and firmware digests, fed in chunks so that
/// nothing is held whole in RAM. The context lives at a stable heap address, allocated once.
public struct SHA256: ~Copyable {
    private let context: UnsafeMutablePointer<mbedtls_sha256_context>

    /// Starts a new digest.
    public init() {
        context = .allocate(capacity: 1)
        mbedtls_sha256_init(context)
        _ = mbedtls_sha256_starts_ret(context, 0)
    }

    /// Feeds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = mbedtls_sha256_update_ret(context, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// The digest of everything fed so far; the hasher starts over afterwards.
    public mutating func finish() -> SHA256Digest {
        var digest = SHA256Digest()
        withUnsafeMutableBytes(of: &digest.words) { out in
            _ = mbedtls_sha256_finish_ret(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        _ = mbedtls_sha256_starts_ret(context, 0)
        return digest
    }

    /// The digest of one buffer.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        var sha = SHA256()
        sha.update(bytes)
        return sha.finish()
    }

    deinit {
        mbedtls_sha256_free(context)
        context.deallocate()
    }
}
