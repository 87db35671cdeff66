import EdgeCore

/// A network connection that is plain TCP or TLS, chosen at run time (the configuration's
/// `cloud.tls`, an `https://` firmware URL). One type for both, so that everything generic over
/// the stream (the uplink, the agent's loop, the OTA download and upgrade job) exists once in
/// the firmware instead of once per stream type (a second copy of the uplink was ~70 KB of the
/// aarch64 firmware, of the OTA job ~15 KB). Forwards every call to the stream it holds.
public enum NetworkStream: ByteStream, ~Copyable {
    case tcp(TCPStream)
    case tls(TLSStream)

    public var descriptor: Int32 {
        switch self {
        case .tcp(let t): return t.descriptor
        case .tls(let t): return t.descriptor
        }
    }

    public var isEstablished: Bool {
        switch self {
        case .tcp(let t): return t.isEstablished
        case .tls(let t): return t.isEstablished
        }
    }

    /// True once the TCP connection is made (for TLS: the handshake may still be under way).
    public var isConnected: Bool {
        switch self {
        case .tcp(let t): return t.isEstablished
        case .tls(let t): return t.isConnected
        }
    }

    public var hasBufferedInput: Bool {
        switch self {
        case .tcp(let t): return t.hasBufferedInput
        case .tls(let t): return t.hasBufferedInput
        }
    }

    public func pollEvents(wantWrite: Bool) -> Int16 {
        switch self {
        case .tcp(let t): return t.pollEvents(wantWrite: wantWrite)
        case .tls(let t): return t.pollEvents(wantWrite: wantWrite)
        }
    }

    public mutating func open(host: String, port: UInt16) throws(ByteStreamError) {
        switch consume self {
        case .tcp(var t):
            do throws(ByteStreamError) {
                try t.open(host: host, port: port)
                self = .tcp(t)
            } catch {
                self = .tcp(t)
                throw error
            }
        case .tls(var t):
            do throws(ByteStreamError) {
                try t.open(host: host, port: port)
                self = .tls(t)
            } catch {
                self = .tls(t)
                throw error
            }
        }
    }

    public mutating func advance(revents: Int16) throws(ByteStreamError) -> Bool {
        switch consume self {
        case .tcp(var t):
            do throws(ByteStreamError) {
                let result = try t.advance(revents: revents)
                self = .tcp(t)
                return result
            } catch {
                self = .tcp(t)
                throw error
            }
        case .tls(var t):
            do throws(ByteStreamError) {
                let result = try t.advance(revents: revents)
                self = .tls(t)
                return result
            } catch {
                self = .tls(t)
                throw error
            }
        }
    }

    public mutating func receive(into buffer: UnsafeMutableRawBufferPointer) throws(ByteStreamError) -> Int {
        switch consume self {
        case .tcp(var t):
            do throws(ByteStreamError) {
                let result = try t.receive(into: buffer)
                self = .tcp(t)
                return result
            } catch {
                self = .tcp(t)
                throw error
            }
        case .tls(var t):
            do throws(ByteStreamError) {
                let result = try t.receive(into: buffer)
                self = .tls(t)
                return result
            } catch {
                self = .tls(t)
                throw error
            }
        }
    }

    public mutating func send(_ bytes: UnsafeRawBufferPointer) throws(ByteStreamError) -> Int {
        switch consume self {
        case .tcp(var t):
            do throws(ByteStreamError) {
                let result = try t.send(bytes)
                self = .tcp(t)
                return result
            } catch {
                self = .tcp(t)
                throw error
            }
        case .tls(var t):
            do throws(ByteStreamError) {
                let result = try t.send(bytes)
                self = .tls(t)
                return result
            } catch {
                self = .tls(t)
                throw error
            }
        }
    }

    public mutating func close() {
        switch consume self {
        case .tcp(var t):
            t.close()
            self = .tcp(t)
        case .tls(var t):
            t.close()
            self = .tls(t)
        }
    }
}
