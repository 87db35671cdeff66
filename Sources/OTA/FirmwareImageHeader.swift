/// The fixed 128-byte header of a firmware image, and the layout of the whole image.
///
/// Image layout (all integers little-endian):
///
///     offset  size  field
///     0       8     magic "EDGEFWIM"
///     8       2     format version (1)
///     10      2     header size (128)
///     12      4     flags (0; reserved)
///     16      32    board name, UTF-8, NUL-padded (at least 1 byte)
///     48      32    firmware version, dotted decimal ASCII, NUL-padded
///     80      8     payload length in bytes
///     88      32    SHA-256 of the payload
///     120     8     reserved (0)
///     128     n     payload (agent binary or root-filesystem image)
///     128+n   2     signature length s (8…72)
///     130+n   s     ECDSA P-256 signature, DER (SEQUENCE of r, s)
///
/// The signature is ECDSA over SHA-256(header bytes[0..<128] ‖ SHA-256(payload)): it binds the
/// header (board, version, length, digest) and, through the digest of the bytes actually
/// received, the payload. `Tools/make-image.py` writes this layout.
public struct FirmwareImageHeader: Sendable {
    public static let size = 128
    public static let magic: StaticString = "EDGEFWIM"
    public static let formatVersion: UInt16 = 1
    public static let boardOffset = 16, boardSize = 32
    public static let versionOffset = 48, versionSize = 32
    public static let payloadLengthOffset = 80
    public static let digestOffset = 88
    /// A DER ECDSA P-256 signature is at most 72 bytes.
    public static let maxSignatureSize = 72

    /// Firmware version from the header.
    public var version: FirmwareVersion
    /// Payload length in bytes.
    public var payloadLength: UInt64
    /// The payload's SHA-256 as the header states it.
    public var payloadDigest: (UInt64, UInt64, UInt64, UInt64)

    static func readLE16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
    static func readLE32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }
    static func readLE64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        UInt64(readLE32(b, o)) | UInt64(readLE32(b, o + 4)) << 32
    }

    /// The text of a NUL-padded field: its bytes up to the first NUL. nil when a non-NUL byte
    /// follows a NUL (padding must be clean) or the field is empty.
    static func paddedText(_ b: UnsafeRawBufferPointer, _ offset: Int, _ size: Int) -> UnsafeRawBufferPointer? {
        var end = offset
        while end < offset + size && b[end] != 0 { end += 1 }
        guard end > offset else { return nil }
        for i in end..<(offset + size) where b[i] != 0 { return nil }
        return UnsafeRawBufferPointer(rebasing: b[offset..<end])
    }

    /// Parses and checks the 128 header bytes against what this firmware accepts. Never
    /// allocates.
    public static func parse(_ b: UnsafeRawBufferPointer, policy: borrowing FirmwareImagePolicy) throws(FirmwareImageError) -> FirmwareImageHeader {
        guard b.count >= size else { throw .truncated }
        let m = magic.utf8Start
        for i in 0..<8 where b[i] != m[i] { throw .badMagic }
        let format = readLE16(b, 8)
        guard format == formatVersion else { throw .unsupportedFormat(format) }
        guard readLE16(b, 10) == UInt16(size) else { throw .malformedHeader("header size is not 128") }
        guard readLE32(b, 12) == 0 && readLE64(b, 120) == 0 else { throw .malformedHeader("reserved bytes are not zero") }
        guard let board = paddedText(b, boardOffset, boardSize) else { throw .malformedHeader("board name") }
        guard let versionText = paddedText(b, versionOffset, versionSize),
              let version = FirmwareVersion(bytes: versionText) else { throw .malformedHeader("firmware version") }
        guard policy.boardMatches(board) else { throw .wrongBoard }
        if version < policy.runningVersion && !policy.allowDowngrade { throw .downgrade }
        let length = readLE64(b, payloadLengthOffset)
        guard length <= policy.maxPayloadLength else { throw .oversized }
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[digestOffset..<(digestOffset + 32)])) }
        return FirmwareImageHeader(version: version, payloadLength: length, payloadDigest: digest)
    }

    /// The board name bytes of a header (for display).
    public static func boardName(_ header: UnsafeRawBufferPointer) -> String {
        guard let t = paddedText(header, boardOffset, boardSize) else { return "" }
        return String(decoding: t, as: UTF8.self)
    }
}
