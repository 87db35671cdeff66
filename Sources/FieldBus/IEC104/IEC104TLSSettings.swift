import CShim
import EdgeCore
import TLS

/// TLS towards an IEC 104 outstation (IEC 62351-3): the CA that signs the outstation's
/// certificate, an optional client certificate and key (mutual authentication, which 62351-3
/// expects), and whether the outstation's certificate must name the host (or `serverName`).
/// The bus's `"tls"` object, with the names of the cloud's `cloud.tls`; the files are parsed when
/// the configuration is loaded, so a bad file is a configuration error, not a link failure.
public struct IEC104TLSSettings: Equatable, Sendable {
    public var caFile: String
    public var certificateFile: String?
    public var keyFile: String?
    /// Passphrase of an encrypted `keyFile`.
    public var keyPassword: String?
    public var verifyHostName: Bool
    /// The name to check (and send as SNI) instead of the bus's `host`.
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

    /// The transport's configuration (`TLSStream`, the same client the cloud link uses).
    public var configuration: TLSConfiguration {
        TLSConfiguration(caFile: caFile, verifyHostName: verifyHostName, serverName: serverName,
                         clientCertificateFile: certificateFile, clientKeyFile: keyFile, clientKeyPassword: keyPassword)
    }
}

extension FieldBusConfiguration {
    static let iec104TLSKeys = ["caFile", "certFile", "keyFile", "keyPassword", "verifyHostName", "serverName"]

    /// The `"tls"` object of a bus: only on an iec104 bus; every file must exist and parse as
    /// mbedTLS will parse it when the link connects (`TLSFileCheck`).
    static func decodeIEC104TLS(_ o: ConfigObject, at path: JSONPath, _ v: inout ConfigValidator, onIEC104: Bool) -> IEC104TLSSettings? {
        guard let member = o.member("tls") else { return nil }
        let tpath = path.key("tls")
        guard onIEC104 else {
            v.report("\"tls\" applies to a bus with \"protocol\": \"iec104\" (IEC 62351-3)", at: tpath, member.keyLocation)
            return nil
        }
        guard let t = v.object(member.value, at: tpath, allowedKeys: iec104TLSKeys) else { return nil }
        let before = v.errors.count
        let ca = v.string(in: t, "caFile")
        let cert = v.string(in: t, "certFile", required: false)
        let key = v.string(in: t, "keyFile", required: false)
        let keyPassword = v.string(in: t, "keyPassword", required: false)
        if keyPassword != nil && key == nil {
            v.report("keyPassword applies only with keyFile", at: tpath.key("keyPassword"), t.member("keyPassword")?.value.location)
        }
        let verify = v.bool(in: t, "verifyHostName", required: false) ?? true
        let serverName = v.string(in: t, "serverName", required: false)
        if (cert == nil) != (key == nil), t.member("certFile") != nil || t.member("keyFile") != nil {
            v.report("give both certFile and keyFile (mutual TLS), or neither", at: tpath, t.location)
        }
        for (name, file) in [("caFile", ca), ("certFile", cert), ("keyFile", key)] {
            if let file, access(file, F_OK) != 0 {
                v.report("file \"\(file)\" does not exist", at: tpath.key(name), t.member(name)?.value.location)
            }
        }
        if v.errors.count == before {
            for (name, file) in [("caFile", ca), ("certFile", cert)] {
                if let file, let problem = TLSFileCheck.certificates(file) {
                    v.report(problem, at: tpath.key(name), t.member(name)?.value.location)
                }
            }
            if v.errors.count == before, let key,
               let problem = TLSFileCheck.privateKey(key, password: keyPassword, certificatePath: cert) {
                v.report(problem, at: tpath.key("keyFile"), t.member("keyFile")?.value.location)
            }
        }
        guard v.errors.count == before, let ca else { return nil }
        return IEC104TLSSettings(caFile: ca, certificateFile: cert, keyFile: key, keyPassword: keyPassword,
                                 verifyHostName: verify, serverName: serverName)
    }
}
