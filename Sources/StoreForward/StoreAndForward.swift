import EdgeAlarms
import EdgeCore
import FieldBus
import RingLog
import Configuration

/// Counters of the data path, for the console, the log and the gateway's status measurepoints.
public struct StoreAndForwardStats: Equatable, Sendable {
    public var samplesRecorded: UInt64 = 0
    public var recordsAppended: UInt64 = 0
    /// Samples lost because the ring log refused the append (full with `refuseAppends`, or failed).
    public var samplesRefused: UInt64 = 0
    public var requestsSent: UInt64 = 0
    public var liveRequests: UInt64 = 0
    public var resumeRequests: UInt64 = 0
    public var requestsConfirmed: UInt64 = 0
    /// Requests the cloud refused for good (e.g. 1204 model validation): their records are
    /// acknowledged so that they do not block the log, and counted here.
    public var requestsRejected: UInt64 = 0
    /// Failures (timeouts, lost connections, transient codes) after which everything unconfirmed
    /// was sent again from the acknowledged cursor.
    public var rewinds: UInt64 = 0
    /// Retries (`retry`) that held all sending back for a back-off delay.
    public var retryBackOffs: UInt64 = 0
    public var samplesSentLive: UInt64 = 0
    public var samplesSentResume: UInt64 = 0
    /// Samples of devices without a cloud identity (no sub-device in the configuration: polled
    /// for the console and local use only). The one configured rule, beside the ring log's own
    /// drop policy, by which a sample leaves the log without reaching the cloud.
    public var samplesNotForCloud: UInt64 = 0
    /// Samples stored under another configuration whose device or point is gone, changed its
    /// cloud identity, or cannot be mapped (a layout not known to this process, e.g. after a
    /// restart with a different file): not sent (never under another device's identity), counted.
    public var samplesOfOtherConfigurations: UInt64 = 0
    /// Samples whose entry cannot fit any request.
    public var samplesTooLarge: UInt64 = 0
    /// Records that could not be decoded (never ours, or damaged): skipped and counted.
    public var undecodableRecords: UInt64 = 0
    /// Samples of devices the cloud refuses for a reason about that device alone (deleted, not in
    /// the topology, disabled, not permitted: `RefusedDevices`), left out of the requests and
    /// acknowledged with the records that carry them; counted each time they are left out (a
    /// record sent again after a failure counts them again).
    public var samplesOfRefusedDevices: UInt64 = 0
    /// Devices refused now (`RefusedDevices`).
    public var devicesRefused = 0
    /// Request rounds split by device to find which device a refusal is about (`DeviceSplitRound`).
    public var deviceSplitRounds: UInt64 = 0
    /// Samples held back by report-by-exception (within a point's deadband or minimum report
    /// interval): never stored, counted here so that none is lost silently.
    public var samplesSuppressed: UInt64 = 0
    /// Alarm records (raises and clears) appended to the log, and those it refused (full).
    public var alarmRecordsAppended: UInt64 = 0
    public var alarmRecordsRefused: UInt64 = 0
    /// Alarm events sent (each its own request; a resend after a failure counts again).
    public var alarmEventsSent: UInt64 = 0
    /// Alarm records that can never be sent (rule gone, device without a cloud identity): done.
    public var alarmRecordsDropped: UInt64 = 0

    public init() {}
}

