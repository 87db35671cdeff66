import CShim
import EdgeCore

/// The `"tls"` object of a configuration (`cloud.tls`, an IEC 104 bus's `tls`): the CA that
/// signs the server's certificate, an optional client certificate and key (mutual TLS), and
/// whether the server's certificate must name the host (or `serverName`). `decode` checks every
/// file as `TLSStream` will parse it, so a bad file is a configuration error, not a link failure.
public struct TLSFileSettings: Equatable, Sendable {
    public var caFile: String
    public var certificateFile: String?
    public var keyFile: String?
    /// Passphrase of an encrypted `keyFile` (a secret: masked wherever the configuration is shown).
    public var keyPassword: String?
    public var verifyHostName: Bool
    /// The name to check (and send as SNI) instead of the host connected to.
    public var serverName: String?

    public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil, keyPassword: String? = nil,
                verifyHostName: Bool = true, serverName: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.keyPassword = keyPassword
        self.verifyHostName = verifyHostName
        self.serverName = serverName
    }

    /// The transport's configuration (`TLSStream`).
    public var configuration: TLSConfiguration {
        TLSConfiguration(caFile: caFile, verifyHostName: verifyHostName, serverName: serverName,
                         clientCertificateFile: certificateFile, clientKeyFile: keyFile, clientKeyPassword: keyPassword)
    }

    /// The keys of the `"tls"` object.
    public static let keys = ["caFile", "certFile", "keyFile", "keyPassword", "verifyHostName", "serverName"]

    /// Decodes the `"tls"` object at `path`: `certFile` and `keyFile` together or neither,
    /// `keyPassword` only with `keyFile`, every file existing, and every file parsed now, as the
    /// TLS transport will parse them (`TLSFileCheck`): a garbage file is refused at load (and on
    /// SIGHUP), naming it, not reported after start-up. nil (with the errors in `v`) on any mistake.
    public static func decode(_ value: JSONValue, at path: JSONPath, _ v: inout ConfigValidator) -> TLSFileSettings? {
        guard let t = v.object(value, at: path, allowedKeys: keys) else { return nil }
        let before = v.errors.count
        let ca = v.string(in: t, "caFile")
        let cert = v.string(in: t, "certFile", required: false)
        let key = v.string(in: t, "keyFile", required: false)
        let keyPassword = v.string(in: t, "keyPassword", required: false)
        if keyPassword != nil && key == nil {
            v.report("keyPassword applies only with keyFile", at: path.key("keyPassword"), t.member("keyPassword")?.value.location)
        }
        let verify = v.bool(in: t, "verifyHostName", required: false) ?? true
        let serverName = v.string(in: t, "serverName", required: false)
        if (cert == nil) != (key == nil), t.member("certFile") != nil || t.member("keyFile") != nil {
            v.report("give both certFile and keyFile (mutual TLS), or neither", at: path, t.location)
        }
        for (name, file) in [("caFile", ca), ("certFile", cert), ("keyFile", key)] {
            if let file, access(file, F_OK) != 0 {
                v.report("file \"\(file)\" does not exist", at: path.key(name), t.member(name)?.value.location)
            }
        }
        if v.errors.count == before {
            for (name, file) in [("caFile", ca), ("certFile", cert)] {
                if let file, let problem = TLSFileCheck.certificates(file) {
                    v.report(problem, at: path.key(name), t.member(name)?.value.location)
                }
            }
            if v.errors.count == before, let key,
               let problem = TLSFileCheck.privateKey(key, password: keyPassword, certificatePath: cert) {
                v.report(problem, at: path.key("keyFile"), t.member("keyFile")?.value.location)
            }
        }
        guard v.errors.count == before, let ca else { return nil }
        return TLSFileSettings(caFile: ca, certificateFile: cert, keyFile: key, keyPassword: keyPassword,
                               verifyHostName: verify, serverName: serverName)
    }
}
