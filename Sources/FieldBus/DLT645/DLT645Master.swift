import CShim
import EdgeCore

/// A DL/T 645-2007 master on one serial bus (RS-485, typically 2400 baud 8E1), as a
/// `FieldProtocol`: every point is one data identifier (DI) read with control 0x11 from the
/// device's meter address (`FieldAddress.station`), its reply checked and decoded by
/// `DLT645Frame` and `DLT645DataFormat`. The port is opened lazily and reopened after an I/O
/// error; frames go through two buffers allocated at start-up, so a poll allocates nothing.
/// Writes are refused (DL/T 645 parameter writes need the meter's password and are not offered).
public struct DLT645Master: ~Copyable, FieldProtocol {
    let serial: SerialSettings
    let responseTimeoutMilliseconds: Int32
    let byteTimeoutMilliseconds: Int32
    var fd: Int32 = -1
    let frame: UnsafeMutableBufferPointer<UInt8>
    /// The last read's value, for `decode`.
    var lastValue: Double = 0
    /// Broadcast time sync period (nil: never); the first goes out before the first read.
    public var timeSyncIntervalNanoseconds: UInt64? = nil
    /// When the next time sync is due, on the monotonic clock (0: now).
    var nextTimeSyncNanoseconds: UInt64 = 0
    /// The last DL/T 645 error, in the codec's own words (for the probe and the console).
    public private(set) var lastError: DLT645Error? = nil

    public init(serial: SerialSettings, responseTimeoutMilliseconds: UInt32, byteTimeoutMilliseconds: UInt32) {
        self.serial = serial
        self.responseTimeoutMilliseconds = Int32(min(responseTimeoutMilliseconds, 60_000))
        self.byteTimeoutMilliseconds = Int32(min(byteTimeoutMilliseconds, 60_000))
        self.frame = .allocate(capacity: DLT645Frame.overhead + DLT645Frame.maximumDataLength + 8)
        self.frame.initialize(repeating: 0)
    }

    deinit {
        if fd >= 0 { _ = CShim.close(fd) }
        frame.deallocate()
    }

    // MARK: FieldProtocol

    /// One read per point: a DI answers with one value.
    public static func plan(_ template: DeviceTemplate, selection: [Int]) throws(PlanError) -> ReadPlan {
        var plan = ReadPlan()
        for index in selection {
            var request = ReadRequest(table: .holdingRegister, address: 0, count: 1, firstPoint: plan.points.count, pointCount: 1)
            request.objectAddress = template.points[index].objectAddress
            plan.requests.append(request)
            plan.points.append(PlannedPoint(point: index, offset: 0))
        }
        return plan
    }

    public mutating func read(_ request: ReadRequest, of device: FieldAddress, scratch: FieldScratch) throws(ModbusError) {
        if let period = timeSyncIntervalNanoseconds, edge_monotonic_ns() >= nextTimeSyncNanoseconds {
            nextTimeSyncNanoseconds = edge_monotonic_ns() &+ period
            try syncTime()
        }
        lastValue = try readValue(address: DLT645Address(station: device.station), di: request.objectAddress)
    }

    public func decode(_ point: PointDefinition, at offset: UInt16, of request: ReadRequest, scratch: FieldScratch) -> PointValue {
        .double(point.isUnscaled ? lastValue : lastValue * point.scale + point.offset)
    }

    public mutating func write(_ command: WriteCommand, point: PointDefinition, of device: FieldAddress,
                               scratch: FieldScratch) -> FieldWriteResult {
        FieldWriteResult(outcome: .rejected(.notWritable), touchedWire: false)
    }

