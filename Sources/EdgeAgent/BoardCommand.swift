import BoardConfig
import EdgeCore

/// `edge-agent board ...`: checks board files and prints what other tools need from them.
///
///     edge-agent board check FILE...                  "ok FILE" per good file, every error of a bad one
///     edge-agent board fw-env FILE [--state DIR]      the board's fw_env.config text
///
/// Exit status: 0 all good, 1 some file is invalid, 2 usage error.
enum BoardCommand {
    static let usage = """
        usage: edge-agent board check FILE...
               edge-agent board fw-env FILE [--state DIR]

        """

    /// `arguments` are those after `board`.
    static func run(_ arguments: [String]) -> Int32 {
        guard let sub = arguments.first else {
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        let rest = arguments.dropFirst()
        switch sub {
        case "check":
            return check(Array(rest))
        case "fw-env":
            return fwEnv(Array(rest))
        case "help", "--help", "-h":
            StandardOutput.write(usage, fd: 1)
            return 0
        default:
            StandardOutput.errorLine("edge-agent board: unknown subcommand '\(sub)'")
            StandardOutput.write(usage, fd: 2)
            return 2
        }
    }

    /// Validates each file; every error of every file is printed, not just the first.
    static func check(_ files: [String]) -> Int32 {
        guard !files.isEmpty else {
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        var status: Int32 = 0
        for file in files {
            do {
                _ = try BoardLoader.load(path: file)
                StandardOutput.line("ok " + file)
            } catch {
                for e in error.errors { StandardOutput.errorLine(e.description) }
                status = 1
            }
        }
        return status
    }

    static func fwEnv(_ args: [String]) -> Int32 {
        var file: String? = nil
        var state: String? = nil
        var i = 0
        while i < args.count {
            if args[i] == "--state", i + 1 < args.count {
                state = args[i + 1]
                i += 2
            } else if file == nil {
                file = args[i]
                i += 1
            } else {
                StandardOutput.write(usage, fd: 2)
                return 2
            }
        }
        guard let file else {
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        do {
            var board = try BoardLoader.load(path: file)
            if let state { board = board.resolvingState(state) }
            StandardOutput.write(board.bootloaderEnvironment.fwEnvConfig, fd: 1)
            return 0
        } catch {
            for e in error.errors { StandardOutput.errorLine(e.description) }
            return 1
        }
    }
}
