import EdgeCore

extension RingLog where Device: ~Copyable {
    /// Reads the record at `cursor` into `buffer` and moves the cursor past it; nil when the
    /// cursor is past the highest durable record. Records dropped since the cursor was made are
    /// skipped (the returned sequence number shows the jump). A record whose CRC fails is never
    /// returned: the rest of its sector is skipped and counted. A buffer too small for the record
    /// throws `bufferTooSmall` and leaves the cursor where it was. Allocates nothing.
    public mutating func read(_ cursor: inout RingLogCursor, into buffer: UnsafeMutableRawBufferPointer) throws(RingLogError) -> RingLogRecord? {
        while true {
            if cursor.nextSequence > durable { return nil }
            if cursor.nextSequence < oldest {
                cursor.nextSequence = oldest
                cursor.sector = -1
                continue
            }
            if !cursorIsPlaced(cursor) {
                if !place(&cursor) { return nil }
                continue
            }
            let state = sectors[cursor.sector]
            let start = cursor.sector * sectorSize
            if cursor.offset + RecordFormat.overhead > state.end {
                cursor.nextSequence = max(cursor.nextSequence, state.endSequence)
                cursor.sector = -1
                continue
            }
            var head: (UInt64, UInt64) = (0, 0)
            let headerError: FlashError? = withUnsafeMutableBytes(of: &head) { raw in
                do throws(FlashError) { try device.read(at: start + cursor.offset, into: raw) } catch { return error }
                return nil
            }
            if let headerError { throw RingLogError(headerError) }
            let word = UInt32(truncatingIfNeeded: UInt64(littleEndian: head.0))
            let delta = UInt32(truncatingIfNeeded: UInt64(littleEndian: head.0) >> 32)
            if word == 0 && unit > 4 {
                cursor.offset = (cursor.offset / unit + 1) * unit
                continue
            }
            let kind = UInt8(word >> 24)
            let length = Int(word & 0xFF_FFFF)
            let size = RecordFormat.framedSize(payload: length)
            if kind != RecordFormat.dataKind && RecordFormat.fixedLength(of: kind) == length && cursor.offset + size <= state.end {
                cursor.offset += size
                continue
            }
            let sequence = state.header.baseSequence &+ UInt64(delta)
            guard kind == RecordFormat.dataKind, cursor.offset + size <= state.end, sequence < state.endSequence else {
                skipDamagedSector(&cursor, state)
                continue
            }
            if sequence < cursor.nextSequence {
                cursor.offset += size
                continue
            }
            guard length <= buffer.count else {
                throw RingLogError(.bufferTooSmall(needed: length),
                                   "\(device.name): record \(sequence) has \(length) bytes, the buffer \(buffer.count)")
            }
            let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
            do throws(FlashError) {
                try device.read(at: start + cursor.offset + RecordFormat.overhead, into: payload)
            } catch { throw RingLogError(error) }
            let stored = UInt32(truncatingIfNeeded: UInt64(littleEndian: head.1) >> 32)
            let crc = withUnsafeBytes(of: &head) { raw in
                RecordFormat.checksum(sectorSequence: state.header.sectorSequence, sequence: sequence,
                                      head: raw.baseAddress!, payload: UnsafeRawBufferPointer(payload))
            }
            guard crc == stored else {
                skipDamagedSector(&cursor, state)
                continue
            }
            let timeDelta = Int32(truncatingIfNeeded: UInt64(littleEndian: head.1))
            cursor.offset += size
            cursor.nextSequence = sequence + 1
            return RingLogRecord(sequence: sequence,
                                 timestamp: WallTime(milliseconds: state.header.baseWallMilliseconds &+ Int64(timeDelta)),
                                 length: length)
        }
    }

    mutating func skipDamagedSector(_ cursor: inout RingLogCursor, _ state: SectorState) {
        counters.corruptRecords += 1
        cursor.nextSequence = max(cursor.nextSequence, state.endSequence)
        cursor.sector = -1
    }

    func cursorIsPlaced(_ cursor: RingLogCursor) -> Bool {
        guard cursor.sector >= 0 && cursor.sector < sectorCount else { return false }
        let s = sectors[cursor.sector]
        return s.use == .live && s.header.sectorSequence == cursor.sectorSequence
            && cursor.nextSequence >= s.baseSequence && cursor.nextSequence < s.endSequence
    }

    /// Finds the sector holding the cursor's sequence number, or the first one after it.
    func place(_ cursor: inout RingLogCursor) -> Bool {
        var best = -1
        for step in 0..<liveCount {
            let i = (tail + step) % sectorCount
            let s = sectors[i]
            guard s.use == .live, s.records > 0, s.endSequence > cursor.nextSequence else { continue }
            best = i
            break
        }
        guard best >= 0 else { return false }
        let s = sectors[best]
        cursor.sector = best
        cursor.sectorSequence = s.header.sectorSequence
        cursor.offset = SectorHeader.size
        if cursor.nextSequence < s.baseSequence { cursor.nextSequence = s.baseSequence }
        return true
    }

    /// The counters and state; scans one sector when the cursor falls inside it (to count the
    /// unacknowledged bytes exactly).
    public func statistics() -> RingLogStats {
        var stats = counters
        stats.durableSequence = durable > 0 ? durable : nil
        stats.acknowledgedSequence = acknowledged
        stats.persistedAcknowledgement = persistedAcknowledgement
        var used = 0
        var records: UInt64 = 0
        var unacknowledged: UInt64 = 0
        var unacknowledgedBytes: UInt64 = 0
        var oldestWall: Int64?
        var newestWall: Int64?
        for step in 0..<liveCount {
            let i = (tail + step) % sectorCount
            let s = sectors[i]
            guard s.use == .live else { continue }
            used += s.end
            records += s.records
            if s.records > 0 {
                if oldestWall == nil { oldestWall = s.firstWall }
                newestWall = s.lastWall
                let last = s.endSequence - 1
                if last > acknowledged {
                    unacknowledged += last - max(acknowledged, s.baseSequence - 1)
                    unacknowledgedBytes += self.unacknowledgedBytes(inSector: i)
                }
            }
        }
        stats.usedBytes = used
        stats.records = records
        stats.unacknowledgedRecords = unacknowledged
        stats.unacknowledgedBytes = unacknowledgedBytes
        stats.oldestSequence = records > 0 ? oldest : nil
        stats.newestSequence = records > 0 ? nextSequence - 1 : nil
        if let oldestWall { stats.oldestTimestamp = WallTime(milliseconds: oldestWall) }
        if let newestWall { stats.newestTimestamp = WallTime(milliseconds: newestWall) }
        return stats
    }

    /// Erases of one sector over the life of the log (from its header; sectors whose header is
    /// gone get the highest count known, a safe over-estimate).
    public func eraseCount(sector: Int) -> UInt32 {
        guard sector >= 0 && sector < sectorCount else { return 0 }
        return sectors[sector].eraseCount
    }
}
