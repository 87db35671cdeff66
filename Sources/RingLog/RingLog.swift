import EdgeCore

/// A fixed-size, power-cut-safe store-and-forward log on a flash-style device: the gateway's
/// backlog while the uplink is down.
///
/// What it guarantees:
/// - Records get sequence numbers 1, 2, 3… strictly increasing and gap-free over the life of the
///   log (gaps appear only where flash corruption destroyed records, or the drop policy erased them).
/// - `append` copies into a RAM buffer sized at open; `sync` (explicit, or on its own after
///   `syncIntervalMilliseconds`, `syncBytes` or a full buffer) makes every earlier append durable and
///   reports the highest durable sequence number. After a power cut at any moment, every record
///   whose sync returned is there, bit-exact, in order; records never appended never appear;
///   corrupt records are never returned.
/// - Readers see durable records only, so a sequence number a consumer has seen is never reused.
/// - `acknowledge(upTo:)` moves the consumer cursor; it is checkpointed into the log itself (a
///   checkpoint record, and every new sector's header) at most once per N acknowledgements or T
///   milliseconds, never by rewriting a fixed place. After a cut the cursor comes back at or before
///   the last acknowledgement (duplicates possible, skips never).
/// - Flash rules: a sector is erased before it is written and every byte is written at most once
///   between erases, so the same code runs on files, block devices and raw NOR/NAND (MTD).
/// - Full: the oldest sector is erased when the head needs it; if it still holds unacknowledged
///   records they are dropped and counted (default) or the append is refused (option).
/// - Timestamps: every record carries the wall-clock time of its append (from the injected clock,
///   or given by the caller) to the millisecond, stored as an offset from its sector's base time.
/// - Open never writes: recovery only reads. A device of the wrong geometry or with foreign
///   content is refused with an error naming it; only `format` wipes.
/// - After open, `append`, `sync`, `acknowledge` and `read` allocate nothing.
public struct RingLog<Device: FlashDevice & ~Copyable, Clock: EdgeClock>: ~Copyable {
    var device: Device
    let clock: Clock
    public let options: RingLogOptions
    let sectorSize: Int
    let sectorCount: Int
    let unit: Int
    let sectors: UnsafeMutableBufferPointer<SectorState>
    let buffer: UnsafeMutableRawBufferPointer
    /// Bytes of `buffer` usable for records (the rest is reserved for padding to the program unit).
    let bufferLimit: Int
    /// One sector's worth of RAM for recovery and statistics.
    let scratch: UnsafeMutableRawBufferPointer
    /// The largest payload `append` accepts.
    public let maximumPayload: Int
    /// Bytes every sector keeps free at its end: when appends may be refused, room for one cursor
    /// checkpoint (so an acknowledgement can be persisted while full); when the oldest is dropped,
    /// room for the drop record written before the erase. A whole program unit on NAND, since
    /// that record starts on a page of its own.
    let sectorReserve: Int

    var head = -1
    var tail = -1
    var liveCount = 0
    var bufferStart = 0
    var bufferCount = 0
    var mustRotate = false
    var nextSequence: UInt64 = 1
    var durable: UInt64 = 0
    var oldest: UInt64 = 1
    var acknowledged: UInt64 = 0
    var persistedAcknowledgement: UInt64 = 0
    var acknowledgementsSinceCheckpoint = 0
    var lastCheckpoint: MonotonicInstant
    var syncDeadline: MonotonicInstant?
    var unsyncedBytes = 0
    var nextSectorSequence: UInt64 = 1
    var failure: RingLogError?
    var counters = RingLogStats()

