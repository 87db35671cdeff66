import CShim

/// Why a file could not be read whole: names the file and the reason, e.g.
/// `board.json: cannot open: No such file or directory` or `big.json: larger than 1048576 bytes`.
public struct FileBytesError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case cannotOpen(Errno)
        case cannotRead(Errno)
        case tooLarge(limit: Int)
    }

    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// The reason without the file name.
    public var message: String {
        switch reason {
        case .cannotOpen(let e): return "cannot open: " + e.message
        case .cannotRead(let e): return "cannot read: " + e.message
        case .tooLarge(let limit): return "larger than \(limit) bytes"
        }
    }

    public var description: String { path + ": " + message }
}

/// Reads a small file (config, board, key) whole into memory, refusing anything larger than a
/// limit so that a wrong path (a device, a log) cannot exhaust memory. Start-up only: allocates.
public enum FileBytes {
    /// The file's bytes; at most `limit` of them, or `tooLarge`.
    public static func read(path: String, limit: Int = 1 << 20) throws(FileBytesError) -> [UInt8] {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, flags: O_RDONLY | O_CLOEXEC)
        } catch {
            throw FileBytesError(path: path, reason: .cannotOpen(error))
        }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 1)
        defer { chunk.deallocate() }
        var bytes: [UInt8] = []
        while true {
            let n: Int
            do {
                n = try fd.read(into: chunk)
            } catch {
                throw FileBytesError(path: path, reason: .cannotRead(error))
            }
            if n == 0 { break }
            if bytes.count + n > limit { throw FileBytesError(path: path, reason: .tooLarge(limit: limit)) }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        }
        return bytes
    }
}
