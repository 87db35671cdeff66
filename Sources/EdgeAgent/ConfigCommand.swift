import CShim
import Configuration
import EdgeCore
import OTA

/// `edge-agent config verify|apply BUNDLE`: a technician's way to install a signed configuration
/// bundle (Sources/Configuration/BUNDLE.md). `apply` verifies the signature with the compiled-in
/// key, validates the configuration with the start-up validator (every error with its path),
/// replaces the configuration file atomically (the old one kept as `FILE.previous`) and, when
/// the running agent's pid file is named, sends it SIGHUP so that it reloads; a refused bundle
/// changes nothing. Exit 0 applied (or valid), 1 refused or failed, 2 usage.
///
/// Test hook: EDGE_CONFIG_CUT_AFTER_STEP=N kills the process (SIGKILL, a simulated power cut)
/// right after step N of the file replacement (`ConfigurationFileReplacement.Step`).
enum ConfigCommand {
    static let usage = """
        usage: edge-agent config verify BUNDLE [--key FILE.der]
               edge-agent config apply BUNDLE --config FILE [--pid-file FILE] [--key FILE.der]
          verify: checks the bundle's signature and validates its configuration; writes nothing
          apply:  the same, then replaces FILE atomically (the old one kept as FILE.previous) and
                  signals the agent whose pid FILE names (edge-agent run --pid-file) to reload
          --key:  the public key (DER) to trust instead of the compiled-in one (host builds)

        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first, command == "verify" || command == "apply" else {
            let asked = arguments.first == "help" || arguments.first == "--help" || arguments.first == "-h"
            StandardOutput.write(usage, fd: asked ? 1 : 2)
            return asked ? 0 : 2
        }
        var bundlePath: String?
        var config: String?
        var pidFile: String?
        var keyFile: String?
        var i = 1
        while i < arguments.count {
            let name = arguments[i]
            if !name.hasPrefix("-") {
                guard bundlePath == nil else { return usageError("more than one bundle given ('\(name)')") }
                bundlePath = name
                i += 1
                continue
            }
            guard i + 1 < arguments.count else { return usageError("\(name) needs a value") }
            switch name {
            case "--config": config = arguments[i + 1]
            case "--pid-file": pidFile = arguments[i + 1]
            #if !EDGE_FIRMWARE
            case "--key": keyFile = arguments[i + 1]
            #endif
            default: return usageError("unknown option '\(name)'")
            }
            i += 2
        }
        guard let bundlePath else { return usageError("no bundle given") }
        if command == "apply" && config == nil { return usageError("apply needs --config FILE") }
        var key = TrustedFirmwareKey.der
        if let keyFile {
            do throws(Errno) { key = try RunCommand.readKeyFile(keyFile) } catch {
                StandardOutput.errorLine("edge-agent config: --key \(keyFile): \(error.message)")
                return 1
            }
        }
        let bundle: [UInt8]
        do throws(FileBytesError) {
            bundle = try FileBytes.read(path: bundlePath, limit: ConfigurationBundle.maximumConfigurationSize + 256)
        } catch {
            StandardOutput.errorLine("edge-agent config: " + error.description)
            return 1
        }
        guard let config else {
            do throws(ConfigurationApplyError) {
                let checked = try ConfigurationApply.check(bundle, name: bundlePath, trustedKey: key)
                StandardOutput.line("config: \(bundlePath): version \(checked.configuration.revision.version), sha256 \(checked.configuration.revision.sha256): signature and configuration valid")
                return 0
            } catch {
                return refused(error, bundlePath)
            }
        }
        let revision: ConfigurationRevision
        do throws(ConfigurationApplyError) {
            revision = try ConfigurationApply.apply(bundle, name: bundlePath, trustedKey: key, to: config, afterStep: cutIfAsked)
        } catch {
            return refused(error, bundlePath)
        }
        StandardOutput.line("config: \(config) is now version \(revision.version) (sha256 \(revision.sha256)); the previous one is \(config).previous")
        StandardOutput.line("config: on trial (\(config).trial): the agent puts the previous one back unless the uplink comes up and every bus polls within configTrial.deadlineMs")
        guard let pidFile else {
            StandardOutput.line("config: no --pid-file: the running agent (if any) uses it after SIGHUP or at its next start")
            return 0
        }
        return signalAgent(pidFile)
    }

    /// Sends SIGHUP to the agent whose pid the file holds; a missing file or a gone process is
    /// reported (the new configuration is used at the next start), not a failure.
    static func signalAgent(_ pidFile: String) -> Int32 {
        let text: [UInt8]
        do throws(FileBytesError) { text = try FileBytes.read(path: pidFile, limit: 64) } catch {
            StandardOutput.line("config: the agent is not running (\(error.description)): the new configuration is used at its next start")
            return 0
        }
        let digits = String(decoding: text.filter { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: " ") }, as: UTF8.self)
        guard let pid = Int32(digits), pid > 1 else {
            StandardOutput.errorLine("edge-agent config: \(pidFile): not a process id ('\(digits)'); the agent was not told to reload")
            return 1
        }
        guard kill(pid_t(pid), SIGHUP) == 0 else {
            let e = Errno.current
            if e.rawValue == ESRCH {
                StandardOutput.line("config: the agent (pid \(pid) in \(pidFile)) is not running: the new configuration is used at its next start")
                return 0
            }
            StandardOutput.errorLine("edge-agent config: cannot signal pid \(pid): \(e.message); the agent was not told to reload")
            return 1
        }
        StandardOutput.line("config: signalled the agent (pid \(pid)) to reload (SIGHUP)")
        return 0
    }

    static func refused(_ error: ConfigurationApplyError, _ bundlePath: String) -> Int32 {
        for line in error.lines { StandardOutput.errorLine(line) }
        switch error {
        case .write: StandardOutput.errorLine("edge-agent config: not applied: the configuration file is unchanged")
        default: StandardOutput.errorLine("edge-agent config: \(bundlePath) refused: nothing changed")
        }
        return 1
    }

    static func cutIfAsked(_ step: ConfigurationFileReplacement.Step) {
        if let text = getenv("EDGE_CONFIG_CUT_AFTER_STEP"), let cut = Int(String(cString: text)), step.rawValue >= cut {
            StandardOutput.line("config: simulated power cut after step \(step.rawValue)")
            _ = kill(getpid(), SIGKILL)
        }
    }

    static func usageError(_ text: String) -> Int32 {
        StandardOutput.errorLine("edge-agent config: " + text)
        StandardOutput.write(usage, fd: 2)
        return 2
    }
}
