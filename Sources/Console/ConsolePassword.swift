/// The console password, kept in a buffer of its own and compared in constant time.
///
/// Guarantees: `matches` takes the same time for every input of a given length whatever the
/// stored password is (it touches every byte of both and branches on neither), so the time
/// of a wrong guess says nothing about how much of it was right; no allocation in `matches`.
public struct ConsolePassword: ~Copyable {
    private let storage: UnsafeMutableRawBufferPointer

    /// Copies the password (empty passwords are allowed and match only an empty line).
    public init(_ password: String) {
        let utf8 = password.utf8
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: utf8.count, alignment: 1)
        var i = 0
        for b in utf8 {
            storage[i] = b
            i += 1
        }
    }

    deinit {
        // Do not leave the password in freed memory.
        for i in 0..<storage.count { storage[i] = 0 }
        storage.deallocate()
    }

    /// True if `candidate` is the password.
    public func matches(_ candidate: UnsafeRawBufferPointer) -> Bool {
        Self.constantTimeEqual(UnsafeRawBufferPointer(storage), candidate)
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        var difference: UInt = UInt(bitPattern: a.count ^ b.count)
        let n = max(a.count, b.count)
        var i = 0
        while i < n {
            let x: UInt8 = i < a.count ? a[i] : 0
            let y: UInt8 = i < b.count ? b[i] : 0
            difference |= UInt(x ^ y)
            i += 1
        }
        return difference == 0
    }
}
