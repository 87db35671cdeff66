import CShim
import EdgeCore

/// The `edge-agent` command line: which subcommand to run, and its exit status. Kept free of
/// Foundation and of CommandLine (absent in Embedded Swift); arguments arrive as argc/argv.
enum AgentCommand {
    static let usage = """
        edge-agent: a firmware edge agent for Modbus field devices and the EnOS IoT cloud

        usage: edge-agent <command> [options]

        commands:
          run         the agent: run --config FILE [--board FILE] [--pid-file FILE] (SIGTERM stops, SIGHUP reloads)
          version     print version, git revision, board and build type
          selftest    exercise the linked C libraries (mbedTLS, libmodbus), CRCs and clocks
          config      signed configuration bundles: config verify BUNDLE | config apply BUNDLE --config FILE [--pid-file FILE]
          ota         A/B updates: ota status | verify | install | mark-good (edge-agent ota for options)
          log         ring log, offline: log info | dump | verify | format --device PATH
          board       board files: board check FILE... | fw-env FILE [--state DIR]
          modbus      commissioning probe: modbus read --port DEV|--tcp HOST:PORT --unit N --holding ADDR --count N
          dlt645      DL/T 645 probe: dlt645 read --port DEV --address NNNNNNNNNNNN --di 0xDDDDDDDD (AAAAAAAAAAAA: find the address)
          iec104      IEC 104 probe: iec104 interrogate --host HOST [--port 2404] --ca N [--counters] | iec104 command … --ioa N --single 0|1
          help        print this text (also --help, -h)

        """

    /// argv as Strings (start-up only; allocates).
    static func arguments(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> [String] {
        var result: [String] = []
        result.reserveCapacity(Int(argc))
        for i in 0..<Int(argc) {
            if let arg = argv[i] { result.append(String(cString: arg)) }
        }
        return result
    }

    /// Runs the command named by `arguments[1]`; returns the process exit status.
    static func run(arguments: [String]) -> Int32 {
        guard arguments.count >= 2 else {
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        switch arguments[1] {
        case "help", "--help", "-h":
            StandardOutput.write(usage, fd: 1)
            return 0
        case "version", "--version":
            printVersion()
            return 0
        case "selftest":
            return SelfTest.run() ? 0 : 1
        case "config":
            return ConfigCommand.run(Array(arguments.dropFirst(2)))
        case "ota":
            return OTACommand.run(Array(arguments.dropFirst(2)))
        case "log":
            return LogCommand.run(Array(arguments.dropFirst(2)))
        case "board":
            return BoardCommand.run(Array(arguments.dropFirst(2)))
        case "modbus":
            return ModbusCommand.run(Array(arguments.dropFirst(2)))
        case "dlt645":
            return DLT645Command.run(Array(arguments.dropFirst(2)))
        case "iec104":
            return IEC104Command.run(Array(arguments.dropFirst(2)))
        case "run":
            return RunCommand.run(Array(arguments.dropFirst(2)))
        default:
            StandardOutput.errorLine("edge-agent: unknown command '\(arguments[1])' (try: edge-agent help)")
            return 2
        }
    }

    static func printVersion() {
        StandardOutput.line("edge-agent \(BuildInfo.version)")
        StandardOutput.line("revision: \(BuildInfo.revision)")
        StandardOutput.line("board: \(BuildInfo.board)")
        StandardOutput.line("build: \(BuildInfo.buildType)")
        StandardOutput.line("libraries: \(LinkedLibraries.mbedTLSVersion), libmodbus \(LinkedLibraries.modbusVersion)")
    }
}
