import EdgeCore

/// What the console asks of the running agent. The agent implements it (a struct or class that
/// can see its state) and passes it to the session's `handle`/`step` calls as `inout`, so the
/// session never holds it and no existential is needed.
///
/// Each handler writes its answer into `out`, a bounded writer over the session's command buffer:
/// write plain `\n` line ends (the session turns them into CR LF on a terminal), never allocate on
/// the common commands, and do not worry about secrets or length: the session masks every
/// registered secret and marks output that did not fit. Tokens and arguments point into the
/// session's line buffer and are valid only during the call.
///
/// Every handler has a default that says "not available", so a backend can grow command by
/// command; `status`, `buses`, `devices`, `points`, `mqtt` and `config` belong to the agent,
/// the `ota…` ones to the OTA code.
public protocol ConsoleBackend {
    /// `status`: uplink, buses, devices online, ring-log depth, drops, memory, version and slot.
    mutating func status(into out: inout TextWriter) -> ConsoleReply
    /// `buses`: each field bus with state, utilization and error counters.
    mutating func buses(into out: inout TextWriter) -> ConsoleReply
    /// `devices`: each device, online or not, last poll, errors.
    mutating func devices(into out: inout TextWriter) -> ConsoleReply
    /// `points [DEVICE]`: latest values with quality and age (of one device, or all).
    mutating func points(device: ConsoleToken?, into out: inout TextWriter) -> ConsoleReply
    /// `alarms`: each rule raised now, and the last raise or clear of the others, with values.
    mutating func alarms(into out: inout TextWriter) -> ConsoleReply
    /// `read …`: the words after `read` (2 to 4; see `ConsoleCommand.read.usage`).
    mutating func read(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply
    /// `write …`: the words after `write` (3 or 4; see `ConsoleCommand.write.usage`).
    mutating func write(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply
    /// `trace DEVICE POINT`: follows one point live (`.pending` until Ctrl-C; the lines go
    /// through `ConsoleSession.notice`).
    mutating func trace(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply
    /// `mqtt`: connection state, in-flight window, counters.
    mutating func mqtt(into out: inout TextWriter) -> ConsoleReply
    /// `config`: the effective configuration (secrets are masked by the session as well).
    mutating func config(into out: inout TextWriter) -> ConsoleReply
    /// `config apply PATH`: installs the signed configuration bundle at PATH (a USB stick).
    mutating func configApply(path: ConsoleToken, into out: inout TextWriter) -> ConsoleReply
    /// `ota status`: slots, versions, booted slot, counters, a running upgrade's progress.
    mutating func otaStatus(into out: inout TextWriter) -> ConsoleReply
    /// `ota install URL`: starts an upgrade from a URL (progress through `ConsoleSession.notice`).
    mutating func otaInstall(url: ConsoleToken, into out: inout TextWriter) -> ConsoleReply
    /// `ota mark-good`: commits the booted slot.
    mutating func otaMarkGood(into out: inout TextWriter) -> ConsoleReply
    /// `reboot`: schedules a clean restart (sync the ring log first).
    mutating func reboot(into out: inout TextWriter) -> ConsoleReply
    /// Ctrl-C while a command is `.pending`: forget it (its late result must not be shown).
    mutating func cancelPending()
}

extension ConsoleBackend {
    public mutating func status(into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func buses(into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func devices(into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func points(device: ConsoleToken?, into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func alarms(into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func read(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func write(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func trace(_ arguments: ConsoleArguments, into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func mqtt(into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func config(into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func configApply(path: ConsoleToken, into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func otaStatus(into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func otaInstall(url: ConsoleToken, into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func otaMarkGood(into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func reboot(into out: inout TextWriter) -> ConsoleReply { Self.unavailable(&out) }
    public mutating func cancelPending() {}

    private static func unavailable(_ out: inout TextWriter) -> ConsoleReply {
        out.line("not available in this build")
        return .done
    }
}
