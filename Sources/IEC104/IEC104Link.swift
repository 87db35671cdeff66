import EdgeCore

/// The master side of one IEC 104 link as pure code: no I/O and no clock of its own (time comes
/// from the injected `Clock`). The driver feeds received bytes to `receive`, writes
/// `pendingOutput` to the socket, and calls `poll()` after either and when the instant it returned
/// comes. The link does the STARTDT handshake, keeps the k/w windows and the T0-T3 timers,
/// acknowledges with S frames, tests an idle link, interrogates at start and on schedule,
/// synchronises the station's clock at start and on schedule when configured, and
/// closes itself (through `poll()`) on T1 expiry or a broken frame stream. Buffers are allocated
/// once in `init`; nothing allocates afterwards.
public struct IEC104Link<Clock: EdgeClock>: ~Copyable {
    public enum State: Equatable, Sendable { case idle, connecting, starting, started, stopping, stopped, closed }

    public let parameters: LinkParameters
    public internal(set) var state: State = .idle
    public internal(set) var statistics = LinkStatistics()
    public internal(set) var closeReason: LinkCloseReason?
    let clock: Clock

    // Input: one partial frame.
    let input: UnsafeMutableRawBufferPointer
    var inputCount = 0
    // Output: frames not yet written, in [outputStart, outputEnd).
    let output: UnsafeMutableRawBufferPointer
    var outputStart = 0
    var outputEnd = 0
    // Send times of unacknowledged I frames, a ring of k entries from `sentOldest`.
    let sentAt: UnsafeMutablePointer<MonotonicInstant>
    var sentOldest = 0
    /// k clamped to 1...32767, so that parameters that skipped `problem` cannot make a modulo trap.
    let window: Int

    /// V(S): the next send sequence number; `acknowledged`: the oldest not yet acknowledged.
    public internal(set) var sendSequence: UInt16 = 0
    public internal(set) var acknowledged: UInt16 = 0
    /// V(R): the next receive sequence number expected.
    public internal(set) var receiveSequence: UInt16 = 0
    /// I frames received and not yet acknowledged.
    public internal(set) var unacknowledgedReceived = 0
    var firstUnacknowledgedAt = MonotonicInstant(nanoseconds: 0)

    var connectStartedAt = MonotonicInstant(nanoseconds: 0)
    var uFramePendingSince: MonotonicInstant?   // STARTDT/STOPDT/TESTFR act awaiting con (T1)
    var lastReceivedAt = MonotonicInstant(nanoseconds: 0)
    var interrogationPending = false
    var counterInterrogationPending = false
    var nextInterrogationAt: MonotonicInstant?
    var nextCounterInterrogationAt: MonotonicInstant?
    var clockSyncPending = false
    var nextClockSyncAt: MonotonicInstant?

