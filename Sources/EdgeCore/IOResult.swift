/// What a read or write on a non-blocking descriptor did: moved `count` bytes, or nothing
/// because the descriptor is not ready (EAGAIN), which is the normal end of a drain, not a
/// failure (after swift-nio's `IOResult`). Not being ready is returned rather than thrown: it
/// happens at every turn of the loop, and a thrown error costs an allocation in the host's
/// debug build that the steady-state allocation tests would count.
public enum IOResult: Equatable, Sendable {
    /// `count` bytes were read or written (a read of 0: end of file).
    case processed(Int)
    /// Nothing to read, or no room to write, now.
    case wouldBlock
}
