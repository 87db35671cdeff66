/// What the console wants from the agent's poll(2): up to two descriptors (input and output are
/// one descriptor on a tty, two in stdin/stdout mode; `-1` means "leave out") and a timeout.
public struct ConsolePollRequest: Equatable, Sendable {
    /// The input side (POLLIN, plus POLLOUT when input and output are one descriptor).
    public var input: Entry
    /// The output side when it is a different descriptor (POLLOUT while output is queued).
    public var output: Entry
    /// Milliseconds until the console's next timer (lockout end, idle logout); -1: none.
    public var timeoutMilliseconds: Int

    /// One pollfd's worth: descriptor (-1: none) and events.
    public struct Entry: Equatable, Sendable {
        public var descriptor: Int32
        public var events: Int16

        public init(descriptor: Int32, events: Int16) {
            self.descriptor = descriptor
            self.events = events
        }
    }

    public init(input: Entry, output: Entry, timeoutMilliseconds: Int) {
        self.input = input
        self.output = output
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}
