import CShim
import EdgeCore
import RingLog

/// `edge-agent log info|dump|verify|format --device PATH [--size N --sector N]`: the technician's
/// offline view of the ring log (run it with the agent stopped). A path under /dev/mtd is an MTD
/// device (geometry from the kernel); anything else a file or block device, whose geometry comes
/// from --size/--sector, else from the file's size and the first sector header found. Only
/// `format` writes. `log stress` is a test tool: it appends and syncs until killed, printing
/// `durable N` after every sync and `ack N` before every acknowledgement.
enum LogCommand {
    static let usage = """
        usage: edge-agent log <info|dump|verify|format> --device PATH [--size N] [--sector N]
          info     geometry, records, cursor, drops, corruption, erase counts
          dump     every record: sequence, timestamp (ms), length, first bytes [--from SEQ] [--count N]
          verify   read every record and check its CRC; exit status 1 if anything is corrupt
          format   erase the device and start an empty log (the only command that wipes)
        sizes take K/M suffixes (64K, 8M); --sector defaults to the log's own or 64K

        """

    struct Options {
        var device = ""
        var size: Int?
        var sector: Int?
        var from: UInt64 = 1
        var count = Int.max
        var records = Int.max
    }

    static func run(_ arguments: [String]) -> Int32 {
        guard let verb = arguments.first else {
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        if verb == "help" || verb == "--help" || verb == "-h" {
            StandardOutput.write(usage, fd: 1)
            return 0
        }
        var o = Options()
        var i = 1
        while i < arguments.count {
            let name = arguments[i]
            guard i + 1 < arguments.count else {
                StandardOutput.errorLine("edge-agent log: \(name) needs a value")
                return 2
            }
            let value = arguments[i + 1]
            switch name {
            case "--device": o.device = value
            case "--size", "--sector", "--from", "--count", "--records":
                guard let n = parseSize(value) else {
                    StandardOutput.errorLine("edge-agent log: \(name) '\(value)' is not a number")
                    return 2
                }
                switch name {
                case "--size": o.size = n
                case "--sector": o.sector = n
                case "--from": o.from = UInt64(n)
                case "--count": o.count = n
                default: o.records = n
                }
            default:
                StandardOutput.errorLine("edge-agent log: unknown option '\(name)'")
                return 2
            }
            i += 2
        }
        guard !o.device.isEmpty else {
            StandardOutput.errorLine("edge-agent log \(verb): --device PATH is required")
            return 2
        }
        switch verb {
        case "info", "dump", "verify", "format", "stress": break
        default:
            StandardOutput.errorLine("edge-agent log: unknown command '\(verb)'")
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        let creating = verb == "format" || verb == "stress"
        var device: FileFlashDevice
        do throws(FlashError) {
            if o.device.hasPrefix("/dev/mtd") {
                device = try FileFlashDevice(mtd: o.device)
            } else {
                guard let geometry = fileGeometry(o, creating: creating) else { return 1 }
                device = try FileFlashDevice(path: o.device, geometry: geometry, createOrResize: creating)
            }
        } catch {
            StandardOutput.errorLine("edge-agent log: \(error.description)")
            return 1
        }
        if verb == "stress" && blank(device) {
            do throws(RingLogError) {
                try RingLog<FileFlashDevice, SystemClock>.format(&device, wall: SystemClock().wallNow())
            } catch {
                StandardOutput.errorLine("edge-agent log: \(error.message)")
                return 1
            }
        }
        return perform(verb, device, o)
    }

    /// 123, 64K, 8M.
    static func parseSize(_ text: String) -> Int? {
        var digits = Substring(text)
        var scale = 1
        if let last = digits.last {
            if last == "K" || last == "k" { scale = 1024; digits = digits.dropLast() }
            if last == "M" || last == "m" { scale = 1024 * 1024; digits = digits.dropLast() }
        }
        guard let n = Int(digits), n >= 0 else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : v
    }

    /// Geometry of a file or block device: options first, then what is there.
    static func fileGeometry(_ o: Options, creating: Bool) -> FlashGeometry? {
        var size = o.size
        var sector = o.sector
        var fd: Int32 = -1
        var openError = Errno.noSuchFile
        do throws(Errno) { fd = try SystemCall.open(o.device, flags: O_RDONLY | O_CLOEXEC, mode: 0) } catch { openError = error }
        if fd >= 0 {
            let owner = FileDescriptor(owning: fd)
            let end = (try? owner.endOffset()) ?? -1   // a size that cannot be found is not used (below: give --size)
            guard let endBytes = Int(exactly: end) else {
                StandardOutput.errorLine("edge-agent log: \(o.device): \(end) bytes is more than this \(Int.bitWidth)-bit platform can address")
                return nil
            }
            if size == nil && endBytes > 0 { size = endBytes }
            if sector == nil {
                // The first valid sector header names the geometry.
                var header = [UInt8](repeating: 0, count: SectorHeader.size)
                var offset = 0
                while offset + SectorHeader.size <= endBytes && sector == nil && offset <= Int.max - 4096 {
                    let got = header.withUnsafeMutableBytes { bytes in (try? owner.read(into: bytes, at: Int64(offset))) ?? -1 }
                    if got != SectorHeader.size { break }
                    if case .valid(let h) = header.withUnsafeBytes({ SectorHeader.decode($0) }) { sector = Int(exactly: h.sectorSize) }
                    offset += 4096
                }
            }
        } else if !creating {
            StandardOutput.errorLine("edge-agent log: \(o.device): \(openError.message)")
            return nil
        }
        guard let size else {
            StandardOutput.errorLine("edge-agent log: \(o.device): size unknown; give --size")
            return nil
        }
        let geometry = FlashGeometry(size: size, sectorSize: sector ?? 65536)
        if let problem = geometry.problem {
            StandardOutput.errorLine("edge-agent log: \(o.device): \(problem)")
            return nil
        }
        return geometry
    }

    /// No sector starts with anything but 0xFF or zeros: a new file, never formatted. Every
    /// sector is looked at, not only the first: a kill between a sector's erase and its header
    /// write leaves that one sector blank in a log that holds data elsewhere, and formatting then
    /// would wipe records the previous run reported durable.
    static func blank(_ device: borrowing FileFlashDevice) -> Bool {
        var header = [UInt8](repeating: 0, count: SectorHeader.size)
        let geometry = device.geometry
        for sector in 0..<geometry.sectorCount {
            let ok: Bool = header.withUnsafeMutableBytes { raw in
                do throws(FlashError) { try device.read(at: sector * geometry.sectorSize, into: raw); return true } catch { return false }
            }
            guard ok && header.allSatisfy({ $0 == 0xFF || $0 == 0 }) else { return false }
        }
        return true
    }

    /// One device type for files and MTD, so this and the ring log behind it exist once in the firmware.
    static func perform(_ verb: String, _ device: consuming FileFlashDevice, _ o: Options) -> Int32 {
        if verb == "format" {
            var d = device
            do throws(RingLogError) {
                try RingLog<FileFlashDevice, SystemClock>.format(&d, wall: SystemClock().wallNow())
            } catch {
                StandardOutput.errorLine("edge-agent log format: \(error.message)")
                return 1
            }
            let g = d.geometry
            StandardOutput.line("formatted \(d.name): \(g.sectorCount) sectors of \(g.sectorSize) bytes (program unit \(g.programUnit))")
            return 0
        }
        var options = RingLogOptions()
        options.writeBufferSize = 64 * 1024
        var log: RingLog<FileFlashDevice, SystemClock>
        do throws(RingLogError) {
            log = try RingLog(device: device, clock: SystemClock(), options: options)
        } catch {
            StandardOutput.errorLine("edge-agent log \(verb): \(error.message)")
            return 1
        }
        switch verb {
        case "info": return info(&log)
        case "dump": return dump(&log, o)
        case "verify": return verify(&log)
        default: return stress(&log, o)
        }
    }

    static func info<D: FlashDevice & ~Copyable>(_ log: inout RingLog<D, SystemClock>) -> Int32 {
        let s = log.statistics()
        StandardOutput.line("device: \(log.deviceName)")
        StandardOutput.line("geometry: \(s.sectorCount) sectors of \(s.sectorSize) bytes, capacity \(s.capacityBytes) bytes, used \(s.usedBytes), max record \(s.maximumPayload) bytes")
        StandardOutput.line("records: \(s.records) (oldest \(optional(s.oldestSequence)), newest \(optional(s.newestSequence)))")
        StandardOutput.line("timestamps (ms since 1970): oldest \(optional(s.oldestTimestamp?.milliseconds)), newest \(optional(s.newestTimestamp?.milliseconds))")
        StandardOutput.line("acknowledged up to: \(s.acknowledgedSequence); unacknowledged: \(s.unacknowledgedRecords) records, \(s.unacknowledgedBytes) bytes")
        StandardOutput.line("dropped: \(s.droppedRecords) records, \(s.droppedBytes) bytes")
        StandardOutput.line("corrupt: \(s.corruptSectors) sectors, \(s.corruptRecords) records")
        StandardOutput.line("recovery: \(s.lastRecoveryNanoseconds / 1000) us")
        var erases = "erase counts:"
        for i in 0..<s.sectorCount { erases += " \(log.eraseCount(sector: i))" }
        StandardOutput.line(erases)
        return 0
    }

    static func optional<T: BinaryInteger>(_ value: T?) -> String {
        guard let value else { return "-" }
        return "\(value)"
    }

    static func dump<D: FlashDevice & ~Copyable>(_ log: inout RingLog<D, SystemClock>, _ o: Options) -> Int32 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(log.maximumPayload, 1), alignment: 8)
        defer { buffer.deallocate() }
        var cursor = RingLogCursor(from: o.from)
        var shown = 0
        while shown < o.count {
            let record: RingLogRecord?
            do throws(RingLogError) { record = try log.read(&cursor, into: buffer) } catch {
                StandardOutput.errorLine("edge-agent log dump: \(error.message)")
                return 1
            }
            guard let record else { break }
            let head = UnsafeRawBufferPointer(rebasing: buffer[0..<min(record.length, 32)])
            StandardOutput.line("\(record.sequence) \(record.timestamp.milliseconds) \(record.length) \(Hex.string(head))\(record.length > 32 ? "..." : "")")
            shown += 1
        }
        return 0
    }

