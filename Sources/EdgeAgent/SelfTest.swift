import CModbus
import CShim
import EdgeCore
import EdgeCrypto

/// `edge-agent selftest`: proves on the device itself that the linked C libraries and the core
/// primitives work: SHA-256 and an ECDSA P-256 verification through mbedTLS, a libmodbus RTU
/// transaction over a pseudo-terminal, both CRCs and both clocks, and on the firmware that
/// swift_bridgeObjectRetain returns its argument (CShim/embedded_runtime.c). Prints one line per
/// check and `selftest: ok` when all pass.
enum SelfTest {
    static func run() -> Bool {
        var failures = 0
        check("crc32", crc(), &failures)
        check("crc16-modbus", crc16(), &failures)
        check("sha256", sha256(), &failures)
        check("ecdsa-p256-verify", ecdsa(), &failures)
        check("modbus-rtu-pty", modbusOverPseudoTerminal(), &failures)
        check("clock", clock(), &failures)
        #if EDGE_FIRMWARE
        check("runtime-bridge-object-retain", bridgeObjectRetain(), &failures)
        #endif
        if failures == 0 {
            StandardOutput.line("selftest: ok")
            return true
        }
        StandardOutput.line("selftest: FAILED (\(failures) check\(failures == 1 ? "" : "s"))")
        return false
    }

    private static func check(_ name: String, _ failure: String?, _ failures: inout Int) {
        if let failure {
            failures += 1
            StandardOutput.line("FAIL \(name): \(failure)")
        } else {
            StandardOutput.line("ok   \(name)")
        }
    }

    #if EDGE_FIRMWARE
    /// The Embedded runtime's swift_bridgeObjectRetain must return its argument (a small String's
    /// bits intact), or an optimised call site corrupts the string (CShim/embedded_runtime.c).
    static func bridgeObjectRetain() -> String? {
        switch edge_bridge_object_retain_returns_argument() {
        case 1, -1: return nil   // -1: a 32-bit target, where no String holds a bridge object
        default: return "swift_bridgeObjectRetain changed a small String's bits (the firmware must link with --wrap=swift_bridgeObjectRetain, see CShim/embedded_runtime.c)"
        }
    }
    #endif

    static func crc() -> String? {
        let value = CRC32.checksum("123456789")
        return value == 0xCBF4_3926 ? nil : "CRC-32 of 123456789 is \(Hex.string(value, width: 8)), expected 0xcbf43926"
    }

    static func crc16() -> String? {
        let value = CRC16.checksum("123456789")
        return value == 0x4B37 ? nil : "CRC-16/MODBUS of 123456789 is \(Hex.string(value, width: 4)), expected 0x4b37"
    }

