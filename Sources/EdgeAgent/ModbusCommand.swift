import CShim
import EdgeCore
import FieldBus

/// `edge-agent modbus read`: the commissioning probe. Reads registers or bits from one unit over
/// a serial port (RTU) or TCP and prints the raw values beside every decoding a technician would
/// otherwise work out with mbpoll and a calculator: int16/uint16 per register, and int32, uint32
/// and float32 of each register pair in all four byte/word orders.
enum ModbusCommand {
    static let usage = """
        usage: edge-agent modbus read (--port DEVICE [--baud N] [--parity N|E|O] [--data-bits N]
                                       [--stop-bits N] | --tcp HOST:PORT)
                                      --unit N (--holding ADDR | --input ADDR | --coils ADDR | --discrete ADDR)
                                      [--count N] [--timeout MS]

        """

    struct Options {
        var port: String?
        var tcp: TCPSettings?
        var baud: UInt32 = 9600
        var parity = Parity.none
        var dataBits: UInt8 = 8
        var stopBits: UInt8 = 1
        var unit: UInt8 = 1
        var table: RegisterTable?
        var address: UInt16 = 0
        var count: UInt16 = 1
        var timeout: UInt32 = 1000
    }

    static func run(_ arguments: [String]) -> Int32 {
        guard arguments.first == "read" else {
            StandardOutput.write(usage, fd: arguments.isEmpty ? 1 : 2)
            return arguments.isEmpty ? 0 : 2
        }
        switch parse(Array(arguments.dropFirst())) {
        case .failure(let message):
            StandardOutput.errorLine("edge-agent modbus: \(message.text)")
            StandardOutput.write(usage, fd: 2)
            return 2
        case .success(let options):
            return read(options)
        }
    }

    struct Message: Error { var text: String }

