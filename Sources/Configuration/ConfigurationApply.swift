import EdgeCore

/// Why a configuration bundle was not applied. In every case but `write` nothing was written; a
/// `write` failure leaves the old configuration at its path (see `ConfigurationFileReplacement`).
public enum ConfigurationApplyError: Error, Sendable {
    /// The bundle itself was refused (signature, format).
    case refused(ConfigurationBundleError)
    /// The configuration it carries fails start-up validation: every error, with its path.
    case invalid(ConfigErrors)
    /// Replacing the configuration file failed.
    case write(ConfigurationWriteError)

    /// Every line to report, one problem each.
    public var lines: [String] {
        switch self {
        case .refused(let e): return ["configuration bundle refused: " + e.description]
        case .invalid(let e): return e.errors.map { $0.description }
        case .write(let e): return [e.description]
        }
    }
}

/// Applying a signed configuration bundle to the configuration file: verify the signature
/// (`ConfigurationBundle.verify`), validate what it carries with the start-up validator
/// (`AgentConfiguration.parse`, every error with its path, the bundle's name as the file), check
/// that the document's `version` is the bundle's, then replace the file atomically
/// (`ConfigurationFileReplacement`). Nothing is written before all checks pass. Apply-time only
/// (allocates). The running agent is told separately (SIGHUP, `edge-agent config apply`).
public enum ConfigurationApply {
    /// Verifies and validates `bundle`; returns the configuration it carries. Writes nothing.
    public static func check(_ bundle: [UInt8], name: String, trustedKey: [UInt8],
                             checkDevicePaths: Bool = true) throws(ConfigurationApplyError) -> (bundle: ConfigurationBundle, configuration: AgentConfiguration) {
        let verification = bundle.withUnsafeBytes { b in
            trustedKey.withUnsafeBytes { k -> Result<ConfigurationBundle, ConfigurationBundleError> in
                do throws(ConfigurationBundleError) { return .success(try ConfigurationBundle.verify(b, trustedKey: k)) } catch { return .failure(error) }
            }
        }
        let verified: ConfigurationBundle
        switch verification {
        case .success(let v): verified = v
        case .failure(let e): throw .refused(e)
        }
        let json = Array(bundle[verified.configuration])
        let configuration: AgentConfiguration
        do throws(ConfigErrors) {
            configuration = try AgentConfiguration.parse(json, file: name, checkDevicePaths: checkDevicePaths)
        } catch {
            throw .invalid(error)
        }
        guard configuration.revision.version == verified.version else {
            let found = configuration.revision.version.isEmpty ? "missing" : "'" + configuration.revision.version + "'"
            throw .invalid(ConfigErrors([ConfigError(file: name, path: JSONPath.root.key("version"), location: nil,
                                                     message: "is \(found) but the bundle installs version '\(verified.version)' (make the bundle with Tools/make-config-bundle.py)")]))
        }
        return (verified, configuration)
    }

    /// Checks `bundle`, then writes its configuration to `configFile` (the old one kept as
    /// `configFile.previous`). Returns the new file's revision. With `trial`, the marker that
    /// puts it on trial (`ConfigurationTrialMarker`) is written first: whatever step a power cut
    /// stops at, the old file runs without a trial or the new one on trial.
    public static func apply(_ bundle: [UInt8], name: String, trustedKey: [UInt8], to configFile: String,
                             checkDevicePaths: Bool = true, trial: Bool = true,
                             afterStep: (ConfigurationFileReplacement.Step) -> Void = { _ in }) throws(ConfigurationApplyError) -> ConfigurationRevision {
        let checked = try check(bundle, name: name, trustedKey: trustedKey, checkDevicePaths: checkDevicePaths)
        if trial {
            do throws(ConfigurationWriteError) {
                try ConfigurationTrialMarker(sha256: checked.configuration.revision.sha256, version: checked.configuration.revision.version)
                    .write(for: configFile)
            } catch {
                throw .write(error)
            }
            afterStep(.trialMarked)
        }
        let written = bundle.withUnsafeBytes { b -> ConfigurationWriteError? in
            do throws(ConfigurationWriteError) {
                try ConfigurationFileReplacement.replace(configFile, with: UnsafeRawBufferPointer(rebasing: b[checked.bundle.configuration]),
                                                         afterStep: afterStep)
                return nil
            } catch {
                return error
            }
        }
        if let written { throw .write(written) }
        return checked.configuration.revision
    }
}
