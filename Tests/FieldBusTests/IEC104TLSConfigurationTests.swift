import EdgeCore
import FieldBus
import Foundation
import TestSupport
import Testing

/// The `"tls"` object of an IEC 104 bus (IEC 62351-3): the names of `cloud.tls` (caFile,
/// certFile, keyFile, keyPassword, verifyHostName, serverName), the files checked when the
/// configuration is loaded, each mistake named with its file, path, line and column.
@Suite(.enabled(if: CertificateDirectory.isAvailable))
struct IEC104TLSConfigurationTests {
    /// A self-signed CA (its certificate and key serve as any of the three files) and a file
    /// that is not a certificate.
    final class Files: CertificateDirectory {
        init() throws {
            try super.init(prefix: "iec104-tls-config")
            try makeCA(subject: "/CN=iec104 config test", key: .rsa2048)
            try write("garbage.crt", "not a certificate\n")
        }
    }

    static func document(bus: String) -> String {
        """
        {"buses": [\(bus),
                   {"name": "plant", "type": "tcp", "host": "10.0.0.5"}],
         "templates": [{"name": "rtu", "protocol": "iec104", "points": [{"id": "p", "ioa": 11, "type": "float"}]}],
         "devices": [{"name": "s1", "template": "rtu", "bus": "substation", "commonAddress": 47}]}
        """
    }

    static func errors(_ text: String) -> [String] {
        do throws(ConfigErrors) {
            _ = try FieldBusConfiguration.parse(Array(text.utf8), file: "fieldbus.json")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func tlsObjectOfAnIEC104BusGivesTheTransportItsFiles() throws {
        let files = try Files()
        let bus = """
            {"name": "substation", "type": "tcp", "protocol": "iec104", "host": "10.0.0.7", "port": 19998,
             "tls": {"caFile": "\(files.path("ca.crt"))", "certFile": "\(files.path("ca.crt"))", "keyFile": "\(files.path("ca.key"))",
                     "serverName": "rtu.example"}}
            """
        let config = try FieldBusConfiguration.parse(Array(Self.document(bus: bus).utf8), file: "fieldbus.json")
        let tls = try #require(config.buses[0].iec104TLS)
        #expect(tls == .init(caFile: files.path("ca.crt"), certificateFile: files.path("ca.crt"), keyFile: files.path("ca.key"),
                             verifyHostName: true, serverName: "rtu.example"))
        #expect(tls.configuration.clientKeyFile == files.path("ca.key") && tls.configuration.serverName == "rtu.example")
        #expect(config.buses[1].iec104TLS == nil)
    }

    @Test func mistakesAreNamedWithFilePathLineAndColumn() throws {
        let files = try Files()
        let ca = files.path("ca.crt")
        func bus(_ tls: String, protocolName: String = "\"protocol\": \"iec104\", ") -> String {
            "{\"name\": \"substation\", \"type\": \"tcp\", \(protocolName)\"host\": \"10.0.0.7\",\n \"tls\": \(tls)}"
        }
        let cases: [(String, String)] = [
            (bus("{\"certFile\": \"\(ca)\"}"), "buses[0].tls (line 2, column 9): missing required key \"caFile\""),
            (bus("{\"caFile\": \"\(ca)\", \"cafile\": \"x\"}"), "buses[0].tls.cafile"),
            (bus("{\"caFile\": \"/nonexistent/ca.crt\"}"), "buses[0].tls.caFile (line 2, column 20): file \"/nonexistent/ca.crt\" does not exist"),
            (bus("{\"caFile\": \"\(files.path("garbage.crt"))\"}"), "buses[0].tls.caFile (line 2, column 20): file \"\(files.path("garbage.crt"))\" is not a PEM or DER certificate"),
            (bus("{\"caFile\": \"\(ca)\", \"certFile\": \"\(ca)\"}"), "buses[0].tls (line 2, column 9): give both certFile and keyFile (mutual TLS), or neither"),
            (bus("{\"caFile\": \"\(ca)\", \"keyPassword\": \"x\"}"), "buses[0].tls.keyPassword"),
            (bus("{\"caFile\": \"\(ca)\"}", protocolName: "\"protocol\": \"modbus-tcp\", "),
             "buses[0].tls (line 2, column 2): \"tls\" applies to a bus with \"protocol\": \"iec104\""),
        ]
        for (bus, expected) in cases {
            let found = Self.errors(Self.document(bus: bus))
            #expect(found.contains { $0.contains("fieldbus.json: " + expected) }, "\(bus): \(found)")
        }
    }
}
