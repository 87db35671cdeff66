import CShim
import Configuration
import EdgeCore
import Logging

/// Whatever restarts a hung agent, kept from doing so while the loop turns:
/// - a hardware watchdog device (`watchdog.device`, e.g. /dev/watchdog), written to every
///   `watchdog.kickIntervalMs`; on a clean exit it is disarmed with the magic close ("V", then
///   close) so a stopped agent does not reset the board;
/// - systemd's watchdog (`WatchdogSec=` in the unit): `READY=1` once started, `WATCHDOG=1` every
///   half of $WATCHDOG_USEC, `STOPPING=1` at exit, each one datagram to $NOTIFY_SOCKET (the
///   notify protocol, no libsystemd).
/// A loop that stops turning stops the kicks: the device resets the board, systemd kills and
/// restarts the service. Kicks allocate nothing; a failing kick is logged once.
public struct ServiceWatchdog: ~Copyable {
    private var device: FileDescriptor?
    private var deviceFD: Int32
    private let devicePath: String
    private let deviceInterval: UInt64
    private var nextDeviceKick: MonotonicInstant
    private var notify: FileDescriptor?
    private let notifyFD: Int32
    /// $NOTIFY_SOCKET, NUL-terminated (allocated once).
    private let notifyPath: UnsafeMutableBufferPointer<CChar>
    private let notifyInterval: UInt64
    private var nextNotifyKick: MonotonicInstant
    private var reportedFailure = false

    /// Opens the device (refused with its path and errno when it cannot be opened: a configured
    /// watchdog that does not work must not pass silently) and the notify socket when
    /// `notifySocket` is set. `notifyIntervalMicroseconds`: $WATCHDOG_USEC (nil or 0: systemd
    /// expects no keep-alive, only READY/STOPPING).
    public init(settings: WatchdogSettings, notifySocket: String?, notifyIntervalMicroseconds: UInt64?,
                now: MonotonicInstant) throws(AgentStartError) {
        var opened: FileDescriptor? = nil
        if let path = settings.device {
            do throws(Errno) { opened = try FileDescriptor.open(path, flags: O_WRONLY | O_CLOEXEC) } catch {
                throw AgentStartError("watchdog: cannot open \(path): \(error.message)")
            }
        }
        var socket: FileDescriptor? = nil
        if let socketPath = notifySocket, !socketPath.isEmpty {
            let fd = edge_notify_socket()
            guard fd >= 0 else { throw AgentStartError("watchdog: cannot open a socket for NOTIFY_SOCKET: \(Errno(rawValue: edge_errno()).message)") }
            socket = FileDescriptor(owning: fd)
        }
        deviceFD = opened?.rawValue ?? -1
        device = opened
        devicePath = settings.device ?? ""
        deviceInterval = settings.kickIntervalMilliseconds * 1_000_000
        nextDeviceKick = now
        notifyFD = socket?.rawValue ?? -1
        notify = socket
        let count = notifySocket?.utf8.count ?? 0
        notifyPath = .allocate(capacity: count + 1)
        notifyPath.initialize(repeating: 0)
        if let socketPath = notifySocket {
            var i = 0
            for byte in socketPath.utf8 { notifyPath[i] = CChar(bitPattern: byte); i += 1 }
        }
        // Half the period, as sd_watchdog_enabled(3) advises.
        notifyInterval = (notifyIntervalMicroseconds ?? 0) * 500
        nextNotifyKick = now
    }

    /// From the process environment: $NOTIFY_SOCKET and $WATCHDOG_USEC as systemd sets them.
    public static func fromEnvironment(settings: WatchdogSettings, now: MonotonicInstant) throws(AgentStartError) -> ServiceWatchdog {
        let socket = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        let usec = getenv("WATCHDOG_USEC").flatMap { UInt64(String(cString: $0)) }
        return try ServiceWatchdog(settings: settings, notifySocket: socket, notifyIntervalMicroseconds: usec, now: now)
    }

    deinit { notifyPath.deallocate() }

    /// True when something is watching: a device or systemd.
    public var isActive: Bool { deviceFD >= 0 || notifyFD >= 0 }

    /// Tells systemd the service is up (`Type=notify` units wait for it).
    public mutating func ready(log: Logger) {
        send("READY=1", log: log)
    }

    /// Called on every turn of the loop: kicks whatever is due.
    public mutating func kick(now: MonotonicInstant, log: Logger) {
        if deviceFD >= 0, now >= nextDeviceKick {
            nextDeviceKick = now.advanced(byNanoseconds: deviceInterval)
            let fd = deviceFD
            let text: StaticString = "k"
            let done = text.withUTF8Buffer { edge_write_all(fd, $0.baseAddress, $0.count) }
            if done != 0 { failed("watchdog: kicking \(devicePath) failed: \(Errno(rawValue: edge_errno()).message)", log: log) }
        }
        if notifyFD >= 0, notifyInterval > 0, now >= nextNotifyKick {
            nextNotifyKick = now.advanced(byNanoseconds: notifyInterval)
            send("WATCHDOG=1", log: log)
        }
    }

    /// A clean exit: the device disarmed (magic close), systemd told the service is stopping.
    public mutating func stop(log: Logger) {
        if let fd = device.take() {
            deviceFD = -1
            let magic: StaticString = "V"
            let done = magic.withUTF8Buffer { edge_write_all(fd.rawValue, $0.baseAddress, $0.count) }
            if done != 0 { log.warning("watchdog: disarming \(devicePath) failed: \(Errno(rawValue: edge_errno()).message)") }
            fd.close()
        }
        send("STOPPING=1", log: log)
    }

    private mutating func send(_ message: StaticString, log: Logger) {
        let fd = notifyFD
        guard fd >= 0 else { return }
        let path = UnsafePointer(notifyPath.baseAddress!)
        let done = message.withUTF8Buffer { edge_notify_send(fd, path, $0.baseAddress, $0.count) }
        if done != 0 { failed("watchdog: notifying systemd failed: \(Errno(rawValue: edge_errno()).message)", log: log) }
    }

    private mutating func failed(_ text: String, log: Logger) {
        guard !reportedFailure else { return }
        reportedFailure = true
        log.error(text)
    }
}
