import Glibc

/// Swift Testing installs the runtime's "will throw" hooks to record a backtrace for every thrown
/// error, which boxes (allocates) typed errors that the agent itself throws without allocating.
/// Allocation tests of failure paths (timeouts, exceptions) suspend the hooks while counting.
enum ThrowHooks {
    static func suspended<R>(_ body: () throws -> R) rethrows -> R {
        var saved: [(UnsafeMutablePointer<UnsafeRawPointer?>, UnsafeRawPointer?)] = []
        saved.reserveCapacity(2)
        for name in ["_swift_willThrow", "_swift_willThrowTypedImpl"] {
            if let symbol = dlsym(nil, name) {
                let hook = symbol.assumingMemoryBound(to: UnsafeRawPointer?.self)
                saved.append((hook, hook.pointee))
                hook.pointee = nil
            }
        }
        defer { for (hook, value) in saved { hook.pointee = value } }
        return try body()
    }
}
