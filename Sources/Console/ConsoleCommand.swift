/// The console's commands: name, usage line, one-line summary and how many words may follow.
/// The session checks the word count against `arguments` before calling the backend, so a
/// backend sees only plausible calls; deeper checks (is this a device?) are the backend's.
public enum ConsoleCommand: CaseIterable, Sendable {
    case help, status, buses, devices, points, alarms, read, write, trace, log, mqtt, config, ota, reboot, logout

    /// The word that runs it.
    public var name: StaticString {
        switch self {
        case .help: return "help"
        case .status: return "status"
        case .buses: return "buses"
        case .devices: return "devices"
        case .points: return "points"
        case .alarms: return "alarms"
        case .read: return "read"
        case .write: return "write"
        case .trace: return "trace"
        case .log: return "log"
        case .mqtt: return "mqtt"
        case .config: return "config"
        case .ota: return "ota"
        case .reboot: return "reboot"
        case .logout: return "logout"
        }
    }

    /// The usage line, printed by `help` and after wrong arguments.
    public var usage: StaticString {
        switch self {
        case .help: return "help [COMMAND]"
        case .status: return "status"
        case .buses: return "buses"
        case .devices: return "devices"
        case .points: return "points [DEVICE]"
        case .alarms: return "alarms"
        case .read: return "read DEVICE POINT | read DEVICE holding|input|coil|discrete ADDRESS [COUNT] | read METER di 0xDDDDDDDD"
        case .write: return "write DEVICE POINT VALUE | write DEVICE holding|coil ADDRESS VALUE"
        case .trace: return "trace DEVICE POINT"
        case .log: return "log [LINES]"
        case .mqtt: return "mqtt"
        case .config: return "config | config apply PATH"
        case .ota: return "ota status | ota install URL | ota mark-good"
        case .reboot: return "reboot"
        case .logout: return "logout"
        }
    }

    /// What it does, in a few words.
    public var summary: StaticString {
        switch self {
        case .help: return "list the commands, or explain one"
        case .status: return "uplink, buses, devices online, ring log, memory, version and slot"
        case .buses: return "field buses: state, utilization, errors"
        case .devices: return "devices: online/offline, last poll, errors"
        case .points: return "latest point values with quality and age"
        case .alarms: return "alarm rules: raised ones and recent raises and clears, with values"
        case .read: return "read a point or registers from a device now (commissioning)"
        case .write: return "write a point or a register (commissioning)"
        case .trace: return "follow a point live: decoded, scaled, formula, reported or suppressed and why (Ctrl-C ends)"
        case .log: return "the last log lines"
        case .mqtt: return "MQTT connection, in-flight messages, counters"
        case .config: return "the effective configuration (secrets masked); apply a signed bundle (a USB stick)"
        case .ota: return "firmware slots and upgrades"
        case .reboot: return "restart the gateway"
        case .logout: return "end the session"
        }
    }

    /// Fewest and most words after the command word.
    public var arguments: ClosedRange<Int> {
        switch self {
        case .help: return 0...1
        case .points: return 0...1
        case .read: return 2...4
        case .write: return 3...4
        case .trace: return 2...2
        case .log: return 0...1
        case .ota: return 1...2
        case .config: return 0...2
        case .status, .buses, .devices, .alarms, .mqtt, .reboot, .logout: return 0...0
        }
    }

    /// Number of commands.
    public static let count = 15

    /// The command at `index` in `help` order (0 ..< count). A switch rather than an array:
    /// iterating an array of enums allocates in unspecialized (debug) code.
    public init?(index: Int) {
        switch index {
        case 0: self = .help
        case 1: self = .status
        case 2: self = .buses
        case 3: self = .devices
        case 4: self = .points
        case 5: self = .alarms
        case 6: self = .read
        case 7: self = .write
        case 8: self = .trace
        case 9: self = .log
        case 10: self = .mqtt
        case 11: self = .config
        case 12: self = .ota
        case 13: self = .reboot
        case 14: self = .logout
        default: return nil
        }
    }

    /// True if `count` words after the command word are acceptable.
    public func accepts(argumentCount count: Int) -> Bool {
        let range = arguments
        return count >= range.lowerBound && count <= range.upperBound
    }

    /// The command named by `word`, if any.
    public static func named(_ word: ConsoleToken) -> ConsoleCommand? {
        var i = 0
        while let command = ConsoleCommand(index: i) {
            if word.equals(command.name) { return command }
            i += 1
        }
        if word.equals("?") { return .help }
        return nil
    }
}