    /// A commissioning read of one data identifier (any DI of the table, configured or not),
    /// live on the wire; a register read is out of limits (a meter has no registers).
    public mutating func readRaw(_ request: RegisterReadRequest, template: DeviceTemplate, of device: FieldAddress,
                                 scratch: FieldScratch) -> FieldRawReadResult {
        guard let di = request.dataIdentifier, DLT645DataFormat.lookup(di) != nil else {
            return FieldRawReadResult(outcome: .outOfLimits, touchedWire: false)
        }
        do throws(ModbusError) {
            let value = try readValue(address: DLT645Address(station: device.station), di: di)
            return FieldRawReadResult(outcome: .dataValue(dataIdentifier: di, value: value), touchedWire: true)
        } catch {
            var planned = ReadRequest(table: .holdingRegister, address: 0, count: 1, firstPoint: 0, pointCount: 1)
            planned.objectAddress = di
            if let detail = failureDetail(error, of: planned, device: device) {
                return FieldRawReadResult(outcome: .failedDetail(detail), wireError: error, touchedWire: true)
            }
            return FieldRawReadResult(outcome: .failed(error), wireError: error, touchedWire: true)
        }
    }

    /// The codec's error of the read that just failed (a timeout or port error has none).
    public func failureDetail(_ error: ModbusError, of request: ReadRequest, device: FieldAddress) -> FieldFailureDetail? {
        guard let lastError else { return nil }
        return .dlt645(lastError, station: device.station, di: request.objectAddress)
    }

    // MARK: Transactions

    /// Reads `di` from the meter at `address`: the value in the table's units. A timeout or port
    /// error throws `.timeout`/`.system`; a reply the codec refuses throws its
    /// `DLT645Error.transactionError`, the codec's own error kept in `lastError`.
    public mutating func readValue(address: DLT645Address, di: UInt32) throws(ModbusError) -> Double {
        lastError = nil
        guard let format = DLT645DataFormat.lookup(di) else {
            lastError = .unknownDataIdentifier(di)
            throw .invalidRequest
        }
        let length: Int
        do throws(DLT645Error) {
            length = try DLT645Frame.encodeRead(address: address, di: di, into: frame)
        } catch {
            lastError = error
            throw error.transactionError
        }
        try send(length)
        let received = try receive()
        do throws(DLT645Error) {
            let reply = try DLT645Frame.parse(UnsafeMutableBufferPointer(rebasing: frame[0..<received]))
            return try DLT645Frame.readValue(reply, in: frame, asked: address, di: di, format: format)
        } catch {
            lastError = error
            throw error.transactionError
        }
    }

    /// Reads the communication address (DI 0x04000401) of the meter at `address`: sent to the
    /// wildcard AAAAAAAAAAAA, it discovers the address of the single meter on a line. Throws like
    /// `readValue`, the codec's own error kept in `lastError`.
    public mutating func readAddress(asking address: DLT645Address = .wildcard) throws(ModbusError) -> DLT645Address {
        lastError = nil
        let length: Int
        do throws(DLT645Error) {
            length = try DLT645Frame.encodeRead(address: address, di: DLT645Frame.communicationAddressIdentifier, into: frame)
        } catch {
            lastError = error
            throw error.transactionError
        }
        try send(length)
        let received = try receive()
        do throws(DLT645Error) {
            let reply = try DLT645Frame.parse(UnsafeMutableBufferPointer(rebasing: frame[0..<received]))
            return try DLT645Frame.readAddress(reply, in: frame, asked: address)
        } catch {
            lastError = error
            throw error.transactionError
        }
    }

    /// Sends the broadcast time sync (meters do not answer). `year` is 0...99.
    public mutating func sendTimeSync(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) throws(ModbusError) {
        let length: Int
        do throws(DLT645Error) {
            length = try DLT645Frame.encodeTimeSync(year: year, month: month, day: day, hour: hour, minute: minute,
                                                    second: second, into: frame)
        } catch {
            throw error.transactionError
        }
        try send(length)
    }

