import CShim

/// The public key (DER SubjectPublicKeyInfo, ECDSA P-256) that firmware images and configuration
/// bundles must be signed with. It is not compiled into Swift: the firmware links it with its
/// identity (`make firmware OTA_KEY=public.der`, firmware.mk), the host build has none. Empty
/// means no key: every image is then refused.
public enum TrustedFirmwareKey {
    /// The key's bytes (a copy; read at start-up and by the `ota` commands, not in the steady state).
    public static var der: [UInt8] {
        var count = 0
        guard let bytes = edge_trusted_firmware_key(&count), count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: bytes, count: count))
    }
}