/// The store-and-forward data path: bus samples become compact records (`SampleRecord`), appended
/// to the ring log, which commits them in groups (a sync every N ms or N bytes). While the uplink
/// is ready, records recorded since it became ready go out as live data (`post.batch`) as soon as
/// they are appended (from RAM, `RecentRecords`: the group commit adds no latency) and the window
/// has room, at least `liveIntervalMilliseconds` apart while the live data fits one request; when
/// more than a request's worth is waiting, full requests follow each other as fast as the window
/// of `inFlightRequests` allows (batching adapts to the load; no per-interval cap). Everything
/// older, from the ring log's acknowledged cursor on, goes out as backlog (`resume.batch`) paced
/// at `resumeSamplesPerSecond`, live first.
///
/// The log is acknowledged only up to its durable sequence: what the cloud confirmed before the
/// sync is acknowledged after it (a record lost in a power cut before its sync had been delivered).
/// The backlog is read from the log, durable records only.
///
/// The one rule for leaving the log: a record is acknowledged in the ring log only when every
/// request carrying its samples was confirmed by the cloud (`confirm`), refused for good
/// (`reject`, counted), or when all its samples belong to devices without a cloud identity
/// (`samplesNotForCloud`, counted) or to devices the cloud refuses (`samplesOfRefusedDevices`,
/// counted: deleted, not in the topology, disabled or not permitted, `RefusedDevices`). A refusal
/// about one device never holds the others: the device is named by the reply or found by one
/// round split by device (`deviceRefused`, `DeviceSplitRound`), then left out. A sub-device that is not logged in keeps its place in the
/// requests (they allow offline sub-devices), so no sample is skipped for a login state. Each request carries a tag that
/// maps to a contiguous range of sequence numbers; the ring log is acknowledged only over the
/// contiguous prefix of confirmed ranges (`AcknowledgementTracker`). A failure or a lost uplink
/// sends everything unconfirmed again as backlog: after a crash, a lost reply or a reconnect there
/// may be duplicates, never a loss of a durable record. A failed request (`retry`: a transient code,
/// no reply in time) holds all sending back until a back-off deadline, 1 s after the first
/// failure, doubling per consecutive failure up to 60 s, back to 1 s once a confirmation moves the
/// acknowledged cursor: a cloud that keeps refusing sees a request round every minute at most, not
/// a resend loop. All buffers are sized at `init`; the steady state allocates nothing.
public struct StoreAndForward<Device: FlashDevice & ~Copyable, Clock: EdgeClock>: ~Copyable {
    public var log: RingLog<Device, Clock>
    let clock: Clock
    public let settings: PublishingSettings
    public internal(set) var stats = StoreAndForwardStats()
    public internal(set) var tracker: AcknowledgementTracker
    /// How stored (device, point) indices read under the running configuration (nil: as they are;
    /// tests without a configuration).
    public let translation: SampleTranslation?
    var writer: SampleRecordWriter
    let writeBuffer: UnsafeMutableRawBufferPointer
    let readBuffer: UnsafeMutableRawBufferPointer
    /// The last records appended while the uplink is ready: live data goes out from here as soon
    /// as it is appended, before the group commit (the log is acknowledged only once durable).
    let recent: RecentRecords
    /// Nil while the uplink is not ready; otherwise the first sequence of live data.
    public private(set) var liveFrom: UInt64? = nil
    var liveCursor = RingLogCursor(from: 1)
    var resumeCursor = RingLogCursor(from: 1)
    /// The backlog ends before this sequence number.
    var resumeEnd: UInt64 = 1
    var lastLiveSend: MonotonicInstant
    var resumeTokens: Int
    var lastRefill: MonotonicInstant
    var nextTag: UInt64 = 1
    /// More durable live data is waiting than the last requests could carry: send again as soon
    /// as the window has room, without waiting for the live interval.
    var liveBacklogged = false
    /// The uplink refused to start a request in the last `publish` (its own window or output
    /// full): nothing is due until it has moved (a reply, a writable socket, a timer of its own).
    var uplinkBlocked = false
    /// After a `retry`, nothing is sent before this instant (nil: no back-off).
    public internal(set) var retryNotBefore: MonotonicInstant? = nil
    /// Failed requests since a confirmation last moved the acknowledged cursor (sizes the back-off).
    public internal(set) var consecutiveFailures = 0
    /// Devices whose data the cloud refuses: their samples are left out (`RefusedDevices`).
    public internal(set) var refused: RefusedDevices
    /// The round that finds the device a refusal is about, when the reply does not name it.
    var split: DeviceSplitRound
    /// A split round found every part refused alike (not one device's fault): until a
    /// confirmation moves the acknowledged cursor, device refusals back off like other retries.
    var refusalNotOfOneDevice = false
    /// `fill` stopped at an alarm record of this length, read into `readBuffer` (0: none): it goes
    /// as its own request (`sendAlarmRecord`).
    var alarmInBuffer = 0

    /// The back-off after the first failure, and its cap (doubling in between).
    public static var retryBackOffInitialMilliseconds: UInt64 { 1_000 }
    public static var retryBackOffMaximumMilliseconds: UInt64 { 60_000 }

