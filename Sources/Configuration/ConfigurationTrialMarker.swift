import CShim
import EdgeCore

/// The marker that puts a configuration on trial: `<config>.trial`, naming the SHA-256 and the
/// version of the configuration it tries. Written (temporary file, fsync, rename, directory
/// fsync) before the configuration file is replaced, removed when the trial passes or after the
/// rollback. A marker whose hash is not the configuration file's is stale (the replacement was
/// cut short, or the rollback finished) and is removed without a trial: so a power cut at any
/// step leaves either the old configuration without a trial or the new one on trial.
/// Apply-time and start-up only (allocates).
public struct ConfigurationTrialMarker: Equatable, Sendable {
    /// SHA-256 (hex) of the configuration on trial.
    public var sha256: String
    /// Its `version`.
    public var version: String
    /// Runs started on it so far (each start or restart of the agent on the configuration on
    /// trial counts one, before it does anything else): a configuration that crashes the agent,
    /// or gets it killed, again and again, fails its trial after `configTrial.maximumStarts`.
    public var starts: Int

    public init(sha256: String, version: String, starts: Int = 0) {
        self.sha256 = sha256
        self.version = version
        self.starts = starts
    }

    /// `<config>.trial`.
    public static func path(for configFile: String) -> String { configFile + ".trial" }

    /// Writes the marker for `configFile`, whole or not at all.
    public func write(for configFile: String) throws(ConfigurationWriteError) {
        let text = Array("sha256 \(sha256)\nversion \(version)\nstarts \(starts)\n".utf8)
        let path = Self.path(for: configFile)
        let temporary = path + ".tmp"
        let failed = text.withUnsafeBytes { b -> ConfigurationWriteError? in
            do throws(ConfigurationWriteError) {
                try ConfigurationFileReplacement.writeSynced(temporary, b, mode: 0o600)
                return nil
            } catch {
                return error
            }
        }
        if let failed { throw failed }
        guard rename(temporary, path) == 0 else {
            let e = Errno.current
            _ = unlink(temporary)
            throw ConfigurationWriteError(path: path, operation: "rename \(temporary) to", errno: e)
        }
        try ConfigurationFileReplacement.synchronizeDirectory(of: path)
    }

    /// The marker of `configFile`; nil when there is none or it cannot be read as one (a marker
    /// is written whole, so an unreadable one was not written by the agent).
    public static func read(for configFile: String) -> ConfigurationTrialMarker? {
        let bytes: [UInt8]
        do throws(FileBytesError) { bytes = try FileBytes.read(path: path(for: configFile), limit: 4096) } catch { return nil }
        var sha: String? = nil
        var version: String? = nil
        var starts = 0
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("sha256 ") { sha = String(text.dropFirst(7)) }
            else if text.hasPrefix("version ") { version = String(text.dropFirst(8)) }
            else if text.hasPrefix("starts ") { starts = Int(text.dropFirst(7)) ?? 0 }
        }
        guard let sha, sha.utf8.count == 64 else { return nil }
        return ConfigurationTrialMarker(sha256: sha, version: version ?? "", starts: max(0, starts))
    }

    /// Removes the marker of `configFile` (and syncs the directory); true if there is none now.
    @discardableResult
    public static func remove(for configFile: String) -> Bool {
        let path = path(for: configFile)
        guard unlink(path) == 0 || Errno.current == .noSuchFile else { return false }
        do throws(ConfigurationWriteError) { try ConfigurationFileReplacement.synchronizeDirectory(of: path) } catch { return false }
        return true
    }
}