    /// The baud rates a Modbus serial line uses (and termios has a constant for).
    static let standardBaudRates: [UInt32] = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600]

    static func parse(_ args: [String]) -> Result<Options, Message> {
        var o = Options()
        var i = 0
        var serialOption: String? = nil
        func number<T: FixedWidthInteger>(_ name: String, _ type: T.Type) -> Result<T, Message> {
            guard i + 1 < args.count else { return .failure(Message(text: "\(name) needs a value")) }
            i += 1
            guard let v = T(args[i]) else {
                return .failure(Message(text: "\(name): '\(args[i])' is not a whole number from \(T.min) to \(T.max)"))
            }
            return .success(v)
        }
        func get<T>(_ r: Result<T, Message>, _ apply: (T) -> Void) -> Message? {
            switch r {
            case .success(let v): apply(v); return nil
            case .failure(let m): return m
            }
        }
        while i < args.count {
            let arg = args[i]
            var problem: Message? = nil
            switch arg {
            case "--port":
                guard i + 1 < args.count else { return .failure(Message(text: "--port needs a device path")) }
                i += 1
                o.port = args[i]
            case "--tcp":
                guard i + 1 < args.count else { return .failure(Message(text: "--tcp needs HOST:PORT")) }
                i += 1
                let text = args[i]
                guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]),
                      colon != text.startIndex else {
                    return .failure(Message(text: "--tcp: '\(text)' is not HOST:PORT"))
                }
                o.tcp = TCPSettings(host: String(text[..<colon]), port: port)
            case "--baud": problem = get(number(arg, UInt32.self)) { o.baud = $0 }
            case "--data-bits": problem = get(number(arg, UInt8.self)) { o.dataBits = $0 }
            case "--stop-bits": problem = get(number(arg, UInt8.self)) { o.stopBits = $0 }
            case "--unit": problem = get(number(arg, UInt8.self)) { o.unit = $0 }
            case "--count": problem = get(number(arg, UInt16.self)) { o.count = $0 }
            case "--timeout": problem = get(number(arg, UInt32.self)) { o.timeout = $0 }
            case "--parity":
                guard i + 1 < args.count else { return .failure(Message(text: "--parity needs N, E or O")) }
                i += 1
                switch args[i] {
                case "N", "n", "none": o.parity = .none
                case "E", "e", "even": o.parity = .even
                case "O", "o", "odd": o.parity = .odd
                default: return .failure(Message(text: "--parity: '\(args[i])' is not N, E or O"))
                }
            case "--holding", "--input", "--coils", "--discrete":
                guard o.table == nil else { return .failure(Message(text: "give only one of --holding, --input, --coils, --discrete")) }
                o.table = arg == "--holding" ? .holdingRegister : arg == "--input" ? .inputRegister
                    : arg == "--coils" ? .coil : .discreteInput
                problem = get(number(arg, UInt16.self)) { o.address = $0 }
            default:
                return .failure(Message(text: "unknown option '\(arg)'"))
            }
            if let problem { return .failure(problem) }
            if ["--baud", "--parity", "--data-bits", "--stop-bits"].contains(arg) { serialOption = arg }
            i += 1
        }
        guard (o.port == nil) != (o.tcp == nil) else { return .failure(Message(text: "give either --port or --tcp")) }
        if o.port != nil {
            guard standardBaudRates.contains(o.baud) else {
                let rates = standardBaudRates.map { "\($0)" }.joined(separator: ", ")
                return .failure(Message(text: "--baud: \(o.baud) is not a standard baud rate; use one of \(rates)"))
            }
            guard o.dataBits >= 5 && o.dataBits <= 8 else { return .failure(Message(text: "--data-bits must be 5, 6, 7 or 8 (Modbus RTU uses 8)")) }
            guard o.stopBits == 1 || o.stopBits == 2 else { return .failure(Message(text: "--stop-bits must be 1 or 2")) }
            guard o.unit >= 1 && o.unit <= 247 else {
                return .failure(Message(text: "--unit must be 1...247 on a serial line (0 is the broadcast address: no unit answers a read)"))
            }
        } else if let serialOption {
            return .failure(Message(text: "\(serialOption) applies to a serial line (--port), not to --tcp"))
        }
        guard o.timeout >= 1 && o.timeout <= 60_000 else { return .failure(Message(text: "--timeout must be 1...60000 ms")) }
        guard let table = o.table else { return .failure(Message(text: "give one of --holding, --input, --coils, --discrete")) }
        let limit = table.holdsBits ? DeviceLimits.protocolMaxBits : DeviceLimits.protocolMaxRegisters
        guard o.count >= 1, o.count <= limit else {
            return .failure(Message(text: "--count must be 1...\(limit) for \(table.name)"))
        }
        guard UInt32(o.address) + UInt32(o.count) <= 65536 else {
            return .failure(Message(text: "--count runs past address 65535"))
        }
        return .success(o)
    }

    static func read(_ o: Options) -> Int32 {
        let bus: BusDefinition
        let via: String
        if let tcp = o.tcp {
            bus = BusDefinition(name: "probe", transport: .tcp(tcp), responseTimeoutMilliseconds: o.timeout)
            via = "tcp \(tcp.host):\(tcp.port)"
        } else {
            let serial = SerialSettings(path: o.port ?? "", baud: o.baud, parity: o.parity, dataBits: o.dataBits, stopBits: o.stopBits)
            bus = BusDefinition(name: "probe", transport: .serial(serial), responseTimeoutMilliseconds: o.timeout)
            let p = o.parity == .none ? "N" : o.parity == .even ? "E" : "O"
            via = "\(serial.path) \(serial.baud) \(serial.dataBits)\(p)\(serial.stopBits)"
        }
        let table = o.table ?? .holdingRegister
        if let tcp = o.tcp, let problem = resolutionProblem(tcp) {
            StandardOutput.errorLine("edge-agent modbus: cannot connect to \(tcp.host):\(tcp.port): \(problem)")
            return 1
        }
        do throws(ModbusError) {
            var connection = try ModbusConnection(bus: bus)
            try connection.connect()
            return read(o, table: table, via: via, connection: &connection)
        } catch {
            if let tcp = o.tcp, error == .system(ECONNREFUSED) {
                StandardOutput.errorLine("edge-agent modbus: cannot connect to \(tcp.host):\(tcp.port): connection refused "
                                         + "(the host answers, but nothing listens on port \(tcp.port))")
            } else {
                StandardOutput.errorLine("edge-agent modbus: cannot open \(via): \(error.description)")
            }
            return 1
        }
    }

    /// Why `tcp.host` cannot be resolved (nil: it can). libmodbus reports a failed name lookup as
    /// ECONNREFUSED, so the probe looks the name up itself first.
    static func resolutionProblem(_ tcp: TCPSettings) -> String? {
        var address = edge_socket_address()
        let rc = tcp.host.withCString { edge_tcp_resolve($0, UInt32(tcp.port), &address, 1) }
        guard rc < 0 else { return nil }
        let reason = edge_resolve_error_text(rc).map { String(cString: $0) } ?? "error \(rc)"
        return "cannot resolve host name '\(tcp.host)': \(reason)"
    }

    static func read(_ o: Options, table: RegisterTable, via: String, connection: inout ModbusConnection) -> Int32 {
        StandardOutput.line("unit \(o.unit), \(table.name) \(o.address)...\(UInt32(o.address) + UInt32(o.count) - 1) via \(via)")
        if table.holdsBits {
            var bits = [UInt8](repeating: 0, count: Int(o.count))
            var failure: ModbusError? = nil
            bits.withUnsafeMutableBufferPointer { buffer in
                do throws(ModbusError) {
                    try connection.readBits(unit: o.unit, table: table, address: o.address, count: o.count, into: buffer)
                } catch { failure = error }
            }
            if let failure { return report(failure) }
            StandardOutput.line("address  value")
            for i in 0..<Int(o.count) {
                StandardOutput.line(pad("\(Int(o.address) + i)", 7) + "  " + (bits[i] != 0 ? "1" : "0"))
            }
            return 0
        }
        var registers = [UInt16](repeating: 0, count: Int(o.count))
        var failure: ModbusError? = nil
        registers.withUnsafeMutableBufferPointer { buffer in
            do throws(ModbusError) {
                try connection.readRegisters(unit: o.unit, table: table, address: o.address, count: o.count, into: buffer)
            } catch { failure = error }
        }
        if let failure { return report(failure) }
        printTable(registers, address: o.address)
        return 0
    }

    static func report(_ error: ModbusError) -> Int32 {
        StandardOutput.errorLine("edge-agent modbus: read failed: \(error.description)")
        return 1
    }

    /// The registers, one line each, and every 32-bit reading of each pair in all four orders.
    static func printTable(_ registers: [UInt16], address: UInt16) {
        StandardOutput.line("address  hex     uint16  int16   bits")
        for (i, r) in registers.enumerated() {
            var bits = ""
            for b in (0..<16).reversed() {
                bits += (r >> UInt16(b)) & 1 == 1 ? "1" : "0"
                if b == 8 { bits += " " }
            }
            StandardOutput.line(pad("\(Int(address) + i)", 7) + "  " + Hex.string(r, width: 4) + "  " + pad("\(r)", 6)
                                + "  " + pad("\(Int16(bitPattern: r))", 6) + "  " + bits)
        }
        guard registers.count >= 2 else { return }
        StandardOutput.line("")
        StandardOutput.line("pair        order  uint32       int32        float32")
        registers.withUnsafeBufferPointer { buffer in
            for i in 0..<(registers.count - 1) {
                for order in WordOrder.allCases {
                    let raw = PointCodec.assemble(buffer, at: i, count: 2, order: order)
                    let u = UInt32(truncatingIfNeeded: raw)
                    let f = Float(bitPattern: u)
                    let label = pad(order == .abcd ? "\(Int(address) + i)-\(Int(address) + i + 1)" : "", 11)
                    StandardOutput.line(label + " " + order.name + "   " + pad("\(u)", 11) + "  "
                                        + pad("\(Int32(bitPattern: u))", 11) + "  " + DecimalText.format(Double(f), asFloat: true))
                }
            }
        }
    }

    static func pad(_ text: String, _ width: Int) -> String {
        var t = text
        while t.utf8.count < width { t += " " }
        return t
    }
}
