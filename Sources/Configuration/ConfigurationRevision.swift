import EdgeCore
import EdgeCrypto

/// Which configuration is running: the version the file names (its root `version`, set by the
/// bundle that installed it; empty for a hand-written file without one) and the SHA-256 of the
/// file's bytes as loaded. Computed once at load; shown in the gateway status and the console, so
/// that a configuration that drifted from the cloud's copy (edited by hand, a failed apply) shows
/// as another hash.
public struct ConfigurationRevision: Equatable, Sendable {
    public var version: String
    /// SHA-256 of the file, 64 lowercase hex digits (empty when not loaded from bytes).
    public var sha256: String

    public init(version: String = "", sha256: String = "") {
        self.version = version
        self.sha256 = sha256
    }

    /// The revision of a configuration's bytes with the version its document names.
    public init(version: String, bytes: [UInt8]) {
        self.version = version
        let digest = bytes.withUnsafeBytes { SHA256.hash($0) }
        self.sha256 = digest.withUnsafeBytes { Hex.string($0) }
    }

    /// "1.4 (sha256 3f2a…)" for the console; "(unversioned)" without a version.
    public var summary: String {
        (version.isEmpty ? "(unversioned)" : version) + " (sha256 " + (sha256.isEmpty ? "?" : String(sha256.prefix(16)) + "…") + ")"
    }
}
