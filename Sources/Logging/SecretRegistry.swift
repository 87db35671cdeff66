/// The secrets that must never appear in a log line or on the console: device secrets, the
/// console password, key passphrases. Whoever loads one registers it; every text that leaves the
/// process through the logger or the console goes through `mask`, which replaces each occurrence
/// with `***`.
///
/// Guarantees:
/// - storage is fixed at creation (`capacity` secrets, `byteCapacity` bytes in all); registering
///   more is refused (returns false) rather than silently unmasked: the caller can log that;
/// - `mask` allocates nothing and also hides the start of a secret cut off at the end of a
///   truncated text (3 bytes or more of it);
/// - a class so that the logger, the console and the config loader share one registry.
public final class SecretRegistry {
    /// Masked text replacing each secret.
    public static let replacement: StaticString = "***"

    private let storage: UnsafeMutableRawBufferPointer
    private var starts: [Int]
    private var lengths: [Int]
    private var used = 0
    private var bytesUsed = 0
    /// Longest registered secret in bytes.
    public private(set) var longest = 0

    /// A registry for up to `capacity` secrets of `byteCapacity` bytes in all.
    public init(capacity: Int = 16, byteCapacity: Int = 2048) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, byteCapacity), alignment: 1)
        starts = [Int](repeating: 0, count: max(1, capacity))
        lengths = [Int](repeating: 0, count: max(1, capacity))
    }

    deinit { storage.deallocate() }

    /// Number of registered secrets.
    public var count: Int { used }

    /// Registers a secret (empty strings and duplicates are ignored and count as registered).
    /// Returns false when the registry is full.
    @discardableResult
    public func register(_ secret: String) -> Bool {
        let done: Bool? = secret.utf8.withContiguousStorageIfAvailable { utf8 in
            register(bytes: UnsafeRawBufferPointer(utf8))
        }
        if let done { return done }
        var copy = secret
        copy.makeContiguousUTF8()
        return copy.withUTF8 { register(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Registers a secret given as bytes (see `register(_:)`).
    @discardableResult
    public func register(bytes secret: UnsafeRawBufferPointer) -> Bool {
        if secret.isEmpty { return true }
        for i in 0..<used where equal(i, secret) { return true }
        guard used < starts.count, bytesUsed + secret.count <= storage.count,
              let base = secret.baseAddress, let dest = storage.baseAddress else { return false }
        (dest + bytesUsed).copyMemory(from: base, byteCount: secret.count)
        starts[used] = bytesUsed
        lengths[used] = secret.count
        used += 1
        bytesUsed += secret.count
        if secret.count > longest { longest = secret.count }
        return true
    }

    /// Forgets every secret (before registering those of a reloaded config).
    public func removeAll() {
        used = 0
        bytesUsed = 0
        longest = 0
    }

    /// Emits `text` with every secret replaced by `***`, in pieces, through `emit`. When
    /// `truncated` is true (the text was cut short), a tail of 3 or more bytes that begins a
    /// secret is masked as well.
    public func mask(_ text: UnsafeRawBufferPointer, truncated: Bool = false,
                     emit: (UnsafeRawBufferPointer) -> Void) {
        guard used > 0 else {
            if !text.isEmpty { emit(text) }
            return
        }
        let n = text.count
        var i = 0
        var runStart = 0
        while i < n {
            var matched = 0
            for s in 0..<used {
                let length = lengths[s]
                if length <= n - i && storage[starts[s]] == text[i] && matches(s, text, at: i, length: length) {
                    matched = length
                    break
                }
            }
            if matched > 0 {
                if i > runStart { emit(UnsafeRawBufferPointer(rebasing: text[runStart..<i])) }
                emitReplacement(emit)
                i += matched
                runStart = i
            } else {
                i += 1
            }
        }
        var end = n
        if truncated {
            // A cut-off secret at the very end: the longest tail (≥ 3 bytes) that starts a secret.
            var j = max(runStart, n - longest + 1)
            while j <= n - 3 {
                var hit = false
                for s in 0..<used where lengths[s] > n - j && matches(s, text, at: j, length: n - j) {
                    hit = true
                    break
                }
                if hit { end = j; break }
                j += 1
            }
        }
        if end > runStart { emit(UnsafeRawBufferPointer(rebasing: text[runStart..<end])) }
        if end < n { emitReplacement(emit) }
    }

    /// True if `text` contains a registered secret.
    public func containsSecret(_ text: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < text.count {
            for s in 0..<used where lengths[s] <= text.count - i && matches(s, text, at: i, length: lengths[s]) {
                return true
            }
            i += 1
        }
        return false
    }

    private static var replacementBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: replacement.utf8Start, count: replacement.utf8CodeUnitCount)
    }

    private func emitReplacement(_ emit: (UnsafeRawBufferPointer) -> Void) {
        emit(Self.replacementBytes)
    }

    private func matches(_ s: Int, _ text: UnsafeRawBufferPointer, at offset: Int, length: Int) -> Bool {
        let start = starts[s]
        var k = 0
        while k < length {
            if storage[start + k] != text[offset + k] { return false }
            k += 1
        }
        return true
    }

    private func equal(_ s: Int, _ secret: UnsafeRawBufferPointer) -> Bool {
        lengths[s] == secret.count && matches(s, secret, at: 0, length: secret.count)
    }
}
