import EdgeCore
import EdgeCrypto

/// Why a firmware image was refused (or could not be stored). Every case maps to one of the EnOS
/// `ota.device.progress` failure steps (`progressStep`) and has a one-line description for the
/// console and the progress report's `desc`.
public enum FirmwareImageError: Error, Equatable, Sendable {
    /// The first 8 bytes are not `EDGEFWIM`: not an edge-agent image.
    case badMagic
    /// A format version this firmware does not read.
    case unsupportedFormat(UInt16)
    /// The header is inconsistent (header size, reserved bytes, board or version text).
    case malformedHeader(StaticString)
    /// Built for another board.
    case wrongBoard
    /// Older than the running firmware, and downgrades are not allowed.
    case downgrade
    /// The payload is larger than the slot (or the configured maximum), or bytes follow the end
    /// of the image, or the signature field is longer than an ECDSA P-256 signature can be.
    case oversized
    /// The image ended before its declared end.
    case truncated
    /// The payload's SHA-256 differs from the header's.
    case badDigest
    /// The signature does not verify against the firmware's public key.
    case badSignature
    /// The public key carried by the firmware could not be parsed.
    case badKey
    /// Writing the payload into the slot failed.
    case writeFailed(Errno)
    /// The file's digest differs from the one the cloud sent with the order.
    case cloudDigestMismatch
    /// The order names a digest method this firmware does not know, or a malformed digest.
    case unsupportedCloudDigest
    /// The image's version is not the version the cloud ordered.
    case notTheOrderedVersion
    /// The file's size differs from the size the cloud announced in the order.
    case sizeDiffersFromOrder(ordered: UInt64, actual: UInt64)

    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.badMagic, .badMagic), (.wrongBoard, .wrongBoard), (.downgrade, .downgrade), (.oversized, .oversized),
             (.truncated, .truncated), (.badDigest, .badDigest), (.badSignature, .badSignature), (.badKey, .badKey),
             (.malformedHeader, .malformedHeader), (.cloudDigestMismatch, .cloudDigestMismatch),
             (.unsupportedCloudDigest, .unsupportedCloudDigest), (.notTheOrderedVersion, .notTheOrderedVersion):
            return true
        case (.unsupportedFormat(let x), .unsupportedFormat(let y)): return x == y
        case (.writeFailed(let x), .writeFailed(let y)): return x == y
        case (.sizeDiffersFromOrder(let o, let a), .sizeDiffersFromOrder(let p, let b)): return o == p && a == b
        default: return false
        }
    }

    /// The EnOS progress step reported for this failure (enos-protocol.md §7): `-2` download
    /// failed (the image ended early), `-3` verification failed, `-4` write failed, `-5` the
    /// device ignored the upgrade (a refused downgrade).
    public var progressStep: Int {
        switch self {
        case .truncated: return -2
        case .writeFailed: return -4
        case .downgrade: return -5
        default: return -3
        }
    }

    /// One line naming the reason.
    public var description: String {
        switch self {
        case .badMagic: return "image refused: not an edge-agent firmware image (bad magic)"
        case .unsupportedFormat(let v): return "image refused: unsupported image format version \(v)"
        case .malformedHeader(let what): return "image refused: malformed header (\(what.description))"
        case .wrongBoard: return "image refused: built for another board"
        case .downgrade: return "image refused: older than the running firmware (downgrade not allowed)"
        case .oversized: return "image refused: larger than the slot or longer than declared"
        case .truncated: return "image refused: truncated"
        case .badDigest: return "image refused: payload SHA-256 does not match the header"
        case .badSignature: return "image refused: signature does not verify"
        case .badKey: return "image refused: the firmware's public key is unusable"
        case .writeFailed(let e): return "image install failed: writing the slot: \(e.message)"
        case .cloudDigestMismatch: return "image refused: file digest differs from the cloud's"
        case .unsupportedCloudDigest: return "image refused: unsupported or malformed digest in the upgrade order"
        case .notTheOrderedVersion: return "image refused: not the version the upgrade order names"
        case .sizeDiffersFromOrder(let o, let a): return "image refused: file is \(a) bytes, the upgrade order says \(o)"
        }
    }
}