    /// The largest record this store writes: small enough that one record always fits into one
    /// request (`maximumPayloadBytes` is at least 16 KiB).
    public static var maximumRecordBytes: Int { 1024 }
    /// Records kept in RAM for the live path (`RecentRecords`): 32 KiB at most; at 5,000 points/s
    /// about a third of a second of records, far more than one loop turn appends.
    static var recentRecords: Int { 32 }

    /// `devices`: the number of field devices (per-device refusal state is sized by it).
    public init(log: consuming RingLog<Device, Clock>, clock: Clock, settings: PublishingSettings,
                translation: SampleTranslation? = nil, devices: Int = 64) {
        let recordBytes = min(Self.maximumRecordBytes, log.maximumPayload)
        precondition(recordBytes >= SampleRecord.headerSize + SampleRecord.maximumSampleSize,
                     "StoreAndForward: the ring log's records are too small for a sample")
        writeBuffer = .allocate(byteCount: recordBytes, alignment: 8)
        readBuffer = .allocate(byteCount: log.maximumPayload, alignment: 8)
        writer = SampleRecordWriter(buffer: writeBuffer, layout: translation?.layout.fingerprint ?? 0)
        recent = RecentRecords(slots: Self.recentRecords, slotBytes: recordBytes)
        self.translation = translation
        refused = RefusedDevices(capacity: devices)
        split = DeviceSplitRound(capacity: devices)
        tracker = AcknowledgementTracker(capacity: settings.inFlightRequests * 4 + 8, committed: log.acknowledgedSequence)
        self.log = log
        self.clock = clock
        self.settings = settings
        let now = clock.monotonicNow()
        lastLiveSend = now
        lastRefill = now
        resumeTokens = min(settings.batchSamples, settings.resumeSamplesPerSecond)
    }

    deinit {
        writeBuffer.deallocate()
        readBuffer.deallocate()
    }

    // MARK: - Recording

    /// Counts a sample report-by-exception held back (`samplesSuppressed`).
    public mutating func countSuppressed() { stats.samplesSuppressed &+= 1 }

    /// Adds a sample to the record being built; a full record goes to the ring log.
    public mutating func record(_ sample: Sample) throws(RingLogError) {
        stats.samplesRecorded &+= 1
        if writer.append(sample) { return }
        try flushRecord()
        if !writer.append(sample) { stats.samplesRefused &+= 1 }
    }

    /// Appends the record being built to the ring log (call after each batch of bus events, so
    /// that records never wait for more samples). Durable at the log's next group commit.
    public mutating func flushRecord() throws(RingLogError) {
        guard !writer.isEmpty else { return }
        let samples = UInt64(writer.samples)
        defer { writer.reset() }
        do {
            let sequence = try log.append(writer.bytes, timestamp: writer.base)
            stats.recordsAppended &+= 1
            if liveFrom != nil { recent.keep(sequence: sequence, bytes: writer.bytes) }
        } catch {
            stats.samplesRefused &+= samples
            if error.kind == .full { return }
            throw error
        }
    }

    /// Runs the ring log's timers (group commit, cursor checkpoint); what the cloud confirmed
    /// before the group commit is acknowledged once durable.
    public mutating func tick() throws(RingLogError) {
        try log.tick()
        try acknowledge(upTo: tracker.committed)
    }

    /// Acknowledges the log over what the cloud confirmed, but never beyond its durable sequence
    /// (live records go out before their sync; the rest is acknowledged after it, in `tick`).
    mutating func acknowledge(upTo confirmed: UInt64) throws(RingLogError) {
        let target = min(confirmed, log.durableSequence ?? 0)
        if target > log.acknowledgedSequence { try log.acknowledge(upTo: target) }
    }

    /// True when the live cursor's record can be read now: durable, or still held in RAM.
    func liveAvailable(durable: UInt64) -> Bool {
        liveCursor.nextSequence <= durable || recent.contains(liveCursor.nextSequence)
    }

    /// Half the RAM records are appended and not sent: send now, whatever the live interval says,
    /// before newer records overwrite them (the live path would then wait for the group commit:
    /// ~100 ms at 5,000 points/s polled in bursts).
    var liveRecordsPressing: Bool {
        log.nextAppendSequence &- liveCursor.nextSequence >= UInt64(Self.recentRecords / 2)
    }

