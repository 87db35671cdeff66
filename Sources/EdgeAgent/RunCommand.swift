import Agent
import BoardConfig
import CShim
import EdgeCore
import OTA

/// `edge-agent run --config FILE [--board FILE] [--state DIR]`: the agent itself (see
/// Agent/AgentRunner and Sources/Configuration/CONFIG.md). With a board file, the ring log lives on the
/// board's partition and cloud-ordered upgrades go to its A/B slots (Sources/OTA/README.md);
/// `--state` resolves `${STATE}` in the board's paths (the qemu boards). The firmware verifies
/// images with its compiled-in key; host builds (tests, development) name one with `--ota-key`
/// and may state the version they stand in for with `--firmware-version`, and never reboot
/// the machine (they exit with `OTAExitStatus.rebootRequested`).
enum RunCommand {
    static let usage = """
        usage: edge-agent run --config FILE [--board FILE] [--state DIR] [--pid-file FILE]
                              [--ota-key FILE] [--firmware-version V]   (host builds)
          runs the agent: polls the field buses, keeps every sample in the ring log and forwards
          it to the EnOS cloud; SIGTERM/SIGINT stop it cleanly, SIGHUP reloads the configuration
          (a bad one is refused and the running one kept). Format: Sources/Configuration/CONFIG.md
          --pid-file: written with the agent's pid while it runs (edge-agent config apply --pid-file
          signals it after installing a configuration bundle)
          --ota-key: the public key (DER) firmware images and configuration bundles
          (thing.service.applyConfiguration) must be signed with, instead of the compiled-in one

        """

    static func run(_ arguments: [String]) -> Int32 {
        var config: String?
        var boardFile: String?
        var state: String?
        var pidFile: String?
        var otaKey: String?
        var firmwareVersion = BuildInfo.version
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
            case "--pid-file": pidFile = arguments[i + 1]
            #if !EDGE_FIRMWARE
            case "--ota-key": otaKey = arguments[i + 1]
            case "--firmware-version": firmwareVersion = arguments[i + 1]
            #endif
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
        var ota: AgentOTASetup? = nil
        if let board {
            #if EDGE_FIRMWARE
            ota = AgentOTASetup(board: board, imageBoard: BuildInfo.board, key: TrustedFirmwareKey.der,
                                reboot: RebootMethod.forBoard(BuildInfo.board))
            #else
            var key = TrustedFirmwareKey.der
            if let otaKey {
                do throws(Errno) { key = try readKeyFile(otaKey) } catch {
                    StandardOutput.errorLine("edge-agent run: --ota-key \(otaKey): \(error.message)")
                    return 1
                }
            }
            // A development machine is never rebooted: exit with the reboot status instead.
            ota = AgentOTASetup(board: board, imageBoard: board.name, key: key, reboot: .exitProcess)
            #endif
        }
        var configurationKey = TrustedFirmwareKey.der
        #if !EDGE_FIRMWARE
        // Host builds: bundles are signed with the key images are (BUNDLE.md "Key").
        if let otaKey {
            do throws(Errno) { configurationKey = try readKeyFile(otaKey) } catch {
                StandardOutput.errorLine("edge-agent run: --ota-key \(otaKey): \(error.message)")
                return 1
            }
        }
        #endif
        _ = otaKey
        if let pidFile {
            do throws(Errno) { try writePidFile(pidFile) } catch {
                StandardOutput.errorLine("edge-agent run: --pid-file \(pidFile): \(error.message)")
                return 1
            }
        }
        let status = AgentRunner.run(configFile: config, environment: AgentRunner.Environment(firmwareVersion: firmwareVersion, board: board,
                                                                                              ota: ota, configurationKey: configurationKey))
        if let pidFile { _ = unlink(pidFile) }
        return status
    }

    /// The pid file: this process's id and a newline (written whole, then renamed into place).
    static func writePidFile(_ path: String) throws(Errno) {
        let text = "\(getpid())\n"
        let temporary = path + ".tmp"
        let fd = try FileDescriptor.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)
        let failure = Array(text.utf8).withUnsafeBytes { b -> Errno? in
            do throws(Errno) { try fd.writeAll(b); return nil } catch { return error }
        }
        fd.close()
        if let failure { throw failure }
        if rename(temporary, path) != 0 { throw Errno.current }
    }

    /// A DER or PEM public key file's bytes (PEM gets the terminating NUL mbedTLS needs).
    static func readKeyFile(_ path: String) throws(Errno) -> [UInt8] {
        let fd = try FileDescriptor.open(path, flags: O_RDONLY)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 8)
        defer { buffer.deallocate() }
        var used = 0
        while used < buffer.count - 1 {
            let n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(buffer.count - 1)]))
            if n == 0 { break }
            used += n
        }
        var bytes = Array(buffer[0..<used])
        if bytes.first == UInt8(ascii: "-") { bytes.append(0) }
        return bytes
    }
}
