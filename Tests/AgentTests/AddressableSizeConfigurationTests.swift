import Agent
import EdgeCore
import Testing
@testable import Configuration

/// Sizes and offsets are checked against what the running platform can address (`Int.max`: 2 GiB
/// - 1 on 32-bit ARM) and against what the ring log can hold, at load: a value that passes
/// validation converts to `Int` without a trap later.
@Suite struct AddressableSizeConfigurationTests {
    static func errors(_ text: String) -> [String] { AgentConfigurationTests.errors(text) }

    static func ringLog(_ members: String) -> String {
        AgentConfigurationTests.minimal.replacingOccurrences(of: #""size": "1MiB", "sectorSize": "64KiB""#, with: members)
    }

    @Test func byteCountAboveIntMaxIsRefused() {
        // Used to pass validation and trap in Int(syncBytes).
        let e = Self.errors(Self.ringLog(#""size": "1MiB", "sectorSize": "64KiB", "syncBytes": "0xffffffffffffffff""#))
        #expect(e.count == 1 && e[0].hasPrefix("agent.json: ringLog.syncBytes (line 9,")
                && e[0].hasSuffix("18446744073709551615 bytes is more than this \(Int.bitWidth)-bit platform can address (at most \(Int.max))"), "\(e)")
        let f = Self.errors(Self.ringLog(#""size": 18446744073709551615, "sectorSize": "64KiB""#))
        #expect(f.count == 1 && f[0].hasPrefix("agent.json: ringLog.size (line 9,") && f[0].contains("can address"), "\(f)")
    }

    @Test func syncBytesBeyondTheRingLogIsRefused() {
        let e = Self.errors(Self.ringLog(#""size": "1MiB", "sectorSize": "64KiB", "syncBytes": "2MiB""#))
        #expect(e.count == 1 && e[0].hasPrefix("agent.json: ringLog.syncBytes (line 9,")
                && e[0].hasSuffix("syncBytes 2097152 is larger than the ring log (size 1048576): it would never be reached"), "\(e)")
    }

    @Test func moreSectorsThanTheRingLogCountsAreRefused() {
        // 1 TiB of 256-byte sectors: 2^32 sectors, which the 32-bit sector count of the log's
        // headers cannot hold (formatting it trapped).
        let e = Self.errors(Self.ringLog(#""size": 1099511627776, "sectorSize": 256"#))
        #expect(e.count == 1 && e[0].hasPrefix("agent.json: ringLog.size (line 9,")
                && e[0].hasSuffix("size 1099511627776 holds 4294967296 sectors of 256 bytes, more than the ring log's 4294967295; use larger sectors"), "\(e)")
    }

    @Test func sizesWithinTheLimitsStillLoad() throws {
        let text = Self.ringLog(#""size": "1MiB", "sectorSize": "64KiB", "syncBytes": "1MiB""#)
        let config = try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
        #expect(config.store.syncBytes == 1 << 20)
    }
}