    /// Flushes the record being built and syncs the log (SIGTERM, reload).
    public mutating func sync() throws(RingLogError) {
        try flushRecord()
        _ = try log.sync()
        try acknowledge(upTo: tracker.committed)
        try log.checkpoint()
        _ = try log.sync()
    }

    /// Milliseconds until `publish` or `tick` has something to do (for the poll timeout). Never 0
    /// while nothing can be sent: with the window full or the uplink blocked, the next thing to
    /// look at is a reply (the uplink's socket wakes the loop) or the oldest request's deadline.
    public func millisecondsUntilDue(now: MonotonicInstant) -> Int {
        var wait = Int(clamping: log.options.syncIntervalMilliseconds == 0 ? 1000 : log.options.syncIntervalMilliseconds)
        if let sync = log.nextSyncDeadline { wait = min(wait, Self.milliseconds(from: now, to: sync)) }
        guard liveFrom != nil else { return max(wait, 0) }
        if let notBefore = retryNotBefore, notBefore > now {
            // Backing off: nothing is sent (and nothing is in flight) before the deadline.
            return max(min(wait, Self.milliseconds(from: now, to: notBefore)), 0)
        }
        if let oldest = tracker.oldestUnconfirmedSentAt {
            wait = min(wait, Self.milliseconds(from: now, to: oldest.advanced(byMilliseconds: settings.replyTimeoutMilliseconds &* 2)))
        }
        if split.active {
            // Parts to send go at once; otherwise their replies (or the sync that makes the
            // round's records durable) are next.
            let due = split.ranged && split.nextDevice < split.capacity && !uplinkBlocked
            return due ? 0 : max(wait, 0)
        }
        guard canSend, !uplinkBlocked else { return max(wait, 0) }
        let durable = log.durableSequence ?? 0
        if liveAvailable(durable: durable) {
            if liveBacklogged || liveRecordsPressing { return 0 }
            wait = min(wait, Self.milliseconds(from: now, to: lastLiveSend.advanced(byMilliseconds: settings.liveIntervalMilliseconds)))
        }
        if resumeCursor.nextSequence < resumeEnd && resumeCursor.nextSequence <= durable {
            // Paced: a batch's worth of tokens, or 20 ms, whichever comes first.
            wait = min(wait, resumeTokens > 0 ? 0 : 20)
        }
        return max(wait, 0)
    }

    static func milliseconds(from now: MonotonicInstant, to due: MonotonicInstant) -> Int {
        due <= now ? 0 : Int(clamping: (due.nanoseconds(since: now) + 999_999) / 1_000_000)
    }

    // MARK: - Uplink state

    /// The uplink is ready (connected, sub-devices logged in): what is recorded from now on is
    /// live; everything not yet acknowledged is backlog.
    public mutating func uplinkReady() throws(RingLogError) {
        try flushRecord()
        let start = log.nextAppendSequence
        liveFrom = start
        liveCursor = RingLogCursor(from: start)
        resumeEnd = start
        resumeCursor = RingLogCursor(from: log.acknowledgedSequence + 1)
        tracker.reset(committed: log.acknowledgedSequence)
        lastLiveSend = clock.monotonicNow()
        lastRefill = lastLiveSend
        resumeTokens = min(settings.batchSamples, settings.resumeSamplesPerSecond)
        liveBacklogged = false
        uplinkBlocked = false
        split.reset()
        // A fresh connection starts at once (the reconnect policy paced it); a failure on it backs
        // off from where the count stands.
        retryNotBefore = nil
    }

    /// The uplink went down: nothing is sent until it is ready again; unconfirmed requests will
    /// be sent again then.
    public mutating func uplinkLost() {
        liveFrom = nil
        split.reset()
        tracker.reset(committed: log.acknowledgedSequence)
    }

    /// True while backlog remains to be sent in this connection.
    public var isResuming: Bool { liveFrom != nil && resumeCursor.nextSequence < resumeEnd }

    /// Records not yet acknowledged (the backlog, live data in flight included).
    public var unacknowledgedRecords: UInt64 {
        log.nextAppendSequence &- 1 &- log.acknowledgedSequence
    }

