import EdgeCrypto
import EnOS
import Testing

/// The signing test vectors of enos-protocol.md §1.2 (gateway CONNECT) and §4.4 (sub-device login).
@Suite struct SignatureTests {
    @Test func connectCredentialsMatchSpecVector() {
        let device = EnOSDeviceIdentity(productKey: "654321", deviceKey: "test", deviceSecret: "abcdefg")
        let c = EnOSConnectCredentials(device: device, clientId: "123456", timestampMilliseconds: 1548753362502)
        #expect(c.password == "B99032D49C706F7B27B22AB5CD2DD3C56A31E1BCBBC83BA0A2A6BB3272FBB166")
        #expect(c.clientId == "123456|securemode=2,signmethod=sha256,timestamp=1548753362502|")
        #expect(c.username == "test&654321")
    }

    @Test func subDeviceLoginSignMatchesSpecVector() {
        var hasher = SHA256()
        var out = [UInt8](repeating: 0, count: 64)
        let ok = out.withUnsafeMutableBytes { buffer in
            EnOSSignature.write(clientId: "subPK.subDK.1700000000000", productKey: "subPK", deviceKey: "subDK",
                                timestampMilliseconds: 1700000000000, secret: "s3cr3t", hasher: &hasher, into: buffer)
        }
        #expect(ok)
        #expect(String(decoding: out, as: UTF8.self) == "1AA8399EDBA35E0012B025E4F1B4BB5BE67717EEAB971C1B90B69F7A94181408")
    }

    @Test func signRefusesShortBuffer() {
        var hasher = SHA256()
        var out = [UInt8](repeating: 0, count: 63)
        let ok = out.withUnsafeMutableBytes { buffer in
            EnOSSignature.write(clientId: "c", productKey: "p", deviceKey: "d", timestampMilliseconds: 1,
                                secret: "s", hasher: &hasher, into: buffer)
        }
        #expect(!ok)
    }
}