    static func sha256() -> String? {
        // FIPS 180-2 test vector: SHA-256("abc").
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        let text: StaticString = "abc"
        let digest = SHA256.hash(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        let got = digest.withUnsafeBytes { Hex.string($0) }
        return got == expected ? nil : "SHA-256(abc) = \(got)"
    }

    // A P-256 key, message and signature made with openssl (see Tests/EdgeCryptoTests).
    static let publicKeyHex = "3059301306072a8648ce3d020106082a8648ce3d03010703420004efa73586989ed4ea70ba31fcbb42063801cdf61ff57a8e51404bd751711079125e1d6e9c567995371320f46f840f388decc5aa419e63cc0c02ea011100afc21e"
    static let signatureHex = "30440220154baec455e78ffe1e8566bced80c298877e8bb1f2d2b717d99e3c1320377a79022017981cd2cd3c7c2c8ea2185146fe09db37f4c05f506dabd22c42af85e2970109"
    static let message: StaticString = "edge-agent selftest"

    static func ecdsa() -> String? {
        var keyBytes = [UInt8](repeating: 0, count: 128)
        var sigBytes = [UInt8](repeating: 0, count: 80)
        return keyBytes.withUnsafeMutableBytes { key -> String? in
            sigBytes.withUnsafeMutableBytes { sig -> String? in
                    guard let keyCount = Hex.decode(publicKeyHex, into: key),
                          let sigCount = Hex.decode(signatureHex, into: sig) else { return "bad test vector" }
                    var digest = SHA256.hash(UnsafeRawBufferPointer(start: message.utf8Start, count: message.utf8CodeUnitCount))
                    let publicKey: ECDSAPublicKey
                    do throws(CryptoError) {
                        publicKey = try ECDSAPublicKey(der: UnsafeRawBufferPointer(rebasing: key[0..<keyCount]))
                    } catch { return error.description }
                    let signature = UnsafeRawBufferPointer(rebasing: sig[0..<sigCount])
                    do throws(CryptoError) { try publicKey.verify(digest: digest, signature: signature) }
                    catch { return "genuine signature refused: \(error.description)" }
                    // A changed digest must be refused.
                    digest.withUnsafeMutableBytes { $0[0] ^= 0x01 }
                    do throws(CryptoError) {
                        try publicKey.verify(digest: digest, signature: signature)
                        return "tampered digest accepted"
                    } catch {
                        return nil
                    }
            }
        }
    }

    /// libmodbus as RTU master on the slave side of a pseudo-terminal; this code plays the
    /// Modbus device on the master side. The reply is queued before the request is sent (the
    /// pty buffers it), so one thread suffices: read holding registers 0x006B..0x006C of unit 17.
    static func modbusOverPseudoTerminal() -> String? {
        var name = [CChar](repeating: 0, count: 128)
        let master = name.withUnsafeMutableBufferPointer { edge_openpty_master($0.baseAddress, $0.count) }
        if master < 0 { return "openpty: \(Errno.current.message)" }
        let device = FileDescriptor(owning: master)
        let path = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard let ctx = modbus_new_rtu(path, 9600, CChar(UInt8(ascii: "N")), 8, 1) else {
            return "modbus_new_rtu(\(path)) failed: \(Errno.current.message)"
        }
        defer { modbus_close(ctx); modbus_free(ctx) }
        _ = modbus_set_slave(ctx, 17)
        _ = modbus_set_response_timeout(ctx, 2, 0)
        if modbus_connect(ctx) != 0 { return "modbus_connect(\(path)): \(Errno.current.message)" }

        var reply: [UInt8] = [17, 0x03, 0x04, 0x12, 0x34, 0xAB, 0xCD, 0, 0]
        let crc = reply.withUnsafeBytes { CRC16.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<7])) }
        reply[7] = UInt8(truncatingIfNeeded: crc)
        reply[8] = UInt8(truncatingIfNeeded: crc >> 8)
        // Array's withUnsafe* rethrow untyped errors, so failures come back as values here.
        let writeError: Errno? = reply.withUnsafeBytes { b in
            do throws(Errno) { try device.writeAll(b); return nil } catch { return error }
        }
        if let writeError { return "writing the reply: \(writeError.message)" }

        var registers: [UInt16] = [0, 0]
        let n = registers.withUnsafeMutableBufferPointer { modbus_read_registers(ctx, 0x6B, 2, $0.baseAddress) }
        if n != 2 { return "modbus_read_registers returned \(n): \(String(cString: modbus_strerror(edge_errno())))" }
        if registers[0] != 0x1234 || registers[1] != 0xABCD {
            return "registers \(Hex.string(registers[0], width: 4)) \(Hex.string(registers[1], width: 4)), expected 0x1234 0xabcd"
        }
        // The request libmodbus sent: 11 03 00 6B 00 02 + CRC (low byte first).
        var request = [UInt8](repeating: 0, count: 16)
        let readResult: Result<Int, Errno> = request.withUnsafeMutableBytes { b in
            do throws(Errno) { return .success(try device.read(into: b)) } catch { return .failure(error) }
        }
        let got: Int
        switch readResult {
        case .success(let n): got = n
        case .failure(let error): return "reading the request: \(error.message)"
        }
        let expected: [UInt8] = [17, 0x03, 0x00, 0x6B, 0x00, 0x02, 0xB7, 0x47]
        if got != 8 || Array(request[0..<8]) != expected {
            return "request bytes \(request.withUnsafeBytes { Hex.string(UnsafeRawBufferPointer(rebasing: $0[0..<got])) })"
        }
        return nil
    }

    static func clock() -> String? {
        let clock = SystemClock()
        let a = clock.monotonicNow()
        edge_sleep_ns(2_000_000)
        let b = clock.monotonicNow()
        if b.nanoseconds(since: a) < 1_000_000 { return "monotonic clock did not advance over a 2 ms sleep" }
        let wall = clock.wallNow()
        if wall.milliseconds < 1_577_836_800_000 { return "wall clock before 2020: \(wall.milliseconds) ms" }
        return nil
    }
}
