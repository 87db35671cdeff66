import EdgeCore
import RingLog

/// Shared helpers of the ring log's tests (RingLogTests, and AgentTests' sweep with alarm records):
/// deterministic payloads, a small in-memory log, reading everything back.
public enum LogTestSupport {
    public typealias MemoryLog = RingLog<MemoryFlashDevice, ManualClock>

    /// A payload that depends only on (seq, salt): length 1...maxLength, bytes from a hash.
    public static func payload(_ seq: UInt64, salt: UInt64 = 0, maxLength: Int = 60) -> [UInt8] {
        var x = seq &* 0x9E37_79B9_7F4A_7C15 &+ salt &* 0xD1B5_4A32_D192_ED03 &+ 1
        x ^= x >> 29
        let length = 1 + Int(x % UInt64(maxLength))
        var out = [UInt8](repeating: 0, count: length)
        for i in 0..<length {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            out[i] = UInt8(truncatingIfNeeded: x >> 56)
        }
        return out
    }

    public static func device(sectors: Int = 4, sectorSize: Int = 512, unit: Int = 1) -> MemoryFlashDevice {
        MemoryFlashDevice(geometry: FlashGeometry(size: sectors * sectorSize, sectorSize: sectorSize, programUnit: unit))
    }

    public static func options(checkpointEvery: Int = 2, whenFull: FullPolicy = .dropOldest) -> RingLogOptions {
        var o = RingLogOptions()
        o.writeBufferSize = 256
        o.syncIntervalMilliseconds = 0
        o.checkpointEveryAcknowledgements = checkpointEvery
        o.checkpointIntervalMilliseconds = 1_000
        o.whenFull = whenFull
        return o
    }

    @discardableResult
    public static func append(_ log: inout MemoryLog, _ bytes: [UInt8]) throws(RingLogError) -> UInt64 {
        let result: Result<UInt64, RingLogError> = bytes.withUnsafeBytes { raw in
            do throws(RingLogError) { return .success(try log.append(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Every durable record from `from`, in order.
    public static func readAll<D: FlashDevice & ~Copyable>(_ log: inout RingLog<D, ManualClock>, from: UInt64 = 1) throws(RingLogError) -> [(UInt64, [UInt8])] {
        var cursor = RingLogCursor(from: from)
        var out: [(UInt64, [UInt8])] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { buffer.deallocate() }
        while let record = try log.read(&cursor, into: buffer) {
            out.append((record.sequence, Array(buffer[0..<record.length])))
        }
        return out
    }
}

extension Result where Failure == RingLogError {
    public func get() throws(RingLogError) -> Success {
        switch self {
        case .success(let v): return v
        case .failure(let e): throw e
        }
    }
}
