/// What a backend says after handling a console command.
public enum ConsoleReply: Equatable, Sendable {
    /// Finished: the output written is shown, then the prompt.
    case done
    /// The answer comes later (a field-bus read or write, an OTA step): the output written so far
    /// is shown, no prompt; the backend must finish with `ConsoleSession.completePending` (its
    /// commands have timeouts). Ctrl-C calls `ConsoleBackend.cancelPending()` and frees the prompt.
    case pending
    /// The arguments do not fit: the session prints the command's usage line (after any output).
    case usage
}
