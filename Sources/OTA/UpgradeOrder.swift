import EdgeCore
import EdgeCrypto

/// What the cloud asks for in an `ota.device.upgrade` push (enos-protocol.md §7), as the EnOS
/// layer hands it over: the version, where to fetch the file, its size and its digest with the
/// digest's method. Validated once at construction; the digest is held decoded.
public struct UpgradeOrder: Sendable {
    /// The version as the cloud writes it (`v1.0`, `1.2.3`).
    public var version: String
    /// The download location: http(s)://, or an EnOS file (`enos-connect://…`, a relative path)
    /// fetched through the EnOS HTTP broker (`FirmwareLocation`).
    public var fileURL: String
    /// Announced size in bytes, when given.
    public var fileSize: UInt64?
    public var digestAlgorithm: MessageDigest.Algorithm
    /// The decoded digest (`digestAlgorithm.size` bytes used).
    public private(set) var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// False for a technician's install (`ota install URL`): no digest from a cloud, the image's
    /// own SHA-256 and signature are the checks.
    public private(set) var hasDigest = true

    /// `sign` is the hex digest, `signMethod` its algorithm name.
    public init(version: String, fileURL: String, fileSize: UInt64?, sign: String, signMethod: String) throws(FirmwareImageError) {
        guard let algorithm = MessageDigest.Algorithm(name: signMethod) else { throw .unsupportedCloudDigest }
        self.version = version
        self.fileURL = fileURL
        self.fileSize = fileSize
        self.digestAlgorithm = algorithm
        let count = withUnsafeMutableBytes(of: &digest) { Hex.decode(sign, into: $0) }
        guard count == algorithm.size else { throw .unsupportedCloudDigest }
    }

    /// A technician's install of the image at `fileURL`: no announced version, size or digest.
    public init(installing fileURL: String) {
        version = ""
        self.fileURL = fileURL
        fileSize = nil
        digestAlgorithm = .sha256
        hasDigest = false
    }

    /// True when there is no cloud digest, or `computed` (at least `digestAlgorithm.size` bytes) equals the ordered digest.
    public func digestMatches(_ computed: UnsafeRawBufferPointer) -> Bool {
        guard hasDigest else { return true }
        return withUnsafeBytes(of: digest) { expected in
            for i in 0..<digestAlgorithm.size where expected[i] != computed[i] { return false }
            return true
        }
    }

    /// The ordered version, when it is a dotted version.
    public var orderedVersion: FirmwareVersion? { FirmwareVersion(version) }
}
