import OTA
import Testing

/// fw_env.config parsing as libubootenv's sscanf("%ms %lli %zx %zx …") reads it, and the
/// libubootenv rules for choosing the current redundant copy.
@Suite struct BootEnvironmentConfigTests {
    @Test func parsesSingleAndRedundantLines() throws {
        let one = try BootEnvironmentConfig.parse("# comment\n\n/dev/mmcblk0 0x3F0000 0x10000 0x10000\n")
        #expect(one.copies == [BootEnvironmentLocation(device: "/dev/mmcblk0", offset: 0x3F0000, size: 0x10000, sectorSize: 0x10000)])
        #expect(!one.isRedundant)
        let two = try BootEnvironmentConfig.parse("/dev/mtd1\t0\t4000\n/dev/mtd2 010 4000 2000 1\n/ignored 0 4000\n")
        #expect(two.isRedundant)
        #expect(two.copies[1].offset == 8)          // %lli: leading 0 is octal
        #expect(two.copies[1].size == 0x4000)       // %zx: hex without 0x
        #expect(two.copies[1].sectorSize == 0x2000)
    }

    @Test func negativeOffsetCountsFromTheEnd() throws {
        let c = try BootEnvironmentConfig.parse("/dev/mmcblk0 -0x20000 0x20000\n")
        #expect(c.copies[0].offset == -0x20000)
    }

    @Test func refusesMalformedConfigs() {
        #expect(throws: BootEnvironmentError.configShape("")) { try BootEnvironmentConfig.parse("# nothing\n") }
        #expect(throws: BootEnvironmentError.configInvalid(line: 2, "")) { try BootEnvironmentConfig.parse("#\n/dev/x 0xZZ 0x1000\n") }
        #expect(throws: BootEnvironmentError.configInvalid(line: 1, "")) { try BootEnvironmentConfig.parse("/dev/x 0 0\n") }
        #expect(throws: BootEnvironmentError.configShape("")) { try BootEnvironmentConfig.parse("/a 0 1000\n/b 0 2000\n") }
    }

    @Test func currentCopyFollowsLibubootenv() {
        typealias F = BootEnvironmentFormat
        #expect(F.currentCopy(valid0: false, valid1: false, flags0: 1, flags1: 2, kind: .incremental) == nil)
        #expect(F.currentCopy(valid0: true, valid1: false, flags0: 1, flags1: 9, kind: .incremental) == 0)
        #expect(F.currentCopy(valid0: false, valid1: true, flags0: 9, flags1: 1, kind: .incremental) == 1)
        #expect(F.currentCopy(valid0: true, valid1: true, flags0: 4, flags1: 5, kind: .incremental) == 1)
        #expect(F.currentCopy(valid0: true, valid1: true, flags0: 5, flags1: 5, kind: .incremental) == 0)
        #expect(F.currentCopy(valid0: true, valid1: true, flags0: 0xFF, flags1: 0, kind: .incremental) == 1)
        #expect(F.currentCopy(valid0: true, valid1: true, flags0: 0, flags1: 0xFF, kind: .incremental) == 0)
        #expect(F.currentCopy(valid0: true, valid1: true, flags0: 1, flags1: 0, kind: .boolean) == 0)
        #expect(F.currentCopy(valid0: true, valid1: true, flags0: 0, flags1: 1, kind: .boolean) == 1)
        #expect(F.nextFlags(after: 0xFF, kind: .incremental) == 0)
        #expect(F.nextFlags(after: 7, kind: .boolean) == 1)
    }
}
