/// How a `TLSStream` authenticates: the CA that must have signed the broker's chain, whether
/// the broker's certificate must name the host (on by default), an optional client certificate
/// and key (RSA-2048 or EC P-256, PEM or DER files), and the TLS record size to negotiate
/// (max_fragment_length: smaller records, less RAM where mbedTLS is built for it).
public struct TLSConfiguration: Sendable {
    /// PEM/DER file with the trusted CA certificate(s).
    public var caFile: String
    /// Check that the broker's certificate names `serverName` (or the host connected to).
    public var verifyHostName: Bool
    /// The name to check and to send as SNI; nil: the host given to `open`.
    public var serverName: String?
    public var clientCertificateFile: String?
    public var clientKeyFile: String?
    /// Passphrase of an encrypted client key (PEM); nil for a plain key.
    public var clientKeyPassword: String?
    /// 512, 1024, 2048 or 4096 to negotiate smaller records; nil: the standard 16 KB.
    /// mbedTLS 2.28 cannot reassemble a TLS handshake message split over records, so the value
    /// must exceed the broker's largest handshake message (its certificate chain): 4096 works
    /// with a one-certificate chain, 1024 does not (FEATURE_UNAVAILABLE during the handshake).
    /// RAM is set by MBEDTLS_SSL_IN/OUT_CONTENT_LEN at mbedTLS build time; this only keeps the
    /// peer's records within what such a build can receive.
    public var maximumFragmentLength: Int?

    public init(caFile: String, verifyHostName: Bool = true, serverName: String? = nil,
                clientCertificateFile: String? = nil, clientKeyFile: String? = nil,
                maximumFragmentLength: Int? = nil, clientKeyPassword: String? = nil) {
        self.caFile = caFile
        self.verifyHostName = verifyHostName
        self.serverName = serverName
        self.clientCertificateFile = clientCertificateFile
        self.clientKeyFile = clientKeyFile
        self.clientKeyPassword = clientKeyPassword
        self.maximumFragmentLength = maximumFragmentLength
    }
}
