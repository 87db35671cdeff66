import EdgeCore
import Foundation
import Testing
import RingLogTestSupport
@testable import RingLog

/// The flash devices themselves: the rules they enforce, the faults the memory device injects,
/// and the file and MTD devices' refusals.
@Suite struct FlashDeviceTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ringlog-\(getpid())-\(name)").path
    }

    static func program(_ device: MemoryFlashDevice, at offset: Int, _ bytes: [UInt8]) -> FlashError? {
        bytes.withUnsafeBytes { raw in
            do throws(FlashError) { try device.program(at: offset, from: raw); return nil } catch { return error }
        }
    }

    @Test func geometryBeyondTheHeadersThirtyTwoBitFieldsIsRefused() {
        // Sector headers record sector size and count as UInt32: formatting this trapped.
        #expect(FlashGeometry(size: 1 << 40, sectorSize: 256).problem == "4294967296 sectors are more than 4294967295")
        #expect(FlashGeometry(size: 1 << 40, sectorSize: 1 << 20).problem == nil)
    }

    @Test func memoryDeviceRefusesToWriteAByteTwiceBetweenErases() throws {
        let device = LogTestSupport.device()
        let bytes: [UInt8] = [1, 2, 3]
        #expect(Self.program(device, at: 10, bytes) == nil)
        let second: FlashError? = bytes.withUnsafeBytes { raw in
            do throws(FlashError) { try device.program(at: 12, from: raw); return nil } catch { return error }
        }
        #expect(second?.kind == .notErased)
        try device.erase(sector: 0)
        #expect(device.byte(at: 10) == 0xFF)
        #expect(device.eraseCount(sector: 0) == 1)
        #expect(Self.program(device, at: 12, bytes) == nil)
    }

    @Test func memoryDeviceCutsPowerAfterTheBudget() throws {
        let device = LogTestSupport.device()
        device.powerBudget = 5
        let bytes = [UInt8](repeating: 0, count: 8)
        #expect(Self.program(device, at: 0, bytes)?.kind == .powerLost)
        #expect(device.byte(at: 4) == 0 && device.byte(at: 5) == 0xFF)
        #expect(device.isPowerLost)
        #expect(throws: FlashError.self) { try device.erase(sector: 1) }
        #expect(throws: FlashError.self) { try device.sync() }
    }

    @Test func fileDeviceOfTheWrongSizeIsRefusedUnlessResized() throws {
        let path = Self.temporaryPath("size")
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 0xFF, count: 1000))
        let geometry = FlashGeometry(size: 2048, sectorSize: 512)
        do {
            _ = try FileFlashDevice(path: path, geometry: geometry)
            Issue.record("opened a file of the wrong size")
        } catch {
            #expect(error.kind == .wrongGeometry)
            #expect(error.description.contains(path))
            #expect(error.description.contains("found 1000 bytes, expected 2048"))
        }
        // Untouched.
        #expect((try? Data(contentsOf: URL(fileURLWithPath: path)).count) == 1000)
        var device = try FileFlashDevice(path: path, geometry: geometry, createOrResize: true)
        try RingLog<FileFlashDevice, ManualClock>.format(&device, wall: WallTime(milliseconds: 0))
        var log = try RingLog(device: device, clock: ManualClock(), options: LogTestSupport.options())
        let payload: [UInt8] = [1, 2, 3]
        let appended: RingLogError? = payload.withUnsafeBytes { raw in
            do throws(RingLogError) { try log.append(raw); return nil } catch { return error }
        }
        #expect(appended == nil)
        #expect(try log.sync() == 1)
    }

    @Test func fileDeviceEnforcesTheWriteOnceRule() throws {
        let path = Self.temporaryPath("rule")
        defer { unlink(path) }
        var device = try FileFlashDevice(path: path, geometry: FlashGeometry(size: 1024, sectorSize: 512), createOrResize: true)
        try device.erase(sector: 0)
        try device.erase(sector: 1)
        let bytes: [UInt8] = [1, 2, 3, 4]
        let first: FlashError? = bytes.withUnsafeBytes { raw in
            do throws(FlashError) { try device.program(at: 100, from: raw); return nil } catch { return error }
        }
        #expect(first == nil)
        let second: FlashError? = bytes.withUnsafeBytes { raw in
            do throws(FlashError) { try device.program(at: 102, from: raw); return nil } catch { return error }
        }
        #expect(second?.kind == .notErased)
        try device.erase(sector: 0)
        let third: FlashError? = bytes.withUnsafeBytes { raw in
            do throws(FlashError) { try device.program(at: 102, from: raw); return nil } catch { return error }
        }
        #expect(third == nil)
        try device.sync()
    }

    @Test func fileDeviceRefusesAProgramOffItsProgramUnit() throws {
        let path = Self.temporaryPath("unit")
        defer { unlink(path) }
        var device = try FileFlashDevice(path: path, geometry: FlashGeometry(size: 1024, sectorSize: 512, programUnit: 16),
                                         createOrResize: true)
        #expect(device.medium == .file)
        try device.erase(sector: 0)
        let bytes = [UInt8](repeating: 7, count: 16)
        let off: FlashError? = bytes.withUnsafeBytes { raw in
            do throws(FlashError) { try device.program(at: 8, from: raw); return nil } catch { return error }
        }
        #expect(off?.kind == .outOfRange)
        let on: FlashError? = bytes.withUnsafeBytes { raw in
            do throws(FlashError) { try device.program(at: 32, from: raw); return nil } catch { return error }
        }
        #expect(on == nil)
    }

    @Test func mtdDeviceOnAPlainFileIsAClearError() throws {
        let path = Self.temporaryPath("mtd")
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 0xFF, count: 4096))
        do {
            _ = try FileFlashDevice(mtd: path)
            Issue.record("a plain file passed as MTD")
        } catch {
            #expect(error.kind == .wrongDeviceType)
            #expect(error.description.contains(path))
            #expect(error.description.contains("not an MTD character device"))
        }
        do {
            _ = try FileFlashDevice(mtd: "/nonexistent/mtd9")
            Issue.record("a missing device opened")
        } catch {
            #expect(error.kind == .system(Errno.noSuchFile))
        }
    }
}