    static func verify<D: FlashDevice & ~Copyable>(_ log: inout RingLog<D, SystemClock>) -> Int32 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(log.maximumPayload, 1), alignment: 8)
        defer { buffer.deallocate() }
        var cursor = RingLogCursor(from: 1)
        var count: UInt64 = 0
        var gaps: UInt64 = 0
        var previous: UInt64 = 0
        while true {
            let record: RingLogRecord?
            do throws(RingLogError) { record = try log.read(&cursor, into: buffer) } catch {
                StandardOutput.errorLine("edge-agent log verify: \(error.message)")
                return 1
            }
            guard let record else { break }
            if previous != 0 && record.sequence != previous + 1 { gaps += 1 }
            previous = record.sequence
            count += 1
        }
        let s = log.statistics()
        let bad = s.corruptSectors + s.corruptRecords
        StandardOutput.line("verify: \(count) records, \(gaps) gaps, \(s.corruptSectors) corrupt sectors, \(s.corruptRecords) corrupt records: \(bad == 0 && gaps == 0 ? "ok" : "DAMAGED")")
        return bad == 0 && gaps == 0 ? 0 : 1
    }

    /// The payload of record `seq` in stress runs (the test computes the same bytes).
    static func stressPayload(_ seq: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let length = 1 + Int(seq &* 7919 % 200)
        for i in 0..<length { buffer[i] = UInt8(truncatingIfNeeded: seq &* 31 &+ UInt64(i) &* 7) }
        return length
    }

    static func stress<D: FlashDevice & ~Copyable>(_ log: inout RingLog<D, SystemClock>, _ o: Options) -> Int32 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        defer { buffer.deallocate() }
        StandardOutput.line("open next \(log.nextAppendSequence) acknowledged \(log.acknowledgedSequence)")
        var appended = 0
        var syncs = 0
        do throws(RingLogError) {
            while appended < o.records {
                let seq = log.nextAppendSequence
                let length = stressPayload(seq, into: buffer)
                try log.append(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
                appended += 1
                if appended % 7 == 0 {
                    let durable = try log.sync()
                    StandardOutput.line("durable \(durable)")
                    syncs += 1
                    if syncs % 3 == 0 && durable > 3 {
                        StandardOutput.line("ack \(durable - 3)")
                        try log.acknowledge(upTo: durable - 3)
                    }
                }
            }
            StandardOutput.line("durable \(try log.sync())")
        } catch {
            StandardOutput.errorLine("edge-agent log stress: \(error.message)")
            return 1
        }
        return 0
    }
}
