/// What the log knows in RAM about one sector (one entry per sector, allocated at open).
struct SectorState {
    enum Use: UInt8 {
        /// Verified all 0xFF: can be used without an erase.
        case erased
        /// Not in use; must be erased before use (unknown, stale or damaged content).
        case free
        /// In the ring, with a valid header.
        case live
        /// In the ring between live sectors, but unreadable: skipped.
        case corrupt
    }

    var use: Use = .free
    var header = SectorHeader(sectorSize: 0, sectorCount: 0, programUnit: 0, eraseCount: 0, sectorSequence: 0,
                              baseSequence: 0, baseWallMilliseconds: 0, acknowledged: 0, droppedRecords: 0,
                              droppedBytes: 0)
    var eraseCount: UInt32 = 0
    /// Data records in the sector, and their payload bytes.
    var records: UInt64 = 0
    var payloadBytes: UInt64 = 0
    /// Offset within the sector where the next record goes (buffered bytes included).
    var end = 0
    var firstWall: Int64 = 0
    var lastWall: Int64 = 0

    var baseSequence: UInt64 { header.baseSequence }
    /// One past the last data record's sequence number.
    var endSequence: UInt64 { header.baseSequence &+ records }
}
