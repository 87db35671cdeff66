import Configuration
import EdgeCore
import FieldBus
import RingLog

/// What `StoreAndForward.deviceRefused` did with a refusal about one device.
public enum DeviceRefusalOutcome: Equatable, Sendable {
    /// The device is refused from now on; the unconfirmed requests go again without it, at once.
    case deviceRefused(device: Int)
    /// The reply did not say which device: a round split by device finds it (`DeviceSplitRound`).
    case splitting
    /// Not one device's fault, or cannot be told (one device only, or a split round found every
    /// part refused alike): kept and retried after the back-off, like any retry.
    case retrying
    /// A part of a split round was answered; the round goes on.
    case partAnswered
    /// Nothing to do (a late reply, the request is not tracked any more).
    case ignored
}

extension StoreAndForward where Device: ~Copyable {
    /// Request `tag` was refused with `code` for a reason about one device (deleted, not in the
    /// topology, disabled, not permitted); `device`: the device the reply names, if it names one.
    /// A named device is refused at once (`RefusedDevices`: its samples are left out, counted)
    /// and everything unconfirmed goes again without it, with no back-off; otherwise one round
    /// split by device finds it. Everything else waits for that round (one round, not a back-off
    /// of up to a minute per device).
    public mutating func deviceRefused(tag: UInt64, code: Int, device: Int?) throws(RingLogError) -> DeviceRefusalOutcome {
        if let part = split.device(ofPart: tag) {
            split.settle(device: part, refusedWith: code)
            try finishSplitRound()
            return .partAnswered
        }
        guard liveFrom != nil, tracker.contains(tag: tag) else { return .ignored }
        if let device, !refused.isRefused(device), refuse(device, code: code) {
            rewind()
            return .deviceRefused(device: device)
        }
        if refusalNotOfOneDevice {
            retry(tag: tag)
            return .retrying
        }
        rewind()
        split.start()
        stats.deviceSplitRounds &+= 1
        return .splitting
    }

    /// Refuses `device`'s data from now on (the cloud deleted it, say); true when it was not
    /// refused before. Requests in flight are not recalled: their replies say what happened.
    @discardableResult
    public mutating func refuseDevice(_ device: Int, code: Int) -> Bool { refuse(device, code: code) }

    /// `device` may post again (it logged in, the cloud enabled it); true when it was refused.
    @discardableResult
    public mutating func admitDevice(_ device: Int) -> Bool {
        guard refused.admit(device) else { return false }
        stats.devicesRefused = refused.count
        return true
    }

    /// The next device refused since the last call, with the cloud's code (each refusal once).
    public mutating func takeRefusalToReport() -> (device: Int, code: Int)? {
        guard let device = refused.takeUnreported(), let code = refused.code(device) else { return nil }
        return (device, code)
    }

    mutating func refuse(_ device: Int, code: Int) -> Bool {
        guard refused.refuse(device, code: code) else { return false }
        stats.devicesRefused = refused.count
        return true
    }

    // MARK: - The split round

    /// Sends the parts of the split round (one request per device, the same records), choosing
    /// its records first: the oldest unacknowledged ones, durable, a request's worth.
    mutating func publishSplitRound<Uplink: MeasurepointUplink & ~Copyable>(_ uplink: inout Uplink,
                                                                            now: MonotonicInstant) throws(RingLogError) {
        if !split.ranged {
            guard try chooseSplitRange(now: now) else { return }
        }
        while split.nextDevice < split.capacity {
            let d = split.nextDevice
            guard split.present[d], uplink.hasCloudIdentity(device: d), !refused.isRefused(d) else {
                split.nextDevice += 1
                continue
            }
            guard uplink.beginBatch(.resume) else {
                uplinkBlocked = true
                return
            }
            var cursor = RingLogCursor(from: split.first)
            let (_, samples, entries) = try fill(&uplink, cursor: &cursor, end: split.last &+ 1, limit: Int.max,
                                                 fromRAM: false, only: d)
            if entries == 0 {
                uplink.cancelBatch()
                split.nextDevice += 1
                continue
            }
            if cursor.nextSequence <= split.last {
                // One device's part does not fit a request: the round cannot tell; back off.
                uplink.cancelBatch()
                retry(tag: split.rangeTag)
                return
            }
            let tag = nextTag
            guard uplink.sendBatch(tag: tag) else {
                uplinkBlocked = true
                return
            }
            nextTag &+= 1
            split.sent(device: d, tag: tag, samples: samples)
            split.nextDevice += 1
            stats.requestsSent &+= 1
            stats.resumeRequests &+= 1
            stats.samplesSentResume &+= UInt64(samples)
        }
        try finishSplitRound()
    }

