import CShim
import EdgeCore
import Logging
import RingLog
import OTA
import Configuration
import CloudLink

/// `thing.service.applyConfiguration` by file reference inside the agent's loop (BUNDLE.md
/// "From the cloud"): the call starts a `ConfigurationDownload` (refused at once, with the
/// reason, when another apply or a trial is under way, the `size` is above the largest bundle
/// or the URI cannot be fetched); each turn does one step of it; once the bundle is whole in
/// `<config>.bundle` it is installed exactly as an inline bundle (verified, validated, on trial)
/// and the call answered; a failed download is answered 2105 with its cause. The reply goes out
/// when the outcome is known. Allocates: service calls only.
extension AgentRunner {
    /// Starts the download `call` asks for, or answers why not.
    static func startDownload<Device: FlashDevice & ~Copyable, Clock: EdgeClock,
                              Uplink: AgentUplink & ConfigurationUplink & ~Copyable, Bus: AgentBus, Poller: EventPoller & ~Copyable>(
        _ call: ConfigurationServiceCall, _ loop: inout AgentEventLoop<Device, Clock, Uplink, Bus, Poller>, trial: ConfigurationTrial,
        download: inout ConfigurationDownload
    ) {
        func refuse(_ code: Int, _ message: String, _ loop: inout AgentEventLoop<Device, Clock, Uplink, Bus, Poller>) {
            loop.log.warning("config: applyConfiguration refused: " + message)
            loop.uplink.replyToConfigurationCall(call, code: code, message: message, result: nil)
        }
        if download.isActive {
            return refuse(ConfigurationReplyCode.busy, "a bundle is being downloaded already: apply again once it was answered", &loop)
        }
        if let onTrial = trial.marker {
            return refuse(ConfigurationReplyCode.busy, "version \(onTrial.version) is on trial: apply again once it passed or was rolled back", &loop)
        }
        if let why = download.start(call, configuration: loop.configuration) {
            return refuse(ConfigurationReplyCode.downloadFailed, why, &loop)
        }
        loop.log.info("config: applyConfiguration: downloading the bundle \(call.fileURI) (\(call.size) bytes) to \(ConfigurationDownload.path(beside: loop.configuration.file))")
    }

    /// One step of a running download; after the last, the installation and the reply
    /// (`.restart` once a bundle was applied).
    static func stepConfigurationDownload<Device: FlashDevice & ~Copyable, Clock: EdgeClock,
                                          Uplink: AgentUplink & ConfigurationUplink & ~Copyable, Bus: AgentBus,
                                          Poller: EventPoller & ~Copyable>(
        _ download: inout ConfigurationDownload, _ loop: inout AgentEventLoop<Device, Clock, Uplink, Bus, Poller>,
        environment: Environment, trial: ConfigurationTrial
    ) -> Next? {
        guard download.isActive else { return nil }
        switch download.step(revents: loop.configurationRevents, now: loop.clock.monotonicNow()) {
        case .running:
            return nil
        case .failed(let error, let call):
            let message = "fileUri \(call.fileURI): " + error.description + ": nothing changed"
            loop.log.warning("config: applyConfiguration refused: " + message)
            loop.uplink.replyToConfigurationCall(call, code: ConfigurationReplyCode.downloadFailed, message: message, result: nil)
            return nil
        case .downloaded(let path, let call):
            let bundle: [UInt8]
            do throws(FileBytesError) {
                bundle = try FileBytes.read(path: path, limit: Int(ConfigurationDownload.maximumBundleSize))
            } catch {
                let message = error.description + ": nothing changed"
                loop.log.warning("config: applyConfiguration refused: " + message)
                loop.uplink.replyToConfigurationCall(call, code: ConfigurationReplyCode.writeFailed, message: message, result: nil)
                return nil
            }
            loop.log.info("config: applyConfiguration: \(call.fileURI) downloaded (\(bundle.count) bytes)")
            let next = apply(call, &loop, environment: environment, trial: trial, bundle: bundle, name: path)
            // A refused bundle is not kept; an installed one stays beside the file it installed.
            if case .none = next { _ = unlink(path) }
            return next
        }
    }

    /// The loop is about to stop or restart: a running download is abandoned and its call answered.
    static func cancelConfigurationDownload<Device: FlashDevice & ~Copyable, Clock: EdgeClock,
                                            Uplink: AgentUplink & ConfigurationUplink & ~Copyable, Bus: AgentBus,
                                            Poller: EventPoller & ~Copyable>(
        _ download: inout ConfigurationDownload, _ loop: inout AgentEventLoop<Device, Clock, Uplink, Bus, Poller>, why: String
    ) {
        guard let call = download.cancel() else { return }
        let message = "fileUri \(call.fileURI): download cancelled: \(why): nothing changed"
        loop.log.warning("config: applyConfiguration: " + message)
        loop.uplink.replyToConfigurationCall(call, code: ConfigurationReplyCode.downloadFailed, message: message, result: nil)
    }
}