    /// Opens the log on `device`, recovering its state (read-only: nothing is written until the
    /// first append, acknowledgement or sync).
    public init(device: consuming Device, clock: Clock, options: RingLogOptions = RingLogOptions()) throws(RingLogError) {
        // Every throw comes after full initialization (a noncopyable generic cannot be
        // conditionally consumed), so problems are collected first and thrown below.
        let g = device.geometry
        let name = device.name
        var problem: String? = g.problem
        if problem == nil && g.sectorCount < 2 {
            problem = "a ring log needs at least 2 sectors, found \(g.sectorCount)"
        }
        if problem == nil && g.sectorSize < 256 {
            problem = "sector size \(g.sectorSize) is below the minimum of 256 bytes"
        }
        let sectorBytes = max(g.sectorSize, 256)
        let pad = g.programUnit > 4 ? g.programUnit : 0
        var capacity = min(max(options.writeBufferSize, 256), sectorBytes)
        capacity = (capacity + 3) & ~3 + pad
        let limit = capacity - pad
        let recordReserve = options.whenFull == .refuseAppends ? Self.checkpointSize : Self.dropRecordSize
        let reserve = pad > 0 ? (recordReserve + pad - 1) / pad * pad : recordReserve
        // A record must fit a fresh sector after its header, leaving the sector's reserve.
        let largest = (min(limit, sectorBytes - reserve) - SectorHeader.size - RecordFormat.overhead) & ~3
        if problem == nil && largest < 8 {
            problem = "write buffer of \(capacity) bytes leaves no room for records"
        }
        self.device = device
        self.clock = clock
        self.options = options
        sectorSize = g.sectorSize
        sectorCount = problem == nil ? g.sectorCount : 0
        unit = g.programUnit
        sectors = UnsafeMutableBufferPointer<SectorState>.allocate(capacity: max(sectorCount, 1))
        sectors.initialize(repeating: SectorState())
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        bufferLimit = limit
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: sectorBytes, alignment: 16)
        maximumPayload = min(max(largest, 0), RecordFormat.maximumEncodablePayload)
        sectorReserve = reserve
        lastCheckpoint = clock.monotonicNow()
        counters.capacityBytes = g.size
        counters.sectorSize = g.sectorSize
        counters.sectorCount = g.sectorCount
        counters.maximumPayload = maximumPayload
        if let problem { throw RingLogError(.invalidConfiguration, "\(name): \(problem)") }
        try recover()
    }

    deinit {
        sectors.deallocate()
        buffer.deallocate()
        scratch.deallocate()
    }

    /// The device's name (path or label).
    public var deviceName: String { device.name }
    /// The highest durable sequence number (nil: none yet).
    public var durableSequence: UInt64? { durable > 0 ? durable : nil }
    /// The sequence number the next append gets.
    public var nextAppendSequence: UInt64 { nextSequence }
    /// The consumer cursor: everything up to here is acknowledged (0: nothing).
    public var acknowledgedSequence: UInt64 { acknowledged }
    /// The oldest sequence number still in the log (== nextAppendSequence when empty).
    public var oldestSequence: UInt64 { oldest }

    /// Records before this sequence number will be reclaimed within the next two sector changes
    /// of the head (the next one, with two sectors): a record that must outlive them (an active
    /// alarm's raise) is copied forward while there is time. `oldestSequence` until the log is
    /// about to reclaim anything (free sectors remain); never beyond the head's sector, so a
    /// record just appended is never at risk. A damaged sector where the first kept one would be
    /// counts as lost: the horizon is then the next readable sector's base.
    public var reclaimHorizon: UInt64 {
        guard tail >= 0, head >= 0, sectorCount > 0 else { return oldest }
        let changes = min(2, sectorCount - 1)
        let reclaimed = min(max(0, changes - (sectorCount - liveCount)), liveCount - 1)
        guard reclaimed > 0 else { return oldest }
        // The first kept sector may be unreadable (a damaged header kept in the ring): its
        // records are lost anyway, and everything before the next sector that can be read is
        // at risk, so the horizon is that sector's base (the head's, at the latest).
        var kept = (tail + reclaimed) % sectorCount
        while sectors[kept].use != .live && kept != head { kept = (kept + 1) % sectorCount }
        let base = sectors[kept].use == .live ? sectors[kept].baseSequence : nextSequence
        return max(oldest, min(base, sectors[head].baseSequence))
    }
    /// When the group commit of what is appended but not yet durable is due (nil: nothing
    /// waiting, or the deadline is set at the next `tick`): for the event loop's poll timeout.
    public var nextSyncDeadline: MonotonicInstant? { unsyncedBytes > 0 ? syncDeadline : nil }

    // MARK: - Writing

    /// Appends one record stamped with the clock's wall time; returns its sequence number.
    /// Durable after the next sync.
    @discardableResult
    public mutating func append(_ payload: UnsafeRawBufferPointer) throws(RingLogError) -> UInt64 {
        try append(payload, timestamp: clock.wallNow())
    }

    /// Appends one record with a caller-given timestamp; returns its sequence number.
    @discardableResult
    public mutating func append(_ payload: UnsafeRawBufferPointer, timestamp: WallTime) throws(RingLogError) -> UInt64 {
        if let failure { throw failure }
        guard payload.count <= maximumPayload else {
            throw RingLogError(.recordTooLarge, "\(device.name): record of \(payload.count) bytes exceeds the maximum of \(maximumPayload)")
        }
        let size = RecordFormat.framedSize(payload: payload.count)
        let wall = timestamp.milliseconds
        try reserve(size, keepingFree: sectorReserve, wall: wall)
        let state = sectors[head]
        let timeDelta = Int32(truncatingIfNeeded: wall &- state.header.baseWallMilliseconds)
        let sequence = nextSequence
        _ = RecordFormat.encode(into: buffer.baseAddress! + bufferCount, kind: RecordFormat.dataKind,
                                sectorSequence: state.header.sectorSequence, sequence: sequence,
                                sequenceDelta: UInt32(truncatingIfNeeded: sequence &- state.header.baseSequence),
                                timeDelta: timeDelta, payload: payload)
        bufferCount += size
        sectors[head].end += size
        if sectors[head].records == 0 { sectors[head].firstWall = wall }
        sectors[head].records += 1
        sectors[head].payloadBytes += UInt64(payload.count)
        sectors[head].lastWall = wall
        nextSequence = sequence + 1
        unsyncedBytes += size
        counters.payloadBytesAppended += UInt64(payload.count)
        try syncIfDue()
        return sequence
    }

    /// Makes every earlier append durable; returns the highest durable sequence number (0: none).
    @discardableResult
    public mutating func sync() throws(RingLogError) -> UInt64 {
        if let failure { throw failure }
        try flush(sync: true)
        return durable
    }

    /// Moves the consumer cursor: everything up to `sequence` has been delivered. Acknowledging
    /// beyond the highest durable sequence number is an error; going backwards is ignored.
    public mutating func acknowledge(upTo sequence: UInt64) throws(RingLogError) {
        if let failure { throw failure }
        guard sequence <= durable else {
            throw RingLogError(.invalidAcknowledgement,
                               "\(device.name): acknowledgement of \(sequence) beyond the highest durable record \(durable)")
        }
        guard sequence > acknowledged else { return }
        acknowledged = sequence
        acknowledgementsSinceCheckpoint += 1
        try checkpointIfDue(force: false)
    }

    /// Runs the timers: syncs when `syncIntervalMilliseconds` has passed since the first unsynced
    /// append, checkpoints the cursor when `checkpointIntervalMilliseconds` has passed. Call it
    /// from the event loop.
    public mutating func tick() throws(RingLogError) {
        if let failure { throw failure }
        try checkpointIfDue(force: false)
        try syncIfDue()
    }

    /// Writes a cursor checkpoint now if the cursor moved since the last one (durable at the next sync).
    public mutating func checkpoint() throws(RingLogError) {
        if let failure { throw failure }
        try checkpointIfDue(force: true)
    }

    /// Checkpoints the cursor, syncs and closes.
    public consuming func close() throws(RingLogError) {
        try checkpoint()
        try sync()
    }

    // MARK: - Internals

    mutating func syncIfDue() throws(RingLogError) {
        guard unsyncedBytes > 0 else { return }
        if options.syncBytes > 0 && unsyncedBytes >= options.syncBytes {
            try flush(sync: true)
            return
        }
        guard options.syncIntervalMilliseconds > 0 else { return }
        let now = clock.monotonicNow()
        if let deadline = syncDeadline {
            if now >= deadline { try flush(sync: true) }
        } else {
            syncDeadline = now.advanced(byMilliseconds: options.syncIntervalMilliseconds)
        }
    }

    mutating func checkpointIfDue(force: Bool) throws(RingLogError) {
        guard acknowledged > persistedAcknowledgement else { return }
        var due = force || acknowledgementsSinceCheckpoint >= max(options.checkpointEveryAcknowledgements, 1)
        if !due {
            let now = clock.monotonicNow()
            due = now.nanoseconds(since: lastCheckpoint) >= options.checkpointIntervalMilliseconds &* 1_000_000
        }
        guard due else { return }
        let size = Self.checkpointSize
        do throws(RingLogError) {
            try reserve(size, keepingFree: options.whenFull == .refuseAppends ? 0 : sectorReserve,
                        wall: clock.wallNow().milliseconds)
        } catch {
            if error.kind == .full { return }  // refused: the cursor stays in RAM until there is room
            throw error
        }
        // A rotation writes the cursor into the new sector's header: nothing more to do.
        guard acknowledged > persistedAcknowledgement else { return }
        let state = sectors[head]
        var value = acknowledged.littleEndian
        withUnsafeBytes(of: &value) { bytes in
            _ = RecordFormat.encode(into: buffer.baseAddress! + bufferCount, kind: RecordFormat.checkpointKind,
                                    sectorSequence: state.header.sectorSequence, sequence: nextSequence,
                                    sequenceDelta: UInt32(truncatingIfNeeded: nextSequence &- state.header.baseSequence),
                                    timeDelta: 0, payload: bytes)
        }
        bufferCount += size
        sectors[head].end += size
        unsyncedBytes += size
        markCheckpointed()
        counters.checkpointsWritten += 1
        try syncIfDue()
    }

    mutating func markCheckpointed() {
        persistedAcknowledgement = acknowledged
        acknowledgementsSinceCheckpoint = 0
        lastCheckpoint = clock.monotonicNow()
    }

    /// Makes room for `size` bytes at the head, leaving `extra` free in the sector: a new sector
    /// when the head is full (or unusable after recovery, or too far from its base time), a
    /// program of the buffer when the buffer is full.
    mutating func reserve(_ size: Int, keepingFree extra: Int, wall: Int64) throws(RingLogError) {
        if head < 0 || mustRotate || sectors[head].end + size + extra > sectorSize
            || !Self.fitsTimeDelta(wall &- sectors[head].header.baseWallMilliseconds) {
            try rotate(wall: wall)
        }
        // A full buffer is programmed, not synced: durability stays the job of sync's cadence.
        if bufferCount + size > bufferLimit { try flush(sync: false) }
    }

    static var checkpointSize: Int { RecordFormat.framedSize(payload: 8) }
    static var dropRecordSize: Int { RecordFormat.framedSize(payload: 16) }


    static func fitsTimeDelta(_ delta: Int64) -> Bool { delta >= Int64(Int32.min) && delta <= Int64(Int32.max) }

    /// Programs the buffer (padded to the program unit) and, with `sync`, syncs the device.
    mutating func flush(sync: Bool) throws(RingLogError) {
        if bufferCount > 0 {
            var count = bufferCount
            if unit > 4 {
                let position = bufferStart + count
                let sectorEnd = (position - 1) / sectorSize * sectorSize + sectorSize
                let aligned = min((position + unit - 1) / unit * unit, sectorEnd)
                if aligned > position {
                    (buffer.baseAddress! + count).initializeMemory(as: UInt8.self, repeating: 0, count: aligned - position)
                    count += aligned - position
                    if head >= 0 && bufferStart / sectorSize == head { sectors[head].end += aligned - position }
                }
            }
            do throws(FlashError) {
                try device.program(at: bufferStart, from: UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
            } catch {
                let e = RingLogError(error)
                failure = RingLogError(.failed, "\(device.name): unusable after a failed write: \(e.message)")
                throw e
            }
            counters.bytesProgrammed += UInt64(count)
            bufferStart += count
            bufferCount = 0
        }
        if sync {
            do throws(FlashError) { try device.sync() } catch {
                let e = RingLogError(error)
                failure = RingLogError(.failed, "\(device.name): unusable after a failed sync: \(e.message)")
                throw e
            }
            durable = nextSequence - 1
            unsyncedBytes = 0
            syncDeadline = nil
            counters.syncs += 1
        }
    }

    /// Moves the head to the next sector: flushes the old one, reclaims the oldest sector if the
    /// ring is full (dropping or refusing per policy), erases, and starts the new sector's header.
    mutating func rotate(wall: Int64) throws(RingLogError) {
        let next = head < 0 ? (tail < 0 ? 0 : tail) : (head + 1) % sectorCount
        if liveCount == sectorCount {
            let t = sectors[tail]
            if t.use == .live && t.records > 0 && t.endSequence - 1 > acknowledged {
                if options.whenFull == .refuseAppends {
                    counters.refusedAppends += 1
                    throw RingLogError(.full, "\(device.name): full: the oldest sector holds unacknowledged records \(max(t.baseSequence, acknowledged + 1))...\(t.endSequence - 1)")
                }
            }
        }
        var dropping = false
        if liveCount == sectorCount {
            let t = sectors[tail]
            if t.use == .live && t.records > 0 && t.endSequence - 1 > acknowledged {
                dropping = true
                let first = max(t.baseSequence, acknowledged + 1)
                counters.droppedRecords += t.endSequence - first
                counters.droppedBytes += unacknowledgedBytes(inSector: tail)
                // Persist the new counts (durably, before the erase) in the head's reserved room.
                if head >= 0 && !mustRotate && sectors[head].end + Self.dropRecordSize <= sectorSize {
                    if bufferCount + Self.dropRecordSize > bufferLimit { try flush(sync: false) }
                    let state = sectors[head]
                    var counts: (UInt64, UInt64) = (counters.droppedRecords.littleEndian, counters.droppedBytes.littleEndian)
                    withUnsafeBytes(of: &counts) { bytes in
                        _ = RecordFormat.encode(into: buffer.baseAddress! + bufferCount, kind: RecordFormat.dropKind,
                                                sectorSequence: state.header.sectorSequence, sequence: nextSequence,
                                                sequenceDelta: UInt32(truncatingIfNeeded: nextSequence &- state.header.baseSequence),
                                                timeDelta: 0, payload: bytes)
                    }
                    bufferCount += Self.dropRecordSize
                    sectors[head].end += Self.dropRecordSize
                    unsyncedBytes += Self.dropRecordSize
                }
            }
        }
        // The old head is programmed; synced only when the drop record must be durable before
        // the erase (otherwise the next sync covers it).
        if bufferCount > 0 || dropping { try flush(sync: dropping) }
        if liveCount == sectorCount {
            let t = sectors[tail]
            if t.use == .live { oldest = max(oldest, t.endSequence) }
            tail = (tail + 1) % sectorCount
            liveCount -= 1
        }
        let wasErased = sectors[next].use == .erased
        sectors[next].use = .free
        if !wasErased {
            sectors[next].eraseCount &+= 1
            counters.erasesSinceOpen += 1
            do throws(FlashError) { try device.erase(sector: next) } catch {
                let e = RingLogError(error)
                failure = RingLogError(.failed, "\(device.name): unusable after a failed erase: \(e.message)")
                throw e
            }
        }
        let header = SectorHeader(sectorSize: UInt32(sectorSize), sectorCount: UInt32(sectorCount),
                                  programUnit: UInt32(unit), eraseCount: sectors[next].eraseCount,
                                  sectorSequence: nextSectorSequence, baseSequence: nextSequence,
                                  baseWallMilliseconds: wall, acknowledged: acknowledged,
                                  droppedRecords: counters.droppedRecords, droppedBytes: counters.droppedBytes)
        nextSectorSequence += 1
        header.encode(into: buffer.baseAddress!)
        bufferStart = next * sectorSize
        bufferCount = SectorHeader.size
        unsyncedBytes += SectorHeader.size
        var state = SectorState()
        state.use = .live
        state.header = header
        state.eraseCount = header.eraseCount
        state.end = SectorHeader.size
        sectors[next] = state
        head = next
        if tail < 0 { tail = next }
        liveCount += 1
        mustRotate = false
        if oldest < header.baseSequence && liveCount == 1 { oldest = header.baseSequence }
        markCheckpointed()
    }

    /// Payload bytes of the unacknowledged records in one sector (scans the sector when the
    /// cursor falls inside it).
    func unacknowledgedBytes(inSector index: Int) -> UInt64 {
        let s = sectors[index]
        guard s.use == .live, s.records > 0, s.endSequence - 1 > acknowledged else { return 0 }
        if s.baseSequence > acknowledged { return s.payloadBytes }
        guard let image = sectorImage(index) else { return s.payloadBytes }
        var scanner = RecordScanner(image: image, header: s.header, programUnit: unit)
        var total: UInt64 = 0
        while true {
            switch scanner.next() {
            case .data(let sequence, _, let length, _):
                if sequence > acknowledged { total += UInt64(length) }
            case .checkpoint, .drops: continue
            case .end, .corrupt: return total
            }
        }
    }

    /// The written part of a sector in `scratch` (the head's buffered bytes included), or nil
    /// when the device cannot be read.
    func sectorImage(_ index: Int) -> UnsafeRawBufferPointer? {
        let s = sectors[index]
        let start = index * sectorSize
        var programmed = s.end
        if index == head && bufferStart >= start && bufferStart <= start + sectorSize {
            programmed = bufferStart - start
        }
        do throws(FlashError) {
            try device.read(at: start, into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<programmed]))
        } catch { return nil }
        var length = programmed
        if index == head && bufferCount > 0 && programmed + bufferCount <= sectorSize {
            (scratch.baseAddress! + programmed).copyMemory(from: buffer.baseAddress!, byteCount: bufferCount)
            length += bufferCount
        }
        return UnsafeRawBufferPointer(rebasing: scratch[0..<length])
    }

    // MARK: - Format

    /// Erases the whole device and writes a first, empty sector: the only operation that wipes.
    /// Erase counts found in valid headers are carried over for sector 0.
    public static func format(_ device: inout Device, wall: WallTime) throws(RingLogError) {
        let g = device.geometry
        if let problem = g.problem { throw RingLogError(.invalidConfiguration, "\(device.name): \(problem)") }
        if g.sectorCount < 2 || g.sectorSize < 256 {
            throw RingLogError(.invalidConfiguration, "\(device.name): needs at least 2 sectors of at least 256 bytes")
        }
        let pageSize = min(max(g.programUnit, SectorHeader.size), g.sectorSize)
        let page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 16)
        defer { page.deallocate() }
        do throws(FlashError) {
            try device.read(at: 0, into: UnsafeMutableRawBufferPointer(rebasing: page[0..<SectorHeader.size]))
            var eraseCount: UInt32 = 0
            if case .valid(let h) = SectorHeader.decode(UnsafeRawBufferPointer(page)) { eraseCount = h.eraseCount }
            for s in 0..<g.sectorCount { try device.erase(sector: s) }
            let first = SectorHeader(sectorSize: UInt32(g.sectorSize), sectorCount: UInt32(g.sectorCount),
                                     programUnit: UInt32(g.programUnit), eraseCount: eraseCount &+ 1,
                                     sectorSequence: 1, baseSequence: 1, baseWallMilliseconds: wall.milliseconds,
                                     acknowledged: 0, droppedRecords: 0, droppedBytes: 0)
            // NAND programs whole pages: the header, then zero padding to the page end.
            page.initializeMemory(as: UInt8.self, repeating: 0)
            first.encode(into: page.baseAddress!)
            try device.program(at: 0, from: UnsafeRawBufferPointer(page))
            try device.sync()
        } catch {
            throw RingLogError(error)
        }
    }
}
