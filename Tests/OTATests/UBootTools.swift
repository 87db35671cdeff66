import Foundation
import OTA

/// Debian's libubootenv-tool (fw_printenv / fw_setenv 0.3.x), the reference implementation the
/// environment code must agree with. 0.3.x has no lockfile option: it locks
/// /var/lock/fw_printenv.lock. `-f` gives it an empty default environment for blank files.
struct UBootTools {
    let config: URL
    let defaults: URL

    init(dir: URL, configText: String) throws {
        config = dir.appendingPathComponent("fw_env.config")
        defaults = dir.appendingPathComponent("default-env.txt")
        try configText.write(to: config, atomically: true, encoding: .utf8)
        try "".write(to: defaults, atomically: true, encoding: .utf8)
    }

    /// name → value as fw_printenv prints them.
    func printenv() throws -> [String: String] {
        let out = try TestFiles.check("/usr/bin/fw_printenv", ["-c", config.path])
        var result: [String: String] = [:]
        for line in out.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            result[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return result
    }

    /// Raw output and status of fw_printenv (for failure cases).
    func printenvRaw() throws -> (status: Int32, output: String) {
        try TestFiles.run("/usr/bin/fw_printenv", ["-c", config.path])
    }

    func setenv(_ name: String, _ value: String?) throws {
        var args = ["-c", config.path, "-f", defaults.path, name]
        if let value { args.append(value) }
        try TestFiles.check("/usr/bin/fw_setenv", args)
    }

    /// Several variables in one store (`-s` script of `name=value` lines in 0.3.x), as RAUC does.
    func setenvScript(_ lines: [String]) throws {
        let script = config.deletingLastPathComponent().appendingPathComponent("script-\(UUID().uuidString).txt")
        try (lines.joined(separator: "\n") + "\n").write(to: script, atomically: true, encoding: .utf8)
        try TestFiles.check("/usr/bin/fw_setenv", ["-c", config.path, "-f", defaults.path, "-s", script.path])
    }
}

/// Opens our environment on the same config file.
func openEnvironment(_ config: URL) throws -> BootEnvironment<FileEnvironmentStorage> {
    let parsed = try BootEnvironmentConfig.load(path: config.path)
    return BootEnvironment(config: parsed, storage: FileEnvironmentStorage(config: parsed))
}
