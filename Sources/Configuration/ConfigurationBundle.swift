import EdgeCrypto

/// A signed configuration bundle: the agent's JSON configuration, the version it installs and an
/// ECDSA P-256 signature (format and key choice in Sources/Configuration/BUNDLE.md; built by
/// `Tools/make-config-bundle.py`). `verify` is a pure function over the caller's bytes: it reads
/// nothing else, writes nothing, and either returns where the configuration lies in the bundle or
/// throws the one reason the bundle is refused. Allocates (the version text, the key's mbedTLS
/// context): apply-time only.
public struct ConfigurationBundle: Sendable {
    /// `EDGECFGB`.
    public static let magic: [UInt8] = Array("EDGECFGB".utf8)
    public static let format: UInt16 = 1
    public static let headerSize = 128
    /// The largest configuration a bundle may carry: what `AgentConfiguration.load` reads.
    public static let maximumConfigurationSize = 1 << 20
    /// A DER ECDSA P-256 signature is at most 72 bytes, at least 8.
    static let signatureSizes = 8...72

    /// The configuration version the bundle installs (header bytes 16..<48).
    public var version: String
    /// Where the configuration's JSON lies in the verified bundle.
    public var configuration: Range<Int>
    /// SHA-256 of the configuration (as the header states it and the bytes hash).
    public var configurationDigest: SHA256Digest

    /// Checks `bundle` against `trustedKey` (DER SubjectPublicKeyInfo; a PEM key is refused as
    /// `noTrustedKey`, its key id would not be the DER's).
    /// The checks run in the order of the format: header, lengths (`truncated`), signature
    /// present (`unsigned`), key id (`foreignKey`), digest and signature (`tampered`).
    public static func verify(_ bundle: UnsafeRawBufferPointer, trustedKey: UnsafeRawBufferPointer) throws(ConfigurationBundleError) -> ConfigurationBundle {
        guard bundle.count >= 8 else { throw bundle.count == 0 ? .notABundle : .truncated }
        for i in 0..<8 where bundle[i] != magic[i] { throw .notABundle }
        guard bundle.count >= headerSize else { throw .truncated }
        let formatVersion = UInt16(littleEndian: bundle.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        guard formatVersion == format else { throw .unsupportedFormat(formatVersion) }
        guard Int(UInt16(littleEndian: bundle.loadUnaligned(fromByteOffset: 10, as: UInt16.self))) == headerSize else {
            throw .malformedHeader("header size is not 128")
        }
        guard bundle.loadUnaligned(fromByteOffset: 12, as: UInt32.self) == 0 else { throw .malformedHeader("flags are not 0") }
        for i in 120..<128 where bundle[i] != 0 { throw .malformedHeader("reserved bytes are not 0") }
        let version = try versionText(UnsafeRawBufferPointer(rebasing: bundle[16..<48]))
        let declared = UInt64(littleEndian: bundle.loadUnaligned(fromByteOffset: 48, as: UInt64.self))
        guard declared <= UInt64(maximumConfigurationSize) else { throw .oversized }
        let end = headerSize + Int(declared)
        guard bundle.count >= end else { throw .truncated }
        // Nothing after the configuration: never signed. One byte: a cut signature length.
        guard bundle.count > end else { throw .unsigned }
        guard bundle.count >= end + 2 else { throw .truncated }
        let signatureSize = Int(UInt16(littleEndian: bundle.loadUnaligned(fromByteOffset: end, as: UInt16.self)))
        guard signatureSize != 0 else { throw .unsigned }
        guard signatureSizes.contains(signatureSize) else { throw .malformedHeader("signature length is not 8...72") }
        guard bundle.count >= end + 2 + signatureSize else { throw .truncated }
        guard bundle.count == end + 2 + signatureSize else { throw .malformedHeader("bytes follow the signature") }

        let key: ECDSAPublicKey
        guard trustedKey.first != UInt8(ascii: "-") else { throw .noTrustedKey }
        do throws(CryptoError) { key = try ECDSAPublicKey(der: trustedKey) } catch { throw .noTrustedKey }
        if keyIdentifier(trustedKey) != SHA256Digest(copying: UnsafeRawBufferPointer(rebasing: bundle[88..<120])) {
            throw .foreignKey
        }
        let configuration = headerSize..<end
        let digest = SHA256.hash(UnsafeRawBufferPointer(rebasing: bundle[configuration]))
        guard digest == SHA256Digest(copying: UnsafeRawBufferPointer(rebasing: bundle[56..<88])) else { throw .tampered }
        var signed = SHA256()
        signed.update(UnsafeRawBufferPointer(rebasing: bundle[0..<headerSize]))
        digest.withUnsafeBytes { signed.update($0) }
        do throws(CryptoError) {
            try key.verify(digest: signed.finish(),
                           signature: UnsafeRawBufferPointer(rebasing: bundle[(end + 2)..<(end + 2 + signatureSize)]))
        } catch {
            throw .tampered
        }
        return ConfigurationBundle(version: version, configuration: configuration, configurationDigest: digest)
    }

    /// The key id a bundle carries: SHA-256 of the signer's public key as DER SubjectPublicKeyInfo
    /// (the form `Tools/make-image.py keygen` writes and the firmware compiles in).
    public static func keyIdentifier(_ der: UnsafeRawBufferPointer) -> SHA256Digest { SHA256.hash(der) }

    /// The version field: 1...32 printable ASCII bytes (no spaces), NUL-padded.
    static func versionText(_ field: UnsafeRawBufferPointer) throws(ConfigurationBundleError) -> String {
        var length = 0
        while length < field.count && field[length] != 0 { length += 1 }
        guard length > 0 else { throw .versionMissing }
        for i in 0..<length where !(0x21...0x7E).contains(field[i]) { throw .malformedHeader("version is not printable ASCII") }
        for i in length..<field.count where field[i] != 0 { throw .malformedHeader("version is not NUL-padded") }
        return String(decoding: UnsafeRawBufferPointer(rebasing: field[0..<length]), as: UTF8.self)
    }
}
