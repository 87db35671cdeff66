import CMbedTLS
import CShim
import EdgeCore

/// TLS 1.2 to a server (the MQTT broker, an HTTPS server for OTA) through mbedTLS over a
/// non-blocking `TCPStream`: the server's chain verified against the configured CA and its name
/// checked (on by default), an optional client certificate, an optional smaller record size. Owns every mbedTLS context, each allocated once
/// at a stable address (mbedTLS keeps pointers between them) and freed in `deinit`. I/O goes
/// through callbacks on the socket; WANT_READ/WANT_WRITE mean "poll and come back".
///
/// `init` loads and parses the certificate files once; a failure there is a configuration
/// error reported by the throwing initializer.
///
/// A broker given by IP address (or a `serverName` that is one) is checked against the
/// certificate's IP address SANs by our own verify callback: mbedTLS 2.28 compares a host name
/// with DNS names and the CN only, so `mbedtls_ssl_set_hostname("127.0.0.1")` never matched
/// (and an IP address must not go out as SNI). A failed verification records the failing
/// certificate's subject and issuer for the error.
public struct TLSStream: ByteStream, ~Copyable {
    var tcp = TCPStream()
    let ssl: UnsafeMutablePointer<mbedtls_ssl_context>
    let config: UnsafeMutablePointer<mbedtls_ssl_config>
    let ca: UnsafeMutablePointer<mbedtls_x509_crt>
    let ownCertificate: UnsafeMutablePointer<mbedtls_x509_crt>
    let ownKey: UnsafeMutablePointer<mbedtls_pk_context>
    let drbg: UnsafeMutablePointer<mbedtls_ctr_drbg_context>
    /// The socket the BIO callbacks use (updated on every open).
    let socket: UnsafeMutablePointer<Int32>
    /// The verify callback's state (`VerifyState` offsets): the address to match, the names of
    /// the certificate that failed.
    let verifyState: UnsafeMutableRawPointer
    let settings: TLSConfiguration
    var handshaking = false
    var handshakeDone = false
    var wantsWrite = false

