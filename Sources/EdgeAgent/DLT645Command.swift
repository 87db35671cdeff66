import CShim
import EdgeCore
import FieldBus

/// `edge-agent dlt645 read`: the DL/T 645-2007 commissioning probe. Reads one data identifier
/// from one meter on a serial port and prints its value in the table's format and unit; with the
/// wildcard address AAAAAAAAAAAA and no DI (or DI 0x04000401) it reads the communication address
/// of the single meter on the line, to find what to put in the device's configuration.
enum DLT645Command {
    static let usage = """
        usage: edge-agent dlt645 read --port DEVICE [--baud N] [--parity N|E|O] [--data-bits N] [--stop-bits N]
                                      --address NNNNNNNNNNNN [--di 0xDDDDDDDD] [--timeout MS]
          --address AAAAAAAAAAAA without --di reads the address of the single meter on the line (DI 0x04000401)
          defaults: --baud 2400 --parity E --data-bits 8 --stop-bits 1 --timeout 1000

        """

    struct Options {
        var port: String?
        var baud: UInt32 = 2400
        var parity = Parity.even
        var dataBits: UInt8 = 8
        var stopBits: UInt8 = 1
        var address: DLT645Address?
        var di: UInt32?
        var timeout: UInt32 = 1000
    }

    static func run(_ arguments: [String]) -> Int32 {
        guard arguments.first == "read" else {
            StandardOutput.write(usage, fd: arguments.isEmpty ? 1 : 2)
            return arguments.isEmpty ? 0 : 2
        }
        switch parse(Array(arguments.dropFirst())) {
        case .failure(let message):
            StandardOutput.errorLine("edge-agent dlt645: \(message.text)")
            StandardOutput.write(usage, fd: 2)
            return 2
        case .success(let options):
            return read(options)
        }
    }

    typealias Message = ModbusCommand.Message

    /// "0x02010100" or "02010100": 8 hexadecimal digits.
    static func dataIdentifier(_ text: String) -> UInt32? {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard digits.utf8.count == 8 else { return nil }
        return UInt32(digits, radix: 16)
    }

    static func parse(_ args: [String]) -> Result<Options, Message> {
        var o = Options()
        var i = 0
        func value(_ name: String, _ what: String) -> Result<String, Message> {
            guard i + 1 < args.count else { return .failure(Message(text: "\(name) needs \(what)")) }
            i += 1
            return .success(args[i])
        }
        func number<T: FixedWidthInteger>(_ name: String, _ type: T.Type) -> Result<T, Message> {
            switch value(name, "a value") {
            case .failure(let m): return .failure(m)
            case .success(let text):
                guard let v = T(text) else { return .failure(Message(text: "\(name): '\(text)' is not a whole number from \(T.min) to \(T.max)")) }
                return .success(v)
            }
        }
        func get<T>(_ r: Result<T, Message>, _ apply: (T) -> Message?) -> Message? {
            switch r {
            case .success(let v): return apply(v)
            case .failure(let m): return m
            }
        }
        while i < args.count {
            let arg = args[i]
            let problem: Message?
            switch arg {
            case "--port": problem = get(value(arg, "a device path")) { o.port = $0; return nil }
            case "--baud": problem = get(number(arg, UInt32.self)) { o.baud = $0; return nil }
            case "--data-bits": problem = get(number(arg, UInt8.self)) { o.dataBits = $0; return nil }
            case "--stop-bits": problem = get(number(arg, UInt8.self)) { o.stopBits = $0; return nil }
            case "--timeout": problem = get(number(arg, UInt32.self)) { o.timeout = $0; return nil }
            case "--parity":
                problem = get(value(arg, "N, E or O")) { text in
                    switch text {
                    case "N", "n", "none": o.parity = .none
                    case "E", "e", "even": o.parity = .even
                    case "O", "o", "odd": o.parity = .odd
                    default: return Message(text: "--parity: '\(text)' is not N, E or O")
                    }
                    return nil
                }
            case "--address":
                problem = get(value(arg, "12 digits")) { text in
                    guard let address = DLT645Address(text: text) else {
                        return Message(text: "--address: '\(text)' is not a meter address (12 digits 0-9, or A for the wildcard: AAAAAAAAAAAA)")
                    }
                    o.address = address
                    return nil
                }
            case "--di":
                problem = get(value(arg, "a data identifier")) { text in
                    guard let di = dataIdentifier(text) else {
                        return Message(text: "--di: '\(text)' is not a data identifier (8 hexadecimal digits, e.g. 0x02010100)")
                    }
                    o.di = di
                    return nil
                }
            default:
                return .failure(Message(text: "unknown option '\(arg)'"))
            }
            if let problem { return .failure(problem) }
            i += 1
        }
        guard o.port != nil else { return .failure(Message(text: "give --port (the meter's RS-485 serial device)")) }
        guard ModbusCommand.standardBaudRates.contains(o.baud) else {
            let rates = ModbusCommand.standardBaudRates.map { "\($0)" }.joined(separator: ", ")
            return .failure(Message(text: "--baud: \(o.baud) is not a standard baud rate; use one of \(rates) (DL/T 645 meters mostly use 2400)"))
        }
        guard o.dataBits >= 5 && o.dataBits <= 8 else { return .failure(Message(text: "--data-bits must be 5, 6, 7 or 8 (DL/T 645 uses 8)")) }
        guard o.stopBits == 1 || o.stopBits == 2 else { return .failure(Message(text: "--stop-bits must be 1 or 2")) }
        guard o.timeout >= 1 && o.timeout <= 60_000 else { return .failure(Message(text: "--timeout must be 1...60000 ms")) }
        guard let address = o.address else { return .failure(Message(text: "give --address (12 digits as printed on the meter, or AAAAAAAAAAAA)")) }
        guard address != .broadcast else {
            return .failure(Message(text: "--address 999999999999 is the broadcast address: no meter answers a read (use AAAAAAAAAAAA to find a meter's address)"))
        }
        if let di = o.di, di != DLT645Frame.communicationAddressIdentifier, DLT645DataFormat.lookup(di) == nil {
            return .failure(Message(text: "--di: \(DLT645DataFormat.text(di)) is not in the DL/T 645 table (see FieldBus's DLT645DataFormat)"))
        }
        if o.di == nil && !address.isWildcard {
            return .failure(Message(text: "give --di (or --address AAAAAAAAAAAA without --di to read a meter's address)"))
        }
        return .success(o)
    }

