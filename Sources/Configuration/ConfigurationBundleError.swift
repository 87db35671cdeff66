/// Why a configuration bundle was refused (`ConfigurationBundle.verify`). A refused bundle
/// changes nothing: the verification runs before anything is written.
public enum ConfigurationBundleError: Error, Equatable, Sendable {
    /// The first 8 bytes are not `EDGECFGB`: not a configuration bundle.
    case notABundle
    /// A format version this agent does not read.
    case unsupportedFormat(UInt16)
    /// The header is inconsistent (header size, flags, reserved bytes, version text, bytes after
    /// the signature, a signature field longer than a P-256 signature can be).
    case malformedHeader(StaticString)
    /// The configuration is larger than the agent reads (1 MiB, as a configuration file).
    case oversized
    /// The bundle ended before its declared end (header, configuration or signature cut short).
    case truncated
    /// The header's version field is empty: every bundle names the version it installs.
    case versionMissing
    /// The bundle carries no signature (it ends right after the configuration, or its signature
    /// length is 0).
    case unsigned
    /// Signed by another key than the one this agent trusts (the header's key id differs).
    case foreignKey
    /// The configuration's SHA-256 differs from the header's, or the signature does not verify
    /// with the trusted key: the bundle was changed after it was signed.
    case tampered
    /// No usable trusted key: none compiled in, or it does not parse as an ECDSA P-256 key.
    case noTrustedKey

    /// One line for the command line, the console and the cloud's reply.
    public var description: String {
        switch self {
        case .notABundle: return "not a configuration bundle (bad magic)"
        case .unsupportedFormat(let v): return "bundle format \(v) is not supported (this agent reads format 1)"
        case .malformedHeader(let what): return "malformed bundle: \(what)"
        case .oversized: return "the configuration in the bundle is larger than 1 MiB"
        case .truncated: return "the bundle is truncated"
        case .versionMissing: return "the bundle names no configuration version"
        case .unsigned: return "the bundle is not signed"
        case .foreignKey: return "the bundle is signed by a key this agent does not trust"
        case .tampered: return "the bundle was changed after it was signed (digest or signature mismatch)"
        case .noTrustedKey: return "no usable configuration key (none compiled in, or not an ECDSA P-256 key)"
        }
    }

    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.notABundle, .notABundle), (.malformedHeader, .malformedHeader), (.oversized, .oversized),
             (.truncated, .truncated), (.versionMissing, .versionMissing), (.unsigned, .unsigned),
             (.foreignKey, .foreignKey), (.tampered, .tampered), (.noTrustedKey, .noTrustedKey):
            return true
        case (.unsupportedFormat(let x), .unsupportedFormat(let y)): return x == y
        default: return false
        }
    }
}
