/// An mbedTLS failure: the library's negative error code and the operation that returned it.
public struct CryptoError: Error, Equatable, Sendable {
    /// mbedTLS's error code (negative), e.g. -0x4E00 for a failed ECDSA verification.
    public var code: Int32
    /// What was being done: "parse public key", "verify signature", …
    public var operation: StaticString

    public init(code: Int32, operation: StaticString) {
        self.code = code
        self.operation = operation
    }

    public static func == (a: Self, b: Self) -> Bool { a.code == b.code }

    /// "verify signature failed: mbedTLS error -0x4E00".
    public var description: String {
        let magnitude = code < 0 ? UInt32(-Int64(code)) : UInt32(code)
        return "\(operation) failed: mbedTLS error \(code < 0 ? "-" : "")0x\(String(magnitude, radix: 16, uppercase: true))"
    }
}
