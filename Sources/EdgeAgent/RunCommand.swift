import Agent
import BoardConfig
import CShim
import EdgeCore

/// `edge-agent run --config FILE [--board FILE] [--state DIR]`: the agent itself (see
/// Agent/AgentRunner and Sources/Agent/CONFIG.md). With a board file, the ring log lives on the
/// board's partition; `--state` resolves `${STATE}` in the board's paths (the qemu boards).
enum RunCommand {
    static let usage = """
        usage: edge-agent run --config FILE [--board FILE] [--state DIR]
          runs the agent: polls the field buses, keeps every sample in the ring log and forwards
          it to the EnOS cloud; SIGTERM/SIGINT stop it cleanly, SIGHUP reloads the configuration
          (a bad one is refused and the running one kept). Format: Sources/Agent/CONFIG.md

        """

    static func run(_ arguments: [String]) -> Int32 {
        var config: String?
        var boardFile: String?
        var state: String?
        var i = 0
        while i < arguments.count {
            let name = arguments[i]
            if name == "--help" || name == "-h" || name == "help" {
                StandardOutput.write(usage, fd: 1)
                return 0
            }
            guard i + 1 < arguments.count else {
                StandardOutput.errorLine("edge-agent run: \(name) needs a value")
                return 2
            }
            switch name {
            case "--config": config = arguments[i + 1]
            case "--board": boardFile = arguments[i + 1]
            case "--state": state = arguments[i + 1]
            default:
                StandardOutput.errorLine("edge-agent run: unknown option '\(name)'")
                StandardOutput.write(usage, fd: 2)
                return 2
            }
            i += 2
        }
        guard let config else {
            StandardOutput.errorLine("edge-agent run: --config FILE is required")
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        var board: Board? = nil
        if let boardFile {
            do throws(ConfigErrors) {
                var b = try BoardLoader.load(path: boardFile)
                if let state { b = b.resolvingState(state) }
                board = b
            } catch {
                StandardOutput.errorLine(error.description)
                return 1
            }
        }
        return AgentRunner.run(configFile: config, environment: AgentRunner.Environment(firmwareVersion: BuildInfo.version, board: board))
    }
}
