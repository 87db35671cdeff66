import EdgeCore
import Logging
import RingLog
import Configuration
import CloudLink

/// The gateway's configuration services inside the agent's loop (BUNDLE.md "From the cloud"):
/// `thing.service.applyConfiguration` verifies and validates the bundle, replaces the
/// configuration file atomically and, once the reply is out, ends the run to restart on the new
/// file exactly as SIGHUP does (the ring log kept, its records translated); a refused bundle is
/// answered with every reason (each validation error with its path) and changes nothing.
/// `thing.service.getConfiguration` answers the running configuration's version and hash, and
/// with `"file": true` the file with every secret masked. Allocates: service calls only.
extension AgentRunner {
    /// Serves the calls received since the last turn; `.restart` once a bundle was applied.
    public static func serveConfigurationCalls<Device: FlashDevice & ~Copyable, Clock: EdgeClock,
                                               Uplink: AgentUplink & ConfigurationUplink & ~Copyable, Bus: AgentBus,
                                               Poller: EventPoller & ~Copyable>(
        _ loop: inout AgentEventLoop<Device, Clock, Uplink, Bus, Poller>, environment: Environment, trial: ConfigurationTrial,
        download: inout ConfigurationDownload
    ) -> Next? {
        while let call = loop.uplink.nextConfigurationCall() {
            if let refusal = call.refusal {
                loop.log.warning("config: \(call.kind == .apply ? "applyConfiguration" : "getConfiguration") refused: " + refusal.message)
                loop.uplink.replyToConfigurationCall(call, code: refusal.code, message: refusal.message, result: nil)
                continue
            }
            switch call.kind {
            case .get:
                let running = loop.configuration.revision
                var result = ConfigurationCallResult(version: running.version, sha256: running.sha256)
                if !trial.report.isEmpty { result.trial = trial.report }
                if call.withFile {
                    switch maskedFile(loop.configuration) {
                    case .success(let text): result.file = text
                    case .failure(let e):
                        loop.uplink.replyToConfigurationCall(call, code: ConfigurationReplyCode.writeFailed, message: e.description, result: nil)
                        continue
                    }
                }
                loop.log.info("config: getConfiguration: version \(running.version), sha256 \(running.sha256)" + (call.withFile ? " (with the file, secrets masked)" : ""))
                loop.uplink.replyToConfigurationCall(call, code: ConfigurationReplyCode.success, message: "", result: result)
            case .apply where !call.fileURI.isEmpty:
                startDownload(call, &loop, trial: trial, download: &download)
            case .apply:
                if download.isActive {
                    let message = "a bundle is being downloaded (applyConfiguration by fileUri): apply again once it was answered"
                    loop.log.warning("config: applyConfiguration refused: " + message)
                    loop.uplink.replyToConfigurationCall(call, code: ConfigurationReplyCode.busy, message: message, result: nil)
                    continue
                }
                if let next = apply(call, &loop, environment: environment, trial: trial) { return next }
            }
        }
        return nil
    }

    /// What installing a bundle came to.
    enum Installation {
        /// Refused or failed: the reply code and every reason; the running configuration stays.
        case refused(code: Int, lines: [String])
        /// Written and loaded: restart on `next`.
        case installed(ConfigurationRevision, previous: ConfigurationRevision, next: AgentConfiguration)
    }

    /// The apply path the cloud and the console share: refused while a configuration is on trial;
    /// else verify, validate, mark the trial, replace the file atomically and load it as SIGHUP
    /// does. Logs the outcome (each refusal reason on its own line).
    static func install<Device: FlashDevice & ~Copyable, Clock: EdgeClock, Uplink: AgentUplink & ~Copyable,
                        Bus: AgentBus, Poller: EventPoller & ~Copyable>(
        _ bundle: [UInt8], name: String, from source: String, _ loop: inout AgentEventLoop<Device, Clock, Uplink, Bus, Poller>,
        environment: Environment, trial: ConfigurationTrial
    ) -> Installation {
        if let onTrial = trial.marker {
            let message = "version \(onTrial.version) is on trial: apply again once it passed or was rolled back"
            loop.log.warning("config: \(source) refused: " + message)
            return .refused(code: ConfigurationReplyCode.busy, lines: [message])
        }
        let file = loop.configuration.file
        let previous = loop.configuration.revision
        let revision: ConfigurationRevision
        do throws(ConfigurationApplyError) {
            revision = try ConfigurationApply.apply(bundle, name: name, trustedKey: environment.configurationKey, to: file)
        } catch {
            let lines = error.lines
            let code: Int
            switch error {
            case .refused: code = ConfigurationReplyCode.bundleRefused
            case .invalid: code = ConfigurationReplyCode.configurationInvalid
            case .write: code = ConfigurationReplyCode.writeFailed
            }
            for line in lines { loop.log.warning("config: \(source) refused: " + line) }
            loop.log.warning("config: \(source) refused (\(lines.count) error\(lines.count == 1 ? "" : "s")): the running configuration kept")
            return .refused(code: code, lines: lines)
        }
        do throws(ConfigErrors) {
            let next = try load(file, environment)
            loop.log.info("config: \(source): \(file) is now version \(revision.version) (sha256 \(revision.sha256)), version \(previous.summary) kept as \(file).previous; restarting on it")
            return .installed(revision, previous: previous, next: next)
        } catch {
            // Validated a moment ago: only the board's ring-log partition or the file system can differ.
            var lines: [String] = []
            for e in error.errors { lines.append(e.description) }
            for line in lines { loop.log.error("config: \(source): " + line) }
            loop.log.error("config: \(source): \(file) was written but does not load; it is tried at the next start")
            return .refused(code: ConfigurationReplyCode.writeFailed, lines: lines)
        }
    }