    public init(_ configuration: TLSConfiguration) throws(ByteStreamError) {
        settings = configuration
        ssl = .allocate(capacity: 1)
        config = .allocate(capacity: 1)
        ca = .allocate(capacity: 1)
        ownCertificate = .allocate(capacity: 1)
        ownKey = .allocate(capacity: 1)
        drbg = .allocate(capacity: 1)
        socket = .allocate(capacity: 1)
        socket.initialize(to: -1)
        verifyState = .allocate(byteCount: VerifyState.size, alignment: 8)
        verifyState.initializeMemory(as: UInt8.self, repeating: 0, count: VerifyState.size)
        mbedtls_ssl_init(ssl)
        mbedtls_ssl_config_init(config)
        mbedtls_x509_crt_init(ca)
        mbedtls_x509_crt_init(ownCertificate)
        mbedtls_pk_init(ownKey)
        mbedtls_ctr_drbg_init(drbg)
        // Seeded straight from the kernel (getentropy) rather than through an
        // mbedtls_entropy_context: that context is 38 KB in builds with HAVEGE (Debian's).
        try Self.check(mbedtls_ctr_drbg_seed(drbg, { _, output, count in
            var done = 0
            while done < count {
                let chunk = min(count - done, 256)
                if getentropy(output! + done, chunk) != 0 { return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED }
                done += chunk
            }
            return 0
        }, nil, "edge-agent mqtt", 15))
        try Self.check(mbedtls_x509_crt_parse_file(ca, configuration.caFile))
        try Self.check(mbedtls_ssl_config_defaults(config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                                   MBEDTLS_SSL_PRESET_DEFAULT))
        mbedtls_ssl_conf_min_version(config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3)
        mbedtls_ssl_conf_authmode(config, MBEDTLS_SSL_VERIFY_REQUIRED)
        mbedtls_ssl_conf_ca_chain(config, ca, nil)
        mbedtls_ssl_conf_rng(config, mbedtls_ctr_drbg_random, drbg)
        mbedtls_ssl_conf_verify(config, { context, certificate, depth, flags in
            VerifyState.check(context!, certificate!, depth: depth, flags: flags!)
            return 0
        }, verifyState)
        if let certificate = configuration.clientCertificateFile, let key = configuration.clientKeyFile {
            try Self.check(mbedtls_x509_crt_parse_file(ownCertificate, certificate))
            try Self.check(mbedtls_pk_parse_keyfile(ownKey, key, configuration.clientKeyPassword))
            try Self.check(mbedtls_ssl_conf_own_cert(config, ownCertificate, ownKey))
        }
        if let length = configuration.maximumFragmentLength {
            let code: Int32
            switch length {
            case 512: code = MBEDTLS_SSL_MAX_FRAG_LEN_512
            case 1024: code = MBEDTLS_SSL_MAX_FRAG_LEN_1024
            case 2048: code = MBEDTLS_SSL_MAX_FRAG_LEN_2048
            case 4096: code = MBEDTLS_SSL_MAX_FRAG_LEN_4096
            default: throw ByteStreamError.tls(MBEDTLS_ERR_SSL_BAD_INPUT_DATA)
            }
            try Self.check(mbedtls_ssl_conf_max_frag_len(config, UInt8(code)))
        }
        try Self.check(mbedtls_ssl_setup(ssl, config))
        mbedtls_ssl_set_bio(ssl, UnsafeMutableRawPointer(socket), { context, bytes, count in
            let fd = context!.load(as: Int32.self)
            let n = edge_socket_send(fd, bytes, count)
            if n >= 0 { return Int32(n) }
            let e = edge_errno()
            return e == EAGAIN || e == EWOULDBLOCK ? MBEDTLS_ERR_SSL_WANT_WRITE : netSendFailed
        }, { context, bytes, count in
            let fd = context!.load(as: Int32.self)
            let n = edge_socket_receive(fd, bytes, count)
            if n > 0 { return Int32(n) }
            if n == 0 { return netConnectionReset }
            let e = edge_errno()
            return e == EAGAIN || e == EWOULDBLOCK ? MBEDTLS_ERR_SSL_WANT_READ : netReceiveFailed
        }, nil)
    }

    deinit {
        mbedtls_ssl_free(ssl)
        mbedtls_ssl_config_free(config)
        mbedtls_x509_crt_free(ca)
        mbedtls_x509_crt_free(ownCertificate)
        mbedtls_pk_free(ownKey)
        mbedtls_ctr_drbg_free(drbg)
        ssl.deallocate()
        config.deallocate()
        ca.deallocate()
        ownCertificate.deallocate()
        ownKey.deallocate()
        drbg.deallocate()
        socket.deallocate()
        verifyState.deallocate()
    }

    static func check(_ code: Int32) throws(ByteStreamError) {
        if code != 0 { throw ByteStreamError.tls(code) }
    }

    /// The largest record payload we send on this connection (4096 after negotiating 4096).
    public var maximumOutgoingRecordPayload: Int { Int(mbedtls_ssl_get_output_max_frag_len(ssl)) }

    public var descriptor: Int32 { tcp.descriptor }
    public var isEstablished: Bool { handshakeDone }
    /// True once the TCP connection is made (the handshake may still be under way).
    public var isConnected: Bool { tcp.isEstablished }
    public var hasBufferedInput: Bool { handshakeDone && mbedtls_ssl_get_bytes_avail(ssl) > 0 }

    public mutating func open(host: String, port: UInt16) throws(ByteStreamError) {
        close()
        try tcp.open(host: host, port: port)
        socket.pointee = tcp.descriptor
        try Self.check(mbedtls_ssl_session_reset(ssl))
        let name = settings.serverName ?? host
        let isAddress = VerifyState.reset(verifyState, name: name, verify: settings.verifyHostName)
        // With a name set, mbedTLS checks it against the certificate (and sends it as SNI). An
        // address is checked by the verify callback instead.
        try Self.check(mbedtls_ssl_set_hostname(ssl, settings.verifyHostName && !isAddress ? name : nil))
    }