    /// Broadcasts the gateway's local time (no meter answers), then keeps the line quiet for the
    /// frame's time on the wire plus the response timeout's tenth, so that the meters have
    /// taken it before the next request.
    public mutating func syncTime() throws(ModbusError) {
        var seconds = time_t(edge_realtime_ns() / 1_000_000_000)   // 64-bit on every board (musl time64 on armv7)
        var local = tm()
        guard localtime_r(&seconds, &local) != nil else { throw .system(edge_errno()) }
        try sendTimeSync(year: Int(local.tm_year) % 100, month: Int(local.tm_mon) + 1, day: Int(local.tm_mday),
                         hour: Int(local.tm_hour), minute: Int(local.tm_min), second: Int(local.tm_sec))
        let frameNanoseconds = UInt64(22) * serial.characterNanoseconds
        edge_sleep_ns(frameNanoseconds + UInt64(responseTimeoutMilliseconds) * 100_000)
    }

    /// Opens and configures the serial port unless it is open (every transaction does this
    /// itself; the probe calls it first to tell a missing port from a silent meter).
    public mutating func open() throws(ModbusError) {
        guard fd < 0 else { return }
        let opened = edge_open(serial.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0)
        // Non-blocking only for the open (no wait for a carrier); VMIN = VTIME = 0 keep reads from blocking.
        guard opened >= 0 else { throw .system(edge_errno()) }
        let parity: Int32 = serial.parity == .even ? 69 : serial.parity == .odd ? 79 : 78
        if edge_tty_configure(opened, serial.baud, parity, Int32(serial.dataBits), Int32(serial.stopBits)) != 0 {
            let e = edge_errno()
            _ = CShim.close(opened)
            throw .system(e)
        }
        _ = edge_fcntl_int(opened, F_SETFL, 0)
        if case .kernel(let rtsOnSend, let before, let after) = serial.rs485 {
            if edge_rs485_configure(opened, 1, rtsOnSend ? 1 : 0, rtsOnSend ? 0 : 1, before, after) != 0 {
                let e = edge_errno()
                _ = CShim.close(opened)
                throw .system(e)
            }
        }
        fd = opened
    }

    mutating func fail(_ errno: Int32) -> ModbusError {
        if fd >= 0 { _ = CShim.close(fd) }
        fd = -1
        return .system(errno)
    }

    /// Discards whatever a late reply left on the line, then writes the request.
    mutating func send(_ length: Int) throws(ModbusError) {
        try open()
        var discard: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        while withUnsafeMutableBytes(of: &discard, { CShim.read(fd, $0.baseAddress, $0.count) }) > 0 {}
        if edge_write_all(fd, frame.baseAddress, length) != 0 { throw fail(edge_errno()) }
    }

    /// Receives one frame into `frame`: the first byte within the response timeout, each next
    /// within the byte timeout. Leading 0xFE bytes are dropped as they come, so any number is
    /// accepted; a frame longer than the buffer or malformed at its start ends the wait early.
    mutating func receive() throws(ModbusError) -> Int {
        var count = 0
        var timeout = responseTimeoutMilliseconds
        while true {
            let ready = edge_poll_in(fd, timeout)
            if ready < 0 {
                let e = edge_errno()
                if e == EINTR { continue }
                throw fail(e)
            }
            if ready == 0 {
                if count > 0 { lastError = .truncated }
                throw count > 0 ? .invalidResponse(0) : .timeout
            }
            timeout = byteTimeoutMilliseconds
            let room = frame.count - count
            let n = CShim.read(fd, frame.baseAddress! + count, room)
            if n < 0 {
                let e = edge_errno()
                if e == EAGAIN || e == EINTR { continue }
                throw fail(e)
            }
            if n == 0 { throw fail(EIO) }
            // Drop wake-up bytes before the start: their count is unbounded.
            var kept = count
            for i in count..<(count + n) where !(kept == 0 && frame[i] == 0xFE) {
                frame[kept] = frame[i]
                kept += 1
            }
            count = kept
            do throws(DLT645Error) {
                if let length = try DLT645Frame.frameLength(UnsafeBufferPointer(rebasing: frame[0..<count])) { return length }
            } catch {
                lastError = error
                throw error.transactionError
            }
            if count == frame.count {
                lastError = .badLength(frame[min(9, count - 1)])
                throw .invalidResponse(0)
            }
        }
    }
}