    // MARK: - Acknowledgements

    /// Request `tag` was delivered (EnOS reply 200, or PUBACK): the ring log is acknowledged over
    /// the contiguous prefix of confirmed requests.
    public mutating func confirm(tag: UInt64) throws(RingLogError) {
        if let part = split.device(ofPart: tag) {
            stats.requestsConfirmed &+= 1
            split.settle(device: part, refusedWith: nil)
            try finishSplitRound()
            return
        }
        guard tracker.contains(tag: tag) else { return }
        stats.requestsConfirmed &+= 1
        if let upTo = tracker.confirm(tag: tag) {
            consecutiveFailures = 0
            refusalNotOfOneDevice = false
            try acknowledge(upTo: upTo)
        }
    }

    /// Request `tag` was refused for good (its content can never be accepted): counted, and
    /// treated as delivered so that it does not block the log.
    public mutating func reject(tag: UInt64) throws(RingLogError) {
        if let part = split.device(ofPart: tag) {
            // A part of a split round refused for its content: dropped like any rejected request.
            stats.requestsRejected &+= 1
            split.settle(device: part, refusedWith: nil)
            try finishSplitRound()
            return
        }
        guard tracker.contains(tag: tag) else { return }
        stats.requestsRejected &+= 1
        if let upTo = tracker.confirm(tag: tag) {
            consecutiveFailures = 0
            try acknowledge(upTo: upTo)
        }
    }

    /// Request `tag` failed in a way worth retrying (no reply in time, a transient code): every
    /// unconfirmed record is sent again as backlog, from the acknowledged cursor, once the
    /// back-off deadline has passed (1 s, doubling per consecutive failure, at most 60 s). The
    /// other replies of the same round find their tags gone and change nothing: one failure per
    /// round.
    public mutating func retry(tag: UInt64) {
        // A part of a split round that failed (no reply, a transient code) fails the round.
        let tag = split.device(ofPart: tag) != nil ? split.rangeTag : tag
        guard tracker.contains(tag: tag) else { return }
        rewind()
        backOff()
    }

    /// Holds all sending back for the back-off delay (1 s doubling per consecutive failure, at
    /// most 60 s).
    mutating func backOff() {
        guard liveFrom != nil else { return }
        let shift = UInt64(min(consecutiveFailures, 16))
        let delay = min(Self.retryBackOffMaximumMilliseconds, Self.retryBackOffInitialMilliseconds << shift)
        consecutiveFailures += 1
        retryNotBefore = clock.monotonicNow().advanced(byMilliseconds: delay)
        stats.retryBackOffs &+= 1
    }

    /// Sends everything unconfirmed again as backlog, from the acknowledged cursor.
    mutating func rewind() {
        guard liveFrom != nil else { return }
        stats.rewinds &+= 1
        split.reset()
        tracker.reset(committed: log.acknowledgedSequence)
        resumeEnd = liveCursor.nextSequence
        resumeCursor = RingLogCursor(from: log.acknowledgedSequence + 1)
    }

    // MARK: - Publishing

