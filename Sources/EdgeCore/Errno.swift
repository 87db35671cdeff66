import CShim

/// An errno value as a typed error: what a failed system call said, thrown with `throws(Errno)`,
/// which never allocates.
public struct Errno: Error, Equatable, Hashable, Sendable {
    public var rawValue: Int32

    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }

    /// errno of the calling thread, now.
    @inlinable public static var current: Errno { Errno(rawValue: edge_errno()) }

    public static var interrupted: Errno { Errno(rawValue: EINTR) }
    public static var wouldBlock: Errno { Errno(rawValue: EAGAIN) }
    public static var noSuchFile: Errno { Errno(rawValue: ENOENT) }
    public static var invalidArgument: Errno { Errno(rawValue: EINVAL) }
    public static var timedOut: Errno { Errno(rawValue: ETIMEDOUT) }
    public static var ioError: Errno { Errno(rawValue: EIO) }
    public static var badDescriptor: Errno { Errno(rawValue: EBADF) }
    public static var brokenPipe: Errno { Errno(rawValue: EPIPE) }

    /// The C library's text for this errno (strerror), copied into a String.
    public var message: String {
        guard let text = strerror(rawValue) else { return "errno \(rawValue)" }
        return String(cString: text)
    }
}

/// Retries a system call on EINTR and turns a negative result into a typed error.
@inlinable
public func retryingSyscall<T: BinaryInteger>(_ call: () -> T) throws(Errno) -> T {
    while true {
        let result = call()
        if result >= 0 { return result }
        let err = Errno.current
        if err != .interrupted { throw err }
    }
}