    static func read(_ o: Options) -> Int32 {
        let serial = SerialSettings(path: o.port ?? "", baud: o.baud, parity: o.parity, dataBits: o.dataBits, stopBits: o.stopBits)
        let p = o.parity == .none ? "N" : o.parity == .even ? "E" : "O"
        let via = "\(serial.path) \(serial.baud) \(serial.dataBits)\(p)\(serial.stopBits)"
        let address = o.address ?? .wildcard
        let di = o.di ?? DLT645Frame.communicationAddressIdentifier
        var master = DLT645Master(serial: serial, responseTimeoutMilliseconds: o.timeout,
                                  byteTimeoutMilliseconds: min(o.timeout, 100))
        do throws(ModbusError) {
            try master.open()
        } catch {
            StandardOutput.errorLine("edge-agent dlt645: cannot open \(via): \(error.description)")
            return 1
        }
        StandardOutput.line("meter \(address.text), DI \(DLT645DataFormat.text(di)) via \(via)")
        do throws(ModbusError) {
            if di == DLT645Frame.communicationAddressIdentifier {
                let found = try master.readAddress(asking: address)
                StandardOutput.line("meter address \(found.text)")
            } else {
                let value = try master.readValue(address: address, di: di)
                let unit = DLT645DataFormat.unit(di)
                let decimals = DLT645DataFormat.lookup(di)?.decimals ?? 0
                StandardOutput.line(DLT645DataFormat.text(di) + " = " + fixed(value, decimals: decimals) + (unit.isEmpty ? "" : " " + unit))
            }
            return 0
        } catch {
            let cause: String
            if let meterError = master.lastError {
                cause = meterError.description
            } else if error == .timeout {
                cause = "no reply within \(o.timeout) ms (check the address, baud rate, parity and wiring)"
            } else {
                cause = error.description
            }
            StandardOutput.errorLine("edge-agent dlt645: read failed: meter \(address.text), DI \(DLT645DataFormat.text(di)): \(cause)")
            return 1
        }
    }

    /// `value` with exactly `decimals` digits after the point (the DI's BCD format).
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = UInt64((abs(value) * scale).rounded())
        var text = String(scaled / UInt64(scale))
        if decimals > 0 {
            var fraction = String(scaled % UInt64(scale))
            while fraction.utf8.count < decimals { fraction = "0" + fraction }
            text += "." + fraction
        }
        return (value < 0 ? "-" : "") + text
    }
}