    public init(parameters: LinkParameters, clock: Clock) {
        self.parameters = parameters
        self.clock = clock
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: APCICodec.maximumFrameLength, alignment: 8)
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(parameters.outputBufferBytes, 2 * APCICodec.maximumFrameLength), alignment: 8)
        window = min(max(parameters.k, 1), 32767)
        sentAt = UnsafeMutablePointer<MonotonicInstant>.allocate(capacity: window)
    }

    deinit {
        input.deallocate()
        output.deallocate()
        sentAt.deallocate()
    }

    /// I frames sent and not yet acknowledged.
    public var unacknowledgedSent: Int { SequenceNumber.distance(from: acknowledged, to: sendSequence) }

    /// Bytes to write to the socket; call `outputWritten` with what was written.
    public var pendingOutput: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: output[outputStart..<outputEnd])
    }

    public mutating func outputWritten(_ count: Int) {
        outputStart = min(outputEnd, outputStart + max(0, count))
        if outputStart == outputEnd { outputStart = 0; outputEnd = 0 }
    }

    /// The driver starts a TCP connect: T0 runs from now.
    public mutating func connecting() {
        reset()
        state = .connecting
        connectStartedAt = clock.monotonicNow()
    }

    /// The TCP connection is up: sends STARTDT act.
    public mutating func connectionOpened() {
        reset()
        let now = clock.monotonicNow()
        lastReceivedAt = now
        appendUFrame(.startActivation)
        uFramePendingSince = now
        state = .starting
    }

    /// The connection is gone (closed by either side): all link state is dropped.
    public mutating func connectionClosed() {
        reset()
        state = .idle
    }

    /// Sends STOPDT act (after acknowledging what was received); `.stopped` follows STOPDT con.
    public mutating func stop() {
        guard state == .started else { return }
        if unacknowledgedReceived > 0 { appendSFrame() }
        appendUFrame(.stopActivation)
        uFramePendingSince = clock.monotonicNow()
        state = .stopping
    }

    mutating func reset() {
        inputCount = 0
        outputStart = 0
        outputEnd = 0
        sentOldest = 0
        sendSequence = 0
        acknowledged = 0
        receiveSequence = 0
        unacknowledgedReceived = 0
        uFramePendingSince = nil
        interrogationPending = false
        counterInterrogationPending = false
        nextInterrogationAt = nil
        nextCounterInterrogationAt = nil
        clockSyncPending = false
        nextClockSyncAt = nil
        closeReason = nil
    }

    mutating func fail(_ reason: LinkCloseReason) {
        guard state != .closed else { return }
        state = .closed
        closeReason = reason
        statistics.closes += 1
    }

    // MARK: output

    var outputRoom: Int { output.count - outputEnd + outputStart }

    /// Makes `count` bytes of room at the end of the output, moving pending bytes to the front.
    mutating func reserve(_ count: Int) -> Bool {
        guard outputRoom >= count else { return false }
        if output.count - outputEnd < count {
            let pending = outputEnd - outputStart
            if pending > 0, let base = output.baseAddress { base.copyMemory(from: base + outputStart, byteCount: pending) }
            outputStart = 0
            outputEnd = pending
        }
        return true
    }

    mutating func appendUFrame(_ function: UFunction) {
        guard reserve(6) else { fail(.protocolError(IEC104Error(.bufferTooSmall, value: 6))); return }
        _ = try? APCICodec.encode(.unnumbered(function), into: UnsafeMutableRawBufferPointer(rebasing: output[outputEnd...]))
        outputEnd += 6
        if function == .testActivation { statistics.testFramesSent += 1 }
    }

    mutating func appendSFrame() {
        guard reserve(6) else { fail(.protocolError(IEC104Error(.bufferTooSmall, value: 6))); return }
        _ = try? APCICodec.encode(.supervisory(receive: receiveSequence), into: UnsafeMutableRawBufferPointer(rebasing: output[outputEnd...]))
        outputEnd += 6
        unacknowledgedReceived = 0
        statistics.supervisoryFramesSent += 1
    }

    /// Sends a command or request as an I frame. Throws `.notStarted` before STARTDT con,
    /// `.windowFull` with k frames unacknowledged, `.bufferTooSmall` when the output is full (a
    /// frame's room is kept for S and U frames), or the encoder's error; nothing is sent then.
    public mutating func send(_ request: ControlRequest, commonAddress: UInt16, address: UInt32 = 0,
                              cause: Cause = .activation) throws(IEC104Error) {
        guard state == .started else { throw IEC104Error(.notStarted) }
        guard unacknowledgedSent < window else { throw IEC104Error(.windowFull, value: unacknowledgedSent) }
        let frameRoom = 6 + ASDUHeader.length + ASDUHeader.objectAddressLength + request.type.elementLength
        guard reserve(frameRoom + 12) else { throw IEC104Error(.bufferTooSmall, value: frameRoom) }
        let frame = UnsafeMutableRawBufferPointer(rebasing: output[outputEnd...])
        let length = try ASDUEncoder.encode(request, commonAddress: commonAddress, address: address, cause: cause,
                                            originator: parameters.originator, into: frame, at: 6)
        try APCICodec.encode(.information(send: sendSequence, receive: receiveSequence), asduLength: length, into: frame)
        outputEnd += 6 + length
        (sentAt + (sentOldest + unacknowledgedSent) % window).initialize(to: clock.monotonicNow())
        sendSequence = SequenceNumber.next(sendSequence)
        unacknowledgedReceived = 0   // the I frame carries N(R)
        statistics.informationFramesSent += 1
    }

    /// Sends C_CS_NA_1 with the clock's wall time (at the moment of sending) to the configured
    /// station; counted in `statistics.clockSynchronisationsSent`.
    public mutating func synchroniseClock() throws(IEC104Error) {
        let time = CP56Time2a(milliseconds: clock.wallNow().milliseconds)
        try send(.clockSynchronisation(time), commonAddress: parameters.commonAddress)
        statistics.clockSynchronisationsSent += 1
    }

    /// Asks for a station interrogation at the next `poll()` (when the window allows).
    public mutating func requestInterrogation() { interrogationPending = true }

    /// Asks for a counter interrogation at the next `poll()` (when the window allows).
    public mutating func requestCounterInterrogation() { counterInterrogationPending = true }

    // MARK: timers

    /// Runs the timers and the scheduled requests; says when to come back or that the link closed.
    public mutating func poll() -> LinkAction {
        let now = clock.monotonicNow()
        switch state {
        case .idle: return .wait(until: nil)
        case .closed: return .close(closeReason ?? .acknowledgementTimeout)
        case .connecting:
            let t0 = connectStartedAt.advanced(byMilliseconds: parameters.t0Milliseconds)
            if now >= t0 { fail(.connectTimeout); return poll() }
            return .wait(until: t0)
        default: break
        }
        // T1: the oldest unacknowledged I frame, or a U frame awaiting its confirmation.
        if unacknowledgedSent > 0, now >= sentAt[sentOldest].advanced(byMilliseconds: parameters.t1Milliseconds) {
            fail(.acknowledgementTimeout)
        }
        if let since = uFramePendingSince, now >= since.advanced(byMilliseconds: parameters.t1Milliseconds) {
            fail(.acknowledgementTimeout)
        }
        if state == .closed { return poll() }
        // T2: acknowledge received I frames.
        if unacknowledgedReceived > 0, now >= firstUnacknowledgedAt.advanced(byMilliseconds: parameters.t2Milliseconds) {
            appendSFrame()
        }
        // T3: test an idle link.
        if uFramePendingSince == nil, now >= lastReceivedAt.advanced(byMilliseconds: parameters.t3Milliseconds) {
            appendUFrame(.testActivation)
            uFramePendingSince = now
        }
        if state == .started {
            if let at = nextClockSyncAt, now >= at {
                clockSyncPending = true
                nextClockSyncAt = Self.nextRun(after: at, now: now, period: parameters.clockSyncPeriodMilliseconds)
            }
            // Before the interrogation: the station stamps what it answers with the new time.
            if clockSyncPending, (try? synchroniseClock()) != nil {
                clockSyncPending = false
            }
            if let at = nextInterrogationAt, now >= at {
                interrogationPending = true
                nextInterrogationAt = Self.nextRun(after: at, now: now, period: parameters.interrogationPeriodMilliseconds)
            }
            if let at = nextCounterInterrogationAt, now >= at {
                counterInterrogationPending = true
                nextCounterInterrogationAt = Self.nextRun(after: at, now: now, period: parameters.counterInterrogationPeriodMilliseconds)
            }
            if interrogationPending, (try? send(.interrogation(), commonAddress: parameters.commonAddress)) != nil {
                interrogationPending = false
            }
            if counterInterrogationPending, (try? send(.counterInterrogation(), commonAddress: parameters.commonAddress)) != nil {
                counterInterrogationPending = false
            }
        }
        if state == .closed { return poll() }
        return .wait(until: nextDeadline())
    }

    /// The run after `at`, one period on, or one period from now when the link fell behind
    /// (runs missed while the window was full are not made up).
    static func nextRun(after at: MonotonicInstant, now: MonotonicInstant, period: UInt64) -> MonotonicInstant {
        let next = at.advanced(byMilliseconds: period)
        return next > now ? next : now.advanced(byMilliseconds: period)
    }

    func nextDeadline() -> MonotonicInstant? {
        // No local closure here: at -Onone a captured `var` is boxed on the heap at every call.
        var next: MonotonicInstant?
        if unacknowledgedSent > 0 { next = Self.earlier(next, sentAt[sentOldest].advanced(byMilliseconds: parameters.t1Milliseconds)) }
        if let since = uFramePendingSince {
            next = Self.earlier(next, since.advanced(byMilliseconds: parameters.t1Milliseconds))
        } else {
            next = Self.earlier(next, lastReceivedAt.advanced(byMilliseconds: parameters.t3Milliseconds))
        }
        if unacknowledgedReceived > 0 { next = Self.earlier(next, firstUnacknowledgedAt.advanced(byMilliseconds: parameters.t2Milliseconds)) }
        if state == .started {
            next = Self.earlier(next, nextInterrogationAt)
            next = Self.earlier(next, nextCounterInterrogationAt)
            next = Self.earlier(next, nextClockSyncAt)
        }
        return next
    }

    static func earlier(_ a: MonotonicInstant?, _ b: MonotonicInstant?) -> MonotonicInstant? {
        guard let a else { return b }
        guard let b else { return a }
        return b < a ? b : a
    }
}
