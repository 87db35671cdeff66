import CShim
import Foundation

/// A real mosquitto started by a test on a free loopback port, configured from a file written
/// into a temporary directory; persistence on, so a restart keeps persistent sessions.
final class MosquittoBroker {
    static let executable = "/usr/sbin/mosquitto"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    let port: UInt16
    let directory: URL
    private var process: Process?

    /// `extraConfiguration` is appended to the listener's lines (e.g. TLS files).
    init(extraConfiguration: String = "") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqtt-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // mosquitto started as root drops to the "mosquitto" user: let it write its database.
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        port = try Self.freePort()
        let config = """
        listener \(port) 127.0.0.1
        allow_anonymous true
        \(extraConfiguration)
        persistence true
        persistence_location \(directory.path)/
        max_queued_messages 10000
        log_dest file \(directory.path)/mosquitto.log
        log_type all

        """
        try config.write(to: directory.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    static func freePort() throws -> UInt16 {
        let fd = edge_tcp_listen_loopback(0)
        guard fd >= 0 else { throw POSIXError(.EADDRINUSE) }
        defer { close(fd) }
        return UInt16(edge_socket_local_port(fd))
    }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.executable)
        p.arguments = ["-c", directory.appendingPathComponent("mosquitto.conf").path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        // The child inherits this thread's signal mask; test threads may block SIGTERM, and a
        // broker that cannot see SIGTERM never saves its database nor exits.
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_UNBLOCK, &all, nil)
        try p.run()
        process = p
        // Ready when the port accepts (bounded generously: a loaded machine starts it slowly).
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if Self.accepts(port) { return }
            usleep(20_000)
        }
        throw POSIXError(.ETIMEDOUT)
    }

    /// SIGTERM (mosquitto saves its persistence database) and wait for the exit.
    func stop() {
        guard let p = process else { return }
        if p.isRunning {
            p.terminate()
            let deadline = Date().addingTimeInterval(5)
            while p.isRunning && Date() < deadline { usleep(10_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
        process = nil
    }

    static func accepts(_ port: UInt16) -> Bool {
        var address = [edge_socket_address](repeating: edge_socket_address(), count: 1)
        guard edge_tcp_resolve("127.0.0.1", UInt32(port), &address, 1) == 1 else { return false }
        let fd = edge_tcp_connect_start(&address)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var revents: Int16 = 0
        _ = edge_poll_one(fd, Int16(POLLOUT), 500, &revents)
        return edge_socket_pending_error(fd) == 0 && revents & Int16(POLLOUT) != 0
    }
}
