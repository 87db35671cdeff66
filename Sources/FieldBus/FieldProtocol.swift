/// The seam between the per-port scheduler and one field protocol (Modbus RTU/TCP, DL/T 645…):
/// what a bus's connection does for one transaction. The scheduler (`BusScheduler`) keeps
/// everything that is the same for every protocol: deadlines, queues, writes ahead of polls,
/// retries, online/offline and probe back-off, statistics and sample delivery; the connection
/// plans a device's points into reads, runs one read, decodes a point of its reply, runs a write
/// and a commissioning read. Used generically (`BusScheduler<Connection, Clock>`), never as an
/// existential, so every call is specialised (Embedded Swift). Implementations run on the bus's
/// thread only, keep their replies in buffers sized at start-up and allocate nothing per call.
/// `ModbusTransport` refines it, with the Modbus implementation as defaults
/// (`ModbusFieldProtocol.swift`); see the FieldBus README for adding a protocol.
public protocol FieldProtocol: ~Copyable {
    /// Merges points `selection` (indices into `template.points`) into reads; at start-up only.
    static func plan(_ template: DeviceTemplate, selection: [Int]) throws(PlanError) -> ReadPlan
    /// Runs one planned read of `device`; its reply stays in `scratch` (or the connection's own
    /// buffers) until the next transaction, for `decode`. A well-formed refusal (a Modbus
    /// exception, a DL/T 645 error reply) is thrown as a non-failure (`ModbusError.isFailure`).
    mutating func read(_ request: ReadRequest, of device: FieldAddress, scratch: FieldScratch) throws(ModbusError)
    /// The value of `point`, planned at `offset` in `request`, from the last successful read.
    func decode(_ point: PointDefinition, at offset: UInt16, of request: ReadRequest, scratch: FieldScratch) -> PointValue
    /// The words `decode` read for `point` (the console's `trace`); none by default.
    func rawWords(_ point: PointDefinition, at offset: UInt16, of request: ReadRequest, scratch: FieldScratch) -> RawWords
    /// Encodes and sends one write (and its read-back when `command.verify`).
    mutating func write(_ command: WriteCommand, point: PointDefinition, of device: FieldAddress,
                        scratch: FieldScratch) -> FieldWriteResult
    /// Runs a commissioning read (the console's `read`) within `template`'s limits.
    mutating func readRaw(_ request: RegisterReadRequest, template: DeviceTemplate, of device: FieldAddress,
                          scratch: FieldScratch) -> FieldRawReadResult
    /// The protocol's own cause of the read of `request` that just failed with `error`, when it
    /// says more than `error` (nil by default: Modbus' errors are its own classes).
    func failureDetail(_ error: ModbusError, of request: ReadRequest, device: FieldAddress) -> FieldFailureDetail?
    /// Start-up only: `device` (its index in the configuration) sits at `address` with `template`.
    /// A push protocol builds its table of addressed points here; polled ones need nothing.
    mutating func attach(device: Int, address: FieldAddress, template: DeviceTemplate)
    /// After every read and write: delivers the samples the connection received unasked since the
    /// last call (a push protocol's spontaneous and interrogated values, each change with the
    /// device's time stamp and quality), in the order received. Polled protocols deliver none.
    mutating func deliverReceived<Sink: BusEventSink>(into sink: inout Sink)
    /// The protocol's own figures for the bus's statistics snapshot (an IEC 104 link's frames,
    /// values and starts); nil by default: a polled protocol's transactions say it all.
    var protocolStatistics: ProtocolStatistics? { get }
}

extension FieldProtocol where Self: ~Copyable {
    public func failureDetail(_ error: ModbusError, of request: ReadRequest, device: FieldAddress) -> FieldFailureDetail? { nil }
    public func rawWords(_ point: PointDefinition, at offset: UInt16, of request: ReadRequest, scratch: FieldScratch) -> RawWords {
        RawWords()
    }
    public mutating func attach(device: Int, address: FieldAddress, template: DeviceTemplate) {}
    public mutating func deliverReceived<Sink: BusEventSink>(into sink: inout Sink) {}
    public var protocolStatistics: ProtocolStatistics? { nil }
}

/// Where a device is on its bus, in the terms of every protocol: the Modbus unit id, and a
/// protocol address of up to 8 bytes (`station`: the DL/T 645 meter address as sent on the wire,
/// least significant byte first; an IEC 104 common address).
public struct FieldAddress: Equatable, Sendable {
    public var unit: UInt8
    public var station: UInt64

    public init(unit: UInt8, station: UInt64 = 0) {
        self.unit = unit
        self.station = station
    }
}

/// Buffers the scheduler allocates once at start-up and lends to its connection for every
/// transaction: 16-bit registers (the reply of a read), bits (one byte each), and a second
/// register buffer for read-backs and commissioning reads.
public struct FieldScratch {
    public let registers: UnsafeMutableBufferPointer<UInt16>
    public let bits: UnsafeMutableBufferPointer<UInt8>
    public let verifyRegisters: UnsafeMutableBufferPointer<UInt16>

    public init(registers: UnsafeMutableBufferPointer<UInt16>, bits: UnsafeMutableBufferPointer<UInt8>,
                verifyRegisters: UnsafeMutableBufferPointer<UInt16>) {
        self.registers = registers
        self.bits = bits
        self.verifyRegisters = verifyRegisters
    }
}

/// How a write went: its outcome, the wire error if the transaction failed, and whether anything
/// went on the wire at all (a rejected value did not: no statistics, no inter-frame gap).
public struct FieldWriteResult: Equatable, Sendable {
    public var outcome: WriteOutcome
    public var wireError: ModbusError?
    public var touchedWire: Bool

    public init(outcome: WriteOutcome, wireError: ModbusError? = nil, touchedWire: Bool) {
        self.outcome = outcome
        self.wireError = wireError
        self.touchedWire = touchedWire
    }
}

/// How a commissioning read went (see `FieldWriteResult`).
public struct FieldRawReadResult: Equatable, Sendable {
    public var outcome: RegisterReadOutcome
    public var wireError: ModbusError?
    public var touchedWire: Bool

    public init(outcome: RegisterReadOutcome, wireError: ModbusError? = nil, touchedWire: Bool) {
        self.outcome = outcome
        self.wireError = wireError
        self.touchedWire = touchedWire
    }
}
