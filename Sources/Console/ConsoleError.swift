import EdgeCore

/// Why the console could not set up its terminal: the operation and the system's errno.
public struct ConsoleError: Error, Equatable, Sendable {
    public enum Operation: Equatable, Sendable {
        case openTerminal
        case configureTerminal
        case openStandardStreams
    }

    public var operation: Operation
    public var errno: Errno

    public init(_ operation: Operation, _ errno: Errno) {
        self.operation = operation
        self.errno = errno
    }

    /// "opening the console terminal: No such file or directory".
    public var message: String {
        let what: String
        switch operation {
        case .openTerminal: what = "opening the console terminal"
        case .configureTerminal: what = "putting the console terminal in raw mode"
        case .openStandardStreams: what = "opening stdin/stdout for the console"
        }
        return what + ": " + errno.message
    }
}
