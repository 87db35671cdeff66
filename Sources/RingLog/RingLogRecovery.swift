import EdgeCore

extension RingLog where Device: ~Copyable {
    /// Rebuilds the RAM state from the device, reading only: classify every sector by its header,
    /// find the newest, walk back the ring of consecutive sector sequences, scan each sector's
    /// records (CRCs, continuity) and cut at the first torn or corrupt one, restore the cursor
    /// from sector headers and checkpoint records. Corrupt sectors are counted and skipped.
    mutating func recover() throws(RingLogError) {
        let started = clock.monotonicNow()
        var newest = -1
        var valid = 0
        var firstForeign = -1
        var maxErase: UInt32 = 0
        for i in 0..<sectorCount {
            let headerBytes = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<SectorHeader.size])
            try readDevice(at: i * sectorSize, into: headerBytes)
            switch SectorHeader.decode(UnsafeRawBufferPointer(headerBytes)) {
            case .valid(let h):
                if Int(exactly: h.sectorSize) != sectorSize || Int(exactly: h.sectorCount) != sectorCount || Int(exactly: h.programUnit) != unit {
                    throw RingLogError(.wrongGeometry, "\(device.name): sector \(i) belongs to a log of \(h.sectorCount) sectors of \(h.sectorSize) bytes (program unit \(h.programUnit)), but the device is \(sectorCount) sectors of \(sectorSize) bytes (program unit \(unit)); format it to use this geometry")
                }
                sectors[i].use = .live
                sectors[i].header = h
                sectors[i].eraseCount = h.eraseCount
                maxErase = max(maxErase, h.eraseCount)
                valid += 1
                if newest < 0 || h.sectorSequence > sectors[newest].header.sectorSequence { newest = i }
            case .erased:
                sectors[i].use = .erased
            case .unsupportedVersion(let v):
                throw RingLogError(.unsupportedVersion, "\(device.name): sector \(i) holds ring-log format version \(v); this build reads version \(SectorHeader.version)")
            case .corrupt:
                sectors[i].use = .corrupt
                if firstForeign < 0 && !Self.looksLikeTornHeader(UnsafeRawBufferPointer(headerBytes)) { firstForeign = i }
            }
        }
        for i in 0..<sectorCount where sectors[i].use != .live { sectors[i].eraseCount = maxErase }

        if valid == 0 {
            // Blank (all 0xFF) is a usable empty log; anything else is not ours.
            if firstForeign >= 0 {
                throw RingLogError(.foreignContent, "\(device.name): no ring-log header found; sector \(firstForeign) starts with \(firstBytesHex(firstForeign)); refusing to use it (format it to start a ring log)")
            }
            for i in 0..<sectorCount {
                if sectors[i].use == .corrupt {
                    // A torn first header: reported, erased before use.
                    sectors[i].use = .free
                    counters.corruptSectors += 1
                    continue
                }
                if try !sectorIsErased(i, from: 0) {
                    throw RingLogError(.foreignContent, "\(device.name): no ring-log header found, but sector \(i) holds data; refusing to use it (format it to start a ring log)")
                }
            }
            counters.lastRecoveryNanoseconds = clock.monotonicNow().nanoseconds(since: started)
            return
        }

        // The ring: consecutive sector sequences going back from the newest; damaged sectors in
        // between are kept in place (and skipped), damaged ones at the old end are not part of it.
        var length = 1
        var expected = sectors[newest].header.sectorSequence
        var k = 1
        while k < sectorCount {
            let q = (newest - k + sectorCount) % sectorCount
            expected &-= 1
            if sectors[q].use == .live && sectors[q].header.sectorSequence == expected {
                length = k + 1
            } else if sectors[q].use != .corrupt {
                break
            }
            k += 1
        }
        head = newest
        liveCount = length
        let next = (newest + 1) % sectorCount
        let nextWasDamaged = length < sectorCount && sectors[next].use == .corrupt
        tail = (newest - length + 1 + sectorCount) % sectorCount
        for i in 0..<sectorCount {
            let inRing = (i - tail + sectorCount) % sectorCount < length
            if inRing {
                if sectors[i].use == .corrupt { counters.corruptSectors += 1 }
            } else if sectors[i].use == .live || sectors[i].use == .corrupt {
                // Stale or damaged content outside the ring: reported, erased before reuse.
                counters.corruptSectors += 1
                sectors[i].use = .free
            }
        }

        // Scan the ring from the oldest sector.
        var cursor = sectors[head].header.acknowledged
        var droppedRecords: UInt64 = 0
        var droppedBytes: UInt64 = 0
        var previousEnd: UInt64 = 0
        for step in 0..<length {
            let i = (tail + step) % sectorCount
            guard sectors[i].use == .live else { continue }
            if step > 0 && sectors[i].header.baseSequence < previousEnd {
                // Overlapping sequence numbers: cannot be trusted.
                counters.corruptSectors += 1
                sectors[i].use = .corrupt
                continue
            }
            let image = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<sectorSize])
            try readDevice(at: i * sectorSize, into: image)
            var scanner = RecordScanner(image: UnsafeRawBufferPointer(image), header: sectors[i].header, programUnit: unit)
            cursor = max(cursor, sectors[i].header.acknowledged)
            droppedRecords = max(droppedRecords, sectors[i].header.droppedRecords)
            droppedBytes = max(droppedBytes, sectors[i].header.droppedBytes)
            var end = SectorHeader.size
            var torn = false
            scan: while true {
                switch scanner.next() {
                case .data(_, _, let length, let wall):
                    if sectors[i].records == 0 { sectors[i].firstWall = wall }
                    sectors[i].records += 1
                    sectors[i].payloadBytes += UInt64(length)
                    sectors[i].lastWall = wall
                case .checkpoint(let acknowledged, _):
                    cursor = max(cursor, acknowledged)
                case .drops(let records, let bytes, _):
                    droppedRecords = max(droppedRecords, records)
                    droppedBytes = max(droppedBytes, bytes)
                case .end(let offset):
                    end = offset
                    break scan
                case .corrupt(let offset):
                    end = offset
                    torn = true
                    counters.corruptRecords += 1
                    break scan
                }
            }
            sectors[i].end = end
            previousEnd = sectors[i].endSequence
            if i == head {
                // New records go after the last good one only if everything there is still erased
                // and aligned; otherwise (torn write, disturbed cells) in a fresh sector.
                var clean = !torn && end % 4 == 0 && end % unit == 0
                if clean {
                    for j in end..<sectorSize where image[j] != 0xFF { clean = false; break }
                }
                mustRotate = !clean
            }
        }
        var first = -1
        for step in 0..<length where sectors[(tail + step) % sectorCount].use == .live {
            first = (tail + step) % sectorCount
            break
        }
        let h = sectors[head]
        nextSequence = h.endSequence
        if nextWasDamaged {
            // The sector after the head has a damaged header: if it is really the newest sector
            // (its records check out under the header it must have had), its sequence numbers
            // were used: skip them rather than ever give them to other data, and start afresh.
            let used = try salvageCount(sector: next, after: h)
            if used > 0 {
                nextSequence += used
                counters.corruptRecords += Int(used)
                mustRotate = true
            }
        }
        durable = nextSequence - 1
        oldest = first >= 0 ? sectors[first].baseSequence : nextSequence
        acknowledged = min(cursor, durable)
        persistedAcknowledgement = acknowledged
        nextSectorSequence = h.header.sectorSequence + 1
        counters.droppedRecords = droppedRecords
        counters.droppedBytes = droppedBytes
        bufferStart = head * sectorSize + h.end
        bufferCount = 0
        // Free sectors: erased ones need no erase before use.
        for i in 0..<sectorCount where sectors[i].use == .erased {
            if try !sectorIsErased(i, from: SectorHeader.size) { sectors[i].use = .free }
        }
        counters.lastRecoveryNanoseconds = clock.monotonicNow().nanoseconds(since: started)
    }

    /// Data records in `sector` that verify under the header it would have had as the successor
    /// of `previous` (same geometry, next sector sequence, base at the previous end).
    func salvageCount(sector: Int, after previous: SectorState) throws(RingLogError) -> UInt64 {
        var assumed = previous.header
        assumed.sectorSequence = previous.header.sectorSequence &+ 1
        assumed.baseSequence = previous.endSequence
        let image = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<sectorSize])
        try readDevice(at: sector * sectorSize, into: image)
        var scanner = RecordScanner(image: UnsafeRawBufferPointer(image), header: assumed, programUnit: unit)
        while true {
            switch scanner.next() {
            case .data, .checkpoint, .drops: continue
            case .end, .corrupt: return UInt64(scanner.dataRecords)
            }
        }
    }

    /// A header cut short by a power loss, or a sector whose erase was cut: flash only moves bits
    /// from 1 to 0 when programming (and back when erasing), so every bit of our magic that is 1
    /// is still 1. Such a sector is not foreign content, just one to erase before use. (Random
    /// foreign data passes this by chance once in 8192; the rest of the device then decides.)
    static func looksLikeTornHeader(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var magic = SectorHeader.magic.littleEndian
        return withUnsafeBytes(of: &magic) { m -> Bool in
            for i in 0..<4 where bytes[i] & m[i] != m[i] { return false }
            return true
        }
    }

    func readDevice(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(RingLogError) {
        do throws(FlashError) { try device.read(at: offset, into: buffer) } catch { throw RingLogError(error) }
    }

    func sectorIsErased(_ index: Int, from: Int) throws(RingLogError) -> Bool {
        let image = UnsafeMutableRawBufferPointer(rebasing: scratch[from..<sectorSize])
        try readDevice(at: index * sectorSize + from, into: image)
        for b in image where b != 0xFF { return false }
        return true
    }

    func firstBytesHex(_ index: Int) -> String {
        let bytes = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<16])
        do throws(RingLogError) { try readDevice(at: index * sectorSize, into: bytes) } catch { return "(unreadable)" }
        return Hex.string(UnsafeRawBufferPointer(bytes))
    }
}
