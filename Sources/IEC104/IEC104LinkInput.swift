import EdgeCore

extension IEC104Link {
    /// Feeds bytes read from the socket. Whole frames are handled as they complete (a partial one
    /// is kept for the next call); each data point, response and refused ASDU is passed to
    /// `onEvent`. A broken frame stream (start byte, length, sequence, acknowledgement, a frame
    /// not allowed now) closes the link: the error is thrown once, `poll()` then says `.close`,
    /// and no further input is taken.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, _ onEvent: (LinkEvent) -> Void) throws(IEC104Error) {
        var at = 0
        while at < bytes.count {
            guard state != .closed, state != .idle, state != .connecting else { throw IEC104Error(.notStarted) }
            // Complete the header, then the frame, copying into the input buffer.
            let need: Int
            do throws(IEC104Error) {
                let header = UnsafeRawBufferPointer(rebasing: input[0..<inputCount])
                need = try APCICodec.frameLength(header) ?? 2
            } catch {
                fail(.protocolError(error))
                throw error
            }
            let take = min(need - inputCount, bytes.count - at)
            if take > 0, let base = input.baseAddress, let source = bytes.baseAddress {
                (base + inputCount).copyMemory(from: source + at, byteCount: take)
            }
            inputCount += take
            at += take
            if inputCount < need { continue }
            // `need` was 2 until the length byte arrived: check it before reading on.
            let length: Int
            do throws(IEC104Error) {
                length = try APCICodec.frameLength(UnsafeRawBufferPointer(rebasing: input[0..<inputCount])) ?? 2
            } catch {
                fail(.protocolError(error))
                throw error
            }
            if inputCount < length { continue }
            inputCount = 0
            do throws(IEC104Error) {
                try handleFrame(UnsafeRawBufferPointer(rebasing: input[0..<length]), onEvent)
            } catch {
                fail(.protocolError(error))
                throw error
            }
        }
    }

    mutating func handleFrame(_ frame: UnsafeRawBufferPointer, _ onEvent: (LinkEvent) -> Void) throws(IEC104Error) {
        let (apci, asdu) = try APCICodec.decode(frame)
        let now = clock.monotonicNow()
        lastReceivedAt = now
        statistics.framesReceived += 1
        switch apci {
        case .unnumbered(let function):
            try handleUFrame(function, now: now, onEvent)
        case .supervisory(let nr):
            try acknowledge(nr)
        case .information(let ns, let nr):
            guard state == .started || state == .stopping else { throw IEC104Error(.unexpectedFrame, offset: 2, value: Int(frame[2])) }
            guard ns == receiveSequence else { throw IEC104Error(.sequenceError, offset: 2, value: Int(ns)) }
            try acknowledge(nr)
            receiveSequence = SequenceNumber.next(receiveSequence)
            statistics.informationFramesReceived += 1
            if unacknowledgedReceived == 0 { firstUnacknowledgedAt = now }
            unacknowledgedReceived += 1
            deliver(asdu, onEvent)
            if unacknowledgedReceived >= parameters.w { appendSFrame() }
        }
    }

    mutating func handleUFrame(_ function: UFunction, now: MonotonicInstant, _ onEvent: (LinkEvent) -> Void) throws(IEC104Error) {
        switch function {
        case .testActivation:
            appendUFrame(.testConfirmation)
        case .testConfirmation:
            guard state != .starting, uFramePendingSince != nil else { throw IEC104Error(.unexpectedFrame, offset: 2, value: Int(function.rawValue)) }
            uFramePendingSince = nil
        case .startConfirmation:
            guard state == .starting else { throw IEC104Error(.unexpectedFrame, offset: 2, value: Int(function.rawValue)) }
            uFramePendingSince = nil
            state = .started
            if parameters.interrogateAtStart { interrogationPending = true }
            if parameters.interrogationPeriodMilliseconds > 0 {
                nextInterrogationAt = now.advanced(byMilliseconds: parameters.interrogationPeriodMilliseconds)
            }
            if parameters.counterInterrogationPeriodMilliseconds > 0 {
                nextCounterInterrogationAt = now.advanced(byMilliseconds: parameters.counterInterrogationPeriodMilliseconds)
            }
            if parameters.clockSyncPeriodMilliseconds > 0 {
                clockSyncPending = true
                nextClockSyncAt = now.advanced(byMilliseconds: parameters.clockSyncPeriodMilliseconds)
            }
            onEvent(.started)
        case .stopConfirmation:
            guard state == .stopping else { throw IEC104Error(.unexpectedFrame, offset: 2, value: Int(function.rawValue)) }
            uFramePendingSince = nil
            state = .stopped
            onEvent(.stopped)
        case .startActivation, .stopActivation:
            // Only a controlling station sends these.
            throw IEC104Error(.unexpectedFrame, offset: 2, value: Int(function.rawValue))
        }
    }

    /// Takes N(R): the frames before it are acknowledged. N(R) outside [acknowledged, V(S)] names a
    /// frame never sent.
    mutating func acknowledge(_ nr: UInt16) throws(IEC104Error) {
        let count = SequenceNumber.distance(from: acknowledged, to: nr)
        guard count <= unacknowledgedSent else { throw IEC104Error(.badAcknowledgement, offset: 4, value: Int(nr)) }
        acknowledged = nr
        sentOldest = (sentOldest + count) % window
    }

    mutating func deliver(_ asdu: UnsafeRawBufferPointer, _ onEvent: (LinkEvent) -> Void) {
        var reader: ASDUReader
        do throws(IEC104Error) {
            reader = try ASDUReader(asdu)
        } catch {
            statistics.asdusRejected += 1
            let typeCode = asdu.count > 0 ? asdu[0] : 0
            if asdu.count > 0, TypeIdentification(rawValue: typeCode) == nil { statistics.unknownTypes += 1 }
            onEvent(.rejected(error, typeCode: typeCode))
            return
        }
        let h = reader.header
        let type = reader.type
        // The time stamps are checked before any point is reported: an ASDU is taken whole or not at all.
        var check = reader
        do throws(IEC104Error) {
            while try check.next() != nil {}
        } catch {
            statistics.asdusRejected += 1
            onEvent(.rejected(error, typeCode: h.typeCode))
            return
        }
        while let object = try? reader.next() {
            if type.isMonitorData {
                statistics.pointsDecoded += 1
                onEvent(.data(DataPoint(commonAddress: h.commonAddress, address: object.address, type: type, value: object.value,
                                        quality: object.quality, time: object.time, causeCode: h.causeCode)))
            } else if type == .endOfInitialisation {
                onEvent(.endOfInitialisation(commonAddress: h.commonAddress))
                if state == .started { interrogationPending = true }
            } else {
                onEvent(.response(ControlResponse(commonAddress: h.commonAddress, address: object.address, type: type,
                                                  causeCode: h.causeCode, negative: h.negative, value: object.value,
                                                  qualifier: object.qualifier)))
            }
        }
    }
}