    /// Sends what is due: live batches first (all that is durable, at least
    /// `liveIntervalMilliseconds` after the last while it fits one request, at once beyond), then
    /// backlog batches as the pace allows, while the window has room.
    public mutating func publish<Uplink: MeasurepointUplink & ~Copyable>(_ uplink: inout Uplink) throws(RingLogError) {
        guard liveFrom != nil, uplink.isReady else { return }
        let now = clock.monotonicNow()
        if let overdue = tracker.overdue(sentBefore: MonotonicInstant(nanoseconds: now.nanoseconds &- min(now.nanoseconds, settings.replyTimeoutMilliseconds &* 2_000_000))) {
            retry(tag: overdue)
        }
        // A full tracker with nothing in flight would wait for ever (no reply, no deadline):
        // start again from the acknowledged cursor instead (duplicates, never a stall).
        if tracker.isFull && tracker.outstanding == 0 { rewind() }
        if let notBefore = retryNotBefore {
            guard now >= notBefore else { return }
            retryNotBefore = nil
        }
        uplinkBlocked = false
        if split.active {
            // Finding the refused device: everything else waits for this one round.
            try publishSplitRound(&uplink, now: now)
            return
        }
        let durable = log.durableSequence ?? 0
        if liveAvailable(durable: durable)
            && (liveBacklogged || liveRecordsPressing || now.nanoseconds(since: lastLiveSend) >= settings.liveIntervalMilliseconds &* 1_000_000) {
            var sent = false
            while canSend, liveAvailable(durable: durable) {
                guard try sendBatch(.live, &uplink, limit: settings.batchSamples, now: now) else {
                    if liveAvailable(durable: durable) { uplinkBlocked = true }
                    break
                }
                sent = true
            }
            if sent { lastLiveSend = now }
            // Whatever is still waiting goes as soon as the window has room.
            liveBacklogged = liveAvailable(durable: durable)
        }
        refill(now)
        while canSend, !uplinkBlocked, resumeTokens > 0, resumeCursor.nextSequence < resumeEnd,
              resumeCursor.nextSequence <= durable {
            guard try sendBatch(.resume, &uplink, limit: min(settings.batchSamples, resumeTokens), now: now) else {
                uplinkBlocked = true
                break
            }
        }
    }

    var canSend: Bool { !tracker.isFull && tracker.outstanding < settings.inFlightRequests }

    mutating func refill(_ now: MonotonicInstant) {
        let elapsed = now.nanoseconds(since: lastRefill)
        let rate = UInt64(settings.resumeSamplesPerSecond)
        let earned = elapsed / 1_000_000 * rate / 1000
        guard earned > 0 else { return }
        let cap = max(settings.batchSamples, settings.resumeSamplesPerSecond)
        resumeTokens = min(cap, resumeTokens + Int(clamping: earned))
        lastRefill = now
    }

    /// Builds and sends one request from `kind`'s cursor; false when nothing was sent.
    mutating func sendBatch<Uplink: MeasurepointUplink & ~Copyable>(_ kind: BatchKind, _ uplink: inout Uplink,
                                                                    limit: Int, now: MonotonicInstant) throws(RingLogError) -> Bool {
        var cursor = kind == .live ? liveCursor : resumeCursor
        let end = kind == .live ? UInt64.max : resumeEnd
        let first = cursor.nextSequence
        guard uplink.beginBatch(kind) else { return false }
        alarmInBuffer = 0
        let (records, samples, entries) = try fill(&uplink, cursor: &cursor, end: end, limit: limit, fromRAM: kind == .live, only: nil)
        if alarmInBuffer > 0 {
            // An alarm record first in line: its own request (a batch stops before one).
            uplink.cancelBatch()
            let length = alarmInBuffer
            alarmInBuffer = 0
            return try sendAlarmRecord(kind, &uplink, sequence: first, length: length, now: now)
        }
        let last = cursor.nextSequence &- 1
        guard records > 0, last >= first else {
            uplink.cancelBatch()
            return false
        }
        let tag = nextTag
        nextTag &+= 1
        if entries == 0 {
            // Nothing for the cloud in these records: they are done.
            uplink.cancelBatch()
            guard tracker.add(tag: tag, first: first, last: last, now: now) else { return false }
            if let upTo = tracker.confirm(tag: tag) { try acknowledge(upTo: upTo) }
        } else {
            guard uplink.sendBatch(tag: tag) else { return false }
            guard tracker.add(tag: tag, first: first, last: last, now: now) else { return false }
            stats.requestsSent &+= 1
            if kind == .live {
                stats.liveRequests &+= 1
                stats.samplesSentLive &+= UInt64(samples)
            } else {
                stats.resumeRequests &+= 1
                stats.samplesSentResume &+= UInt64(samples)
            }
        }
        if kind == .live { liveCursor = cursor } else {
            resumeCursor = cursor
            resumeTokens -= max(samples, 1)
        }
        return true
    }

