import CShim
import EdgeCore

/// Replaces a configuration file so that a power cut or a kill at any point leaves either the old
/// file or the new one at its path, never a torn or missing one: the old bytes are first kept as
/// `<file>.previous` (written to a temporary file, fsync'ed, renamed), the new bytes go to
/// `<file>.tmp`, fsync'ed, then rename(2) puts them at `<file>` and the directory is fsync'ed so
/// that the rename itself survives. The new file gets the old one's permission bits (0600 for a
/// first install: it holds secrets). Apply-time only (allocates).
public enum ConfigurationFileReplacement {
    /// The points an apply passes, in order; `afterStep` is called after each (the command line's
    /// power-cut test hook kills the process there).
    public enum Step: Int, Sendable {
        /// `<file>.trial` names the new configuration (`ConfigurationApply`; not a step of `replace`).
        case trialMarked = 0
        /// `<file>.previous` holds the old configuration (skipped when there was none).
        case previousKept = 1
        /// Half of the new configuration is in `<file>.tmp` (not yet synced).
        case newHalfWritten = 2
        /// `<file>.tmp` holds the whole new configuration, fsync'ed.
        case newWritten = 3
        /// The new configuration is at `<file>` (renamed, directory not yet synced).
        case renamed = 4
        /// The directory is fsync'ed: the new configuration survives a power cut.
        case directorySynced = 5
    }

    /// Writes `bytes` as the new content of `path`, keeping the old content as `path.previous`.
    /// On failure the temporary file is removed and `path` is unchanged (unless the failure is
    /// the last directory sync, after which `path` holds the new bytes but may not survive a
    /// power cut).
    public static func replace(_ path: String, with bytes: UnsafeRawBufferPointer,
                               afterStep: (Step) -> Void = { _ in }) throws(ConfigurationWriteError) {
        var mode: UInt32 = 0o600
        if let old = try previousContent(path) {
            mode = old.mode
            let kept = old.bytes.withUnsafeBytes { b -> ConfigurationWriteError? in
                do throws(ConfigurationWriteError) { try writeSynced(path + ".previous", b, mode: mode); return nil } catch { return error }
            }
            if let kept { throw kept }
            afterStep(.previousKept)
        }
        let temporary = path + ".tmp"
        do throws(ConfigurationWriteError) {
            try writeSynced(temporary, bytes, mode: mode, halfway: { afterStep(.newHalfWritten) })
        } catch {
            _ = unlink(temporary)
            throw error
        }
        afterStep(.newWritten)
        guard rename(temporary, path) == 0 else {
            let e = Errno.current
            _ = unlink(temporary)
            throw ConfigurationWriteError(path: path, operation: "rename \(temporary) to", errno: e)
        }
        afterStep(.renamed)
        try synchronizeDirectory(of: path)
        afterStep(.directorySynced)
    }

    /// The current file's bytes and permission bits; nil when there is no file yet.
    static func previousContent(_ path: String) throws(ConfigurationWriteError) -> (bytes: [UInt8], mode: UInt32)? {
        let fd: FileDescriptor
        do throws(Errno) {
            fd = try FileDescriptor.open(path, flags: O_RDONLY | O_CLOEXEC)
        } catch {
            if error == .noSuchFile { return nil }
            throw ConfigurationWriteError(path: path, operation: "open", errno: error)
        }
        let bytes: [UInt8]
        let mode: UInt32
        do throws(Errno) {
            mode = UInt32(try fd.status().st_mode) & 0o7777
        } catch {
            throw ConfigurationWriteError(path: path, operation: "stat", errno: error)
        }
        do throws(FileBytesError) {
            bytes = try FileBytes.read(path: path, limit: ConfigurationBundle.maximumConfigurationSize)
        } catch {
            if case .cannotRead(let e) = error.reason { throw ConfigurationWriteError(path: path, operation: "read", errno: e) }
            if case .cannotOpen(let e) = error.reason { throw ConfigurationWriteError(path: path, operation: "open", errno: e) }
            throw ConfigurationWriteError(path: path, operation: "read (larger than 1 MiB)", errno: .invalidArgument)
        }
        return (bytes, mode)
    }

    /// Creates or truncates `path`, writes `bytes` (calling `halfway` after the first half) and
    /// fsyncs it; a `.previous` file is written through its own temporary and renamed, so that it
    /// too is whole or absent.
    static func writeSynced(_ path: String, _ bytes: UnsafeRawBufferPointer, mode: UInt32,
                            halfway: () -> Void = {}) throws(ConfigurationWriteError) {
        let target = path.hasSuffix(".previous") ? path + ".tmp" : path
        do throws(Errno) {
            let fd = try FileDescriptor.open(target, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: mode)
            try fd.changeMode(to: mode)
            let half = bytes.count / 2
            try fd.writeAll(UnsafeRawBufferPointer(rebasing: bytes[0..<half]))
            halfway()
            try fd.writeAll(UnsafeRawBufferPointer(rebasing: bytes[half...]))
            try fd.synchronize()
            fd.close()
        } catch {
            _ = unlink(target)
            throw ConfigurationWriteError(path: target, operation: "write", errno: error)
        }
        if target != path && rename(target, path) != 0 {
            let e = Errno.current
            _ = unlink(target)
            throw ConfigurationWriteError(path: path, operation: "rename \(target) to", errno: e)
        }
    }

    /// fsync of the directory holding `path`, so that a rename in it is on the device.
    static func synchronizeDirectory(of path: String) throws(ConfigurationWriteError) {
        do throws(Errno) { try FileDescriptor.synchronizeDirectory(containing: path) } catch {
            throw ConfigurationWriteError(path: FileDescriptor.directory(containing: path), operation: "fsync directory", errno: error)
        }
    }
}

/// A step of replacing the configuration file failed: which file, what was done, errno's text.
public struct ConfigurationWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var errno: Errno

    public init(path: String, operation: String, errno: Errno) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    /// "cannot write config.json.tmp: No space left on device".
    public var description: String { "cannot \(operation) \(path): \(errno.message)" }
}