    public func pollEvents(wantWrite: Bool) -> Int16 {
        guard tcp.descriptor >= 0 else { return 0 }
        if !tcp.isEstablished { return tcp.pollEvents(wantWrite: true) }
        if !handshakeDone { return wantsWrite ? Int16(POLLOUT) : Int16(POLLIN) }
        return Int16(POLLIN) | (wantWrite || wantsWrite ? Int16(POLLOUT) : 0)
    }

    public mutating func advance(revents: Int16) throws(ByteStreamError) -> Bool {
        if handshakeDone { return true }
        if !tcp.isEstablished {
            guard try tcp.advance(revents: revents) else { return false }
            socket.pointee = tcp.descriptor
            handshaking = true
        }
        let rc = mbedtls_ssl_handshake(ssl)
        switch rc {
        case 0:
            handshaking = false
            handshakeDone = true
            wantsWrite = false
            return true
        case MBEDTLS_ERR_SSL_WANT_READ:
            wantsWrite = false
            return false
        case MBEDTLS_ERR_SSL_WANT_WRITE:
            wantsWrite = true
            return false
        default:
            let socketError = edge_errno()
            if let e = Self.socketFailure(rc, errno: socketError) { close(); throw e }
            let flags = rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ? mbedtls_ssl_get_verify_result(ssl) : 0
            let names = flags != 0 ? VerifyState.names(verifyState) : nil
            close()
            throw ByteStreamError.tls(rc, verifyFlags: flags, subject: names)
        }
    }

    /// The BIO callbacks' socket failures as the transport errors they are (the peer closed the
    /// connection, a socket error with its errno) rather than as mbedTLS NET codes.
    static func socketFailure(_ rc: Int32, errno: Int32) -> ByteStreamError? {
        switch rc {
        case netConnectionReset: return ByteStreamError(.closedByPeer)
        case netSendFailed, netReceiveFailed: return ByteStreamError(.io, code: errno)
        default: return nil
        }
    }

    public mutating func receive(into buffer: UnsafeMutableRawBufferPointer) throws(ByteStreamError) -> Int {
        guard handshakeDone else { throw ByteStreamError(.notOpen) }
        guard buffer.count > 0 else { return 0 }
        let rc = mbedtls_ssl_read(ssl, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count)
        if rc > 0 { return Int(rc) }
        switch rc {
        case MBEDTLS_ERR_SSL_WANT_READ, MBEDTLS_ERR_SSL_WANT_WRITE:
            return 0
        case 0, MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY, netConnectionReset:
            throw ByteStreamError(.closedByPeer)
        default:
            throw Self.socketFailure(rc, errno: edge_errno()) ?? ByteStreamError.tls(rc)
        }
    }

    public mutating func send(_ bytes: UnsafeRawBufferPointer) throws(ByteStreamError) -> Int {
        guard handshakeDone else { throw ByteStreamError(.notOpen) }
        guard bytes.count > 0 else { return 0 }
        let rc = mbedtls_ssl_write(ssl, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
        if rc >= 0 {
            wantsWrite = false
            return Int(rc)
        }
        switch rc {
        case MBEDTLS_ERR_SSL_WANT_WRITE:
            wantsWrite = true
            return 0
        case MBEDTLS_ERR_SSL_WANT_READ:
            return 0
        default:
            throw Self.socketFailure(rc, errno: edge_errno()) ?? ByteStreamError.tls(rc)
        }
    }

    public mutating func close() {
        if handshakeDone { _ = mbedtls_ssl_close_notify(ssl) }
        handshakeDone = false
        handshaking = false
        wantsWrite = false
        tcp.close()
        socket.pointee = -1
    }
}

// mbedtls/net_sockets.h error codes (that header is not part of CMbedTLS): what the BIO
// callbacks report for a failed send/recv and for a peer that closed the TCP connection.
let netSendFailed: Int32 = -0x004E
let netReceiveFailed: Int32 = -0x004C
let netConnectionReset: Int32 = -0x0050

/// The verify callback's state, in raw memory allocated once per transport (the callback is a C
/// function: it reaches the state through its context pointer). Bytes 0..<16: the broker's
/// address to find among the IP SANs; byte 16: its length (0: not connecting by address, or
/// not verifying the name); byte 17: names recorded; from byte 32: the failing certificate's
/// "certificate <subject>, issued by <issuer>" as a C string.
enum VerifyState {
    static var namesOffset: Int { 32 }
    static var namesCapacity: Int { 480 }
    static var size: Int { namesOffset + namesCapacity }