    /// The records of the split round: from the acknowledged cursor, durable, at most a request's
    /// worth of samples and a quarter of a request's bytes in records (an entry's JSON is larger
    /// than the record's bytes). False while they are not durable yet.
    mutating func chooseSplitRange(now: MonotonicInstant) throws(RingLogError) -> Bool {
        let durable = log.durableSequence ?? 0
        let first = log.acknowledgedSequence &+ 1
        guard first <= durable else { return false }
        var cursor = RingLogCursor(from: first)
        var last: UInt64 = 0
        var samples = 0
        var bytes = 0
        while let read = try log.read(&cursor, into: readBuffer) {
            guard read.sequence < resumeEnd, read.sequence <= durable else { break }
            var reader: SampleRecordReader
            do { reader = try SampleRecordReader(UnsafeRawBufferPointer(rebasing: readBuffer[0..<read.length])) } catch {
                // Undecodable: carried by the range (the parts skip and count it).
                if last == 0 { last = read.sequence }
                continue
            }
            let count = reader.sampleCount
            if last != 0 && (samples + count > settings.batchSamples || bytes + read.length > settings.maximumPayloadBytes / 4) { break }
            last = read.sequence
            samples += count
            bytes += read.length
            // The devices with samples here, as the running configuration reads them.
            while true {
                var next: Sample?
                do { next = try reader.next() } catch { break }
                guard let sample = next else { break }
                var device = sample.device
                if translation != nil {
                    guard let mapped = translation?.translate(layout: reader.layout, device: sample.device, point: sample.point) else { continue }
                    device = mapped.device
                }
                if device >= 0 && device < split.capacity { split.present[device] = true }
            }
        }
        let tag = nextTag
        guard last >= first, tracker.add(tag: tag, first: first, last: last, now: now) else {
            // Nothing to split (or nothing that can be tracked): back off as for any failure.
            split.reset()
            backOff()
            return false
        }
        nextTag &+= 1
        split.ranged = true
        split.first = first
        split.last = last
        split.rangeTag = tag
        resumeCursor = RingLogCursor(from: last &+ 1)
        return true
    }

    /// Once every part is answered: parts refused while others went through name their devices
    /// (refused from now on, the samples of their parts counted as left out) and the records are
    /// acknowledged; parts all refused alike mean it is not one device: back off and keep them.
    mutating func finishSplitRound() throws(RingLogError) {
        guard split.isSettled else { return }
        let tag = split.rangeTag
        if split.refused > 0 && split.confirmed == 0 {
            refusalNotOfOneDevice = true
            split.reset()
            retry(tag: tag)
            return
        }
        for d in 0..<split.capacity where split.states[d] == .refused {
            _ = refuse(d, code: split.codes[d])
            stats.samplesOfRefusedDevices &+= split.samples[d]
            refused.count(droppedSamples: split.samples[d], of: d)
        }
        split.reset()
        if let upTo = tracker.confirm(tag: tag) {
            consecutiveFailures = 0
            refusalNotOfOneDevice = false
            try acknowledge(upTo: upTo)
        }
    }
}