    /// Adds records from `cursor` (up to `end`, about `limit` samples) to the request being built:
    /// one entry per run of samples of one device at one time; samples of devices without a cloud
    /// identity or refused by the cloud are left out (counted); `only`: that device's samples
    /// alone (a part of a `DeviceSplitRound`). `fromRAM`: records not yet durable are read from
    /// `recent` (live data). Returns the records read, the samples and the entries added.
    mutating func fill<Uplink: MeasurepointUplink & ~Copyable>(_ uplink: inout Uplink, cursor: inout RingLogCursor, end: UInt64,
                                                               limit: Int, fromRAM: Bool, only: Int?) throws(RingLogError) -> (Int, Int, Int) {
        var samples = 0
        var entries = 0
        var records = 0
        var stopped = false
        while !stopped {
            let before = cursor
            let record: (sequence: UInt64, length: Int)
            if fromRAM && cursor.nextSequence > (log.durableSequence ?? 0) {
                // Appended, not yet durable: from RAM (the log is acknowledged once it is).
                guard let n = recent.copy(cursor.nextSequence, into: readBuffer) else { break }
                record = (cursor.nextSequence, n)
                cursor = RingLogCursor(from: cursor.nextSequence + 1)
            } else {
                guard let read = try log.read(&cursor, into: readBuffer) else { break }
                record = (read.sequence, read.length)
            }
            if record.sequence >= end { cursor = before; break }
            let payload = UnsafeRawBufferPointer(rebasing: readBuffer[0..<record.length])
            if AlarmRecord.isStillActive(payload) {
                // A copy of an active alarm's raise kept for recovery: nothing for the cloud.
                records += 1
                continue
            }
            if Self.isAlarmRecord(payload) {
                // Alarms go one per request, in log order: a batch ends before one; one first in
                // line is left in `readBuffer` for `sendBatch` (a split round has none in range).
                if records > 0 || only != nil { cursor = before } else { alarmInBuffer = record.length }
                break
            }
            var reader: SampleRecordReader
            do { reader = try SampleRecordReader(payload) } catch {
                stats.undecodableRecords &+= 1
                records += 1
                continue
            }
            if records > 0 && samples + reader.sampleCount > limit { cursor = before; break }
            // One entry per run of samples of one device at one time.
            var open = false
            var openDevice = -1
            var openTime = WallTime(milliseconds: 0)
            var sentOfRecord = 0
            var full = false
            while true {
                var next: Sample?
                do { next = try reader.next() } catch {
                    stats.undecodableRecords &+= 1
                    break
                }
                // Indices as the running configuration reads them (before any use).
                if let stored = next, translation != nil {
                    guard let mapped = translation?.translate(layout: reader.layout, device: stored.device, point: stored.point) else {
                        stats.samplesOfOtherConfigurations &+= 1
                        continue
                    }
                    next?.device = mapped.device
                    next?.point = mapped.point
                }
                var boundary = true
                if let n = next { boundary = n.device != openDevice || n.time != openTime }
                if open && boundary {
                    switch uplink.endEntry() {
                    case .added: entries += 1
                    case .full: full = true
                    case .tooLarge: stats.samplesTooLarge &+= 1
                    }
                    open = false
                    if full { break }
                }
                guard let sample = next else { break }
                // Login state does not matter here: requests allow offline sub-devices, so a
                // sub-device that is not (yet) logged in keeps its samples in the request.
                guard uplink.hasCloudIdentity(device: sample.device) else {
                    stats.samplesNotForCloud &+= 1
                    continue
                }
                if let only, sample.device != only { continue }
                if refused.isRefused(sample.device) {
                    // The cloud refuses this device's data: left out, counted (`RefusedDevices`).
                    stats.samplesOfRefusedDevices &+= 1
                    refused.count(droppedSamples: 1, of: sample.device)
                    continue
                }
                if !open {
                    uplink.beginEntry(device: sample.device, time: sample.time)
                    open = true
                    openDevice = sample.device
                    openTime = sample.time
                }
                uplink.addPoint(device: sample.device, point: sample.point, value: sample.value, quality: sample.quality)
                sentOfRecord += 1
            }
            if full {
                if records > 0 {
                    // Send what we have; this record goes whole into the next request (the
                    // entries of it already in this one are sent twice: duplicates, no loss).
                    cursor = before
                    break
                }
                // A record too large for one request on its own: send what fits, count the rest.
                stats.samplesTooLarge &+= UInt64(reader.sampleCount - sentOfRecord)
                stopped = true
            }
            records += 1
            samples += sentOfRecord
        }
        return (records, samples, entries)
    }
}