    /// `thing.service.applyConfiguration`: installs (`call`'s inline bundle, or `bundle` read from
    /// the file `name` after a download), replies (every reason in the message, one a line), and
    /// after a reply of success ends the run to restart on the new configuration.
    static func apply<Device: FlashDevice & ~Copyable, Clock: EdgeClock, Uplink: AgentUplink & ConfigurationUplink & ~Copyable,
                      Bus: AgentBus, Poller: EventPoller & ~Copyable>(
        _ call: ConfigurationServiceCall, _ loop: inout AgentEventLoop<Device, Clock, Uplink, Bus, Poller>, environment: Environment,
        trial: ConfigurationTrial, bundle: [UInt8]? = nil, name: String = "applyConfiguration bundle"
    ) -> Next? {
        switch install(bundle ?? call.bundle, name: name, from: "applyConfiguration", &loop, environment: environment,
                       trial: trial) {
        case .refused(let code, let lines):
            var message = ""
            for line in lines { message += (message.isEmpty ? "" : "\n") + line }
            loop.uplink.replyToConfigurationCall(call, code: code, message: message, result: nil)
            return nil
        case .installed(let revision, let previous, let next):
            loop.uplink.replyToConfigurationCall(call, code: ConfigurationReplyCode.success, message: "",
                                                 result: ConfigurationCallResult(version: revision.version, sha256: revision.sha256,
                                                                                 previousVersion: previous.version))
            loop.shutdown()
            loop.log.info("configuration reloaded")
            return .restart(next)
        }
    }

    /// `config apply PATH` on the console (a bundle on a USB stick): the same installation; the
    /// answer on the console, then the restart.
    static func applyFromConsole<Device: FlashDevice & ~Copyable, Clock: EdgeClock, Uplink: AgentUplink & ~Copyable,
                                 Bus: AgentBus, Poller: EventPoller & ~Copyable>(
        _ path: String, _ loop: inout AgentEventLoop<Device, Clock, Uplink, Bus, Poller>, console: inout AgentConsole<SystemClock>,
        environment: Environment, trial: ConfigurationTrial
    ) -> Next? {
        let bundle: [UInt8]
        do throws(FileBytesError) {
            bundle = try FileBytes.read(path: path, limit: ConfigurationBundle.maximumConfigurationSize + 256)
        } catch {
            loop.log.warning("config: console config apply refused: " + error.description)
            console.completeConfigApply { out in
                out.write("config apply: " + error.description + ": nothing changed")
                out.newline()
            }
            return nil
        }
        switch install(bundle, name: path, from: "console config apply", &loop, environment: environment, trial: trial) {
        case .refused(_, let lines):
            console.completeConfigApply { out in
                for line in lines {
                    out.write(line)
                    out.newline()
                }
                out.write("config apply: \(path) refused: nothing changed")
                out.newline()
            }
            return nil
        case .installed(let revision, let previous, let next):
            console.completeConfigApply(flush: true) { out in
                out.write("config: now version \(revision.version) (sha256 \(revision.sha256)); version \(previous.summary) kept as the previous one")
                out.newline()
                out.line("config: restarting on it, on trial until the uplink is up and every bus polled")
            }
            loop.shutdown()
            loop.log.info("configuration reloaded")
            return .restart(next)
        }
    }

    /// The configuration file's text with every secret masked (`ConfigurationFileMask`: the
    /// values of secret members whatever their escapes, and the running configuration's secrets
    /// wherever else they appear, as the logger and the console mask them).
    static func maskedFile(_ configuration: AgentConfiguration) -> Result<String, ConfigurationMaskError> {
        let bytes: [UInt8]
        do throws(FileBytesError) {
            bytes = try FileBytes.read(path: configuration.file, limit: ConfigurationBundle.maximumConfigurationSize)
        } catch {
            return .failure(ConfigurationMaskError(error.description))
        }
        let secrets = AgentSecrets.registry(configuration)
        return bytes.withUnsafeBytes { b -> Result<String, ConfigurationMaskError> in
            do throws(ConfigurationMaskError) {
                let masked = try ConfigurationFileMask.mask(b, name: configuration.file, secrets: secrets)
                return .success(String(decoding: masked, as: UTF8.self))
            } catch {
                return .failure(error)
            }
        }
    }
}