    /// Before a handshake: forgets the last failure; keeps `name` as an address to match if it
    /// is one (and names are verified). True if `name` is an IP address.
    static func reset(_ state: UnsafeMutableRawPointer, name: String, verify: Bool) -> Bool {
        state.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        var length = 0
        if inet_pton(AF_INET, name, state) == 1 {
            length = 4
        } else if inet_pton(AF_INET6, name, state) == 1 {
            length = 16
        }
        state.storeBytes(of: UInt8(verify ? length : 0), toByteOffset: 16, as: UInt8.self)
        return length != 0
    }

    /// One certificate of the chain (depth 0: the broker's own): the address check on the
    /// broker's certificate, then the names of the first certificate with a problem.
    static func check(_ state: UnsafeMutableRawPointer, _ certificate: UnsafeMutablePointer<mbedtls_x509_crt>,
                      depth: Int32, flags: UnsafeMutablePointer<UInt32>) {
        let length = Int(state.load(fromByteOffset: 16, as: UInt8.self))
        if depth == 0 && length > 0 && !hasAddress(certificate, UnsafeRawBufferPointer(start: state, count: length)) {
            flags.pointee |= UInt32(MBEDTLS_X509_BADCERT_CN_MISMATCH)
        }
        guard flags.pointee != 0, state.load(fromByteOffset: 17, as: UInt8.self) == 0 else { return }
        state.storeBytes(of: 1, toByteOffset: 17, as: UInt8.self)
        let out = (state + namesOffset).assumingMemoryBound(to: CChar.self)
        var used = 0
        func append(_ text: StaticString) {
            text.withUTF8Buffer { bytes in
                for b in bytes where used < namesCapacity - 1 { out[used] = CChar(bitPattern: b); used += 1 }
            }
            out[used] = 0
        }
        append("certificate ")
        let n = mbedtls_x509_dn_gets(out + used, namesCapacity - used, &certificate.pointee.subject)
        if n > 0 { used += Int(n) }
        append(", issued by ")
        let m = mbedtls_x509_dn_gets(out + used, namesCapacity - used, &certificate.pointee.issuer)
        if m > 0 { used += Int(m) }
        out[min(used, namesCapacity - 1)] = 0
    }

    /// True if one of the certificate's IP address SANs (tag [7]) holds `address`.
    static func hasAddress(_ certificate: UnsafeMutablePointer<mbedtls_x509_crt>, _ address: UnsafeRawBufferPointer) -> Bool {
        let ipAddressTag: Int32 = 0x87   // MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7
        var entry: mbedtls_x509_sequence? = certificate.pointee.subject_alt_names
        while let e = entry {
            if e.buf.tag == ipAddressTag, e.buf.len == address.count, let p = e.buf.p,
               memcmp(p, address.baseAddress!, address.count) == 0 {
                return true
            }
            entry = e.next?.pointee
        }
        return false
    }

    /// The recorded names, nil if none.
    static func names(_ state: UnsafeMutableRawPointer) -> String? {
        guard state.load(fromByteOffset: 17, as: UInt8.self) != 0 else { return nil }
        return String(cString: (state + namesOffset).assumingMemoryBound(to: CChar.self))
    }
}
