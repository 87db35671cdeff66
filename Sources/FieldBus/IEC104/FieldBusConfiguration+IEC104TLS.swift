import EdgeCore
import TLS

extension FieldBusConfiguration {
    /// The `"tls"` object of a bus: TLS towards an IEC 104 outstation (IEC 62351-3), only on an
    /// iec104 bus. The names and checks of the cloud's `cloud.tls` (`TLSFileSettings.decode`):
    /// the CA, an optional client certificate and key (mutual authentication, which 62351-3
    /// expects), every file parsed as mbedTLS will parse it when the link connects.
    static func decodeIEC104TLS(_ o: ConfigObject, at path: JSONPath, _ v: inout ConfigValidator, onIEC104: Bool) -> TLSFileSettings? {
        guard let member = o.member("tls") else { return nil }
        let tpath = path.key("tls")
        guard onIEC104 else {
            v.report("\"tls\" applies to a bus with \"protocol\": \"iec104\" (IEC 62351-3)", at: tpath, member.keyLocation)
            return nil
        }
        return TLSFileSettings.decode(member.value, at: tpath, &v)
    }
}
