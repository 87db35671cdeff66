import CShim
import EdgeCore
import EdgeCrypto
import TLS
import OTA

/// `edge-agent ota …`: the technician's view of A/B updates on the console.
///
///     ota status    --env-config FILE [--cmdline TEXT]   slots, booted slot, counters, BOOT_ORDER
///     ota verify    --key FILE IMAGE [--board NAME] [--running VERSION] [--allow-downgrade]
///     ota mark-good --env-config FILE [--cmdline TEXT]   reset the booted slot's counter
///     ota install   --env-config FILE --slots FILE [--cmdline TEXT] [--allow-downgrade] IMAGE|URL [--ca FILE]
///                   write a signed image into the inactive slot and activate it on trial
///     ota upgrade   … / ota boot-check …: the cloud-ordered flow and the start-up health check
///                   (OTAFlowCommands.swift)
///
/// The booted slot comes from `--cmdline` (text like `rauc.slot=A`), else $EDGE_CMDLINE or
/// /proc/cmdline; `status` may guess it from the environment, commands that write may not. Exit status: 0 done, 1 refused or failed (the reason on stderr), 2 usage.
enum OTACommand {
    static let usage = """
        usage: edge-agent ota status --env-config FILE [--cmdline TEXT]
               edge-agent ota verify --key FILE IMAGE [--board NAME] [--running VERSION] [--allow-downgrade]
               edge-agent ota mark-good --env-config FILE [--cmdline TEXT]
               edge-agent ota install --env-config FILE --slots FILE [--cmdline TEXT] [--allow-downgrade]
                                      IMAGE | http://URL | https://URL --ca CA-FILE
                 (host builds also take --key FILE --board NAME --running VERSION for install)
               edge-agent ota upgrade --env-config FILE --slots FILE [--cmdline TEXT] --url URL [--sign HEX]
                                      [--sign-method md5|sha1|sha256] [--version V] [--size N] [--max-size N]
                                      [--ca FILE] [--allow-downgrade] [--reboot exit|reboot|none]
               edge-agent ota boot-check --env-config FILE [--cmdline TEXT] [--uplink HOST:PORT] [--deadline-ms N]

        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let sub = arguments.first else {
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        var options = Options()
        guard options.parse(arguments.dropFirst()) else {
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        switch sub {
        case "status": return status(options)
        case "verify": return verify(options)
        case "mark-good": return markGood(options)
        case "install": return install(options)
        case "upgrade": return OTAFlowCommands.upgrade(options)
        case "boot-check": return OTAFlowCommands.bootCheck(options)
        default:
            StandardOutput.errorLine("edge-agent ota: unknown subcommand '\(sub)'")
            StandardOutput.write(usage, fd: 2)
            return 2
        }
    }

    struct Options {
        var envConfig: String? = nil
        var slots: String? = nil
        var caFile: String? = nil
        var commandLine: String? = nil
        var key: String? = nil
        var board: String? = nil
        var running: String? = nil
        var allowDowngrade = false
        var url: String? = nil
        var sign: String? = nil
        var signMethod: String? = nil
        var orderedVersion: String? = nil
        var size: UInt64? = nil
        var maxSize: UInt64? = nil
        var reboot: String? = nil
        var uplink: String? = nil
        var deadlineMilliseconds: UInt64? = nil
        var positional: [String] = []

        mutating func parse(_ args: ArraySlice<String>) -> Bool {
            var i = args.startIndex
            while i < args.endIndex {
                let arg = args[i]
                if arg == "--allow-downgrade" {
                    allowDowngrade = true
                } else if arg.hasPrefix("--") {
                    guard i + 1 < args.endIndex else { return false }
                    let value = args[i + 1]
                    switch arg {
                    case "--env-config": envConfig = value
                    case "--slots": slots = value
                    case "--ca": caFile = value
                    case "--cmdline": commandLine = value
                    case "--key": key = value
                    case "--board": board = value
                    case "--running": running = value
                    case "--url": url = value
                    case "--sign": sign = value
                    case "--sign-method": signMethod = value
                    case "--version": orderedVersion = value
                    case "--size": guard let n = UInt64(value) else { return false }; size = n
                    case "--max-size": guard let n = UInt64(value) else { return false }; maxSize = n
                    case "--reboot": reboot = value
                    case "--uplink": uplink = value
                    case "--deadline-ms": guard let n = UInt64(value) else { return false }; deadlineMilliseconds = n
                    default: return false
                    }
                    i += 1
                } else {
                    positional.append(arg)
                }
                i += 1
            }
            return true
        }
    }

    static func fail(_ text: String) -> Int32 {
        StandardOutput.errorLine("edge-agent ota: \(text)")
        return 1
    }

    static func openEnvironment(_ options: Options) -> BootEnvironment<FileEnvironmentStorage>? {
        guard let path = options.envConfig else {
            StandardOutput.errorLine("edge-agent ota: --env-config FILE is required")
            return nil
        }
        do throws(BootEnvironmentError) {
            let config = try BootEnvironmentConfig.load(path: path)
            var env = BootEnvironment(config: config, storage: FileEnvironmentStorage(config: config))
            try env.load()
            return env
        } catch {
            StandardOutput.errorLine("edge-agent ota: \(error.description)")
            return nil
        }
    }

    static func booted(_ options: Options, _ env: borrowing BootEnvironment<FileEnvironmentStorage>) -> BootedSlot? {
        BootedSlot.detect(commandLine: options.commandLine ?? BootedSlot.kernelCommandLine(), environment: env)
    }

    /// Runs `body` with a console text writer over a 4 KB buffer, then prints what it wrote.
    static func withConsoleText(_ body: (inout TextWriter) -> Void) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var out = TextWriter(buffer: buffer)
        body(&out)
        StandardOutput.write(String(decoding: out.bytes, as: UTF8.self), fd: 1)
    }

    /// The same text as the serial console's `ota status` (OTAConsole).
    static func status(_ options: Options) -> Int32 {
        guard let env = openEnvironment(options) else { return 1 }
        let booted = booted(options, env)
        withConsoleText { OTAConsole.status(environment: env, booted: booted, into: &$0) }
        return 0
    }

    static func markGood(_ options: Options) -> Int32 {
        guard var env = openEnvironment(options) else { return 1 }
        let booted = booted(options, env)
        var ok = false
        withConsoleText { ok = OTAConsole.markGood(environment: &env, booted: booted, into: &$0) }
        return ok ? 0 : 1
    }

    static func verify(_ options: Options) -> Int32 {
        guard let keyPath = options.key, options.positional.count == 1 else {
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        guard let running = FirmwareVersion(options.running ?? BuildInfo.version) else {
            return fail("--running: not a dotted version")
        }
        let policy = FirmwareImagePolicy(board: options.board ?? BuildInfo.board, runningVersion: running,
                                         allowDowngrade: options.allowDowngrade, maxPayloadLength: UInt64.max)
        let key: ECDSAPublicKey
        switch loadKey(keyPath) {
        case .success(let k): key = k
        case .failure(let text): return fail(text)
        }
        let imagePath = options.positional[0]
        let fd: FileDescriptor
        do throws(Errno) { fd = try FileDescriptor.open(imagePath, flags: O_RDONLY) } catch {
            return fail("\(imagePath): \(error.message)")
        }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 8)
        defer { chunk.deallocate() }
        var reader = FirmwareImageReader()
        var sink = DiscardingPayloadSink()
        do throws(FirmwareImageError) {
            while true {
                let n: Int
                do throws(Errno) { n = try fd.read(into: chunk) } catch { throw .writeFailed(error) }
                if n == 0 { break }
                try reader.feed(UnsafeRawBufferPointer(rebasing: chunk[0..<n]), policy: policy, into: &sink)
            }
            let header = try reader.finish(key: key)
            StandardOutput.line("image: board \(FirmwareImageHeader.boardName(reader.headerBytes)), version \(header.version.description), payload \(header.payloadLength) bytes")
            StandardOutput.line("verify: ok (size, SHA-256 and signature)")
            return 0
        } catch {
            StandardOutput.line("verify: REFUSED (progress step \(error.progressStep)): \(error.description)")
            return 1
        }
    }

    /// `ota install IMAGE`: a local file is verified whole first (a refused file changes nothing);
    /// then prepare once the header is accepted (target unbootable), stream + verify + fdatasync,
    /// activate. From a URL only a refused header changes nothing (the download is not read twice).
    /// The firmware build verifies with the compiled-in key only; host builds may name one.
    static func install(_ options: Options) -> Int32 {
        guard options.positional.count == 1, let slotsPath = options.slots else {
            StandardOutput.write(usage, fd: 2)
            return 2
        }
        #if EDGE_FIRMWARE
        let keyResult = keyFromBytes(TrustedFirmwareKey.der)
        let board = BuildInfo.board
        let runningText = BuildInfo.version
        #else
        let keyResult = options.key.map { loadKey($0) } ?? keyFromBytes(TrustedFirmwareKey.der)
        let board = options.board ?? BuildInfo.board
        let runningText = options.running ?? BuildInfo.version
        #endif
        let key: ECDSAPublicKey
        switch consume keyResult {
        case .success(let k): key = k
        case .failure(let text): return fail("no usable firmware key: \(text)")
        }
        guard let running = FirmwareVersion(runningText) else { return fail("running version '\(runningText)' is not dotted") }
        guard var env = openEnvironment(options) else { return 1 }
        guard let booted = booted(options, env), booted.source == .commandLine else {
            return fail(SlotError.bootedSlotUnknown.description)
        }
        let target = booted.slot.other
        let imagePath = options.positional[0]
        var image: ImageSource
        switch ImageSource.open(imagePath, caFile: options.caFile) {
        case .success(let source): image = source
        case .failure(let error): return fail("install failed (progress step \(error.progressStep)): \(error.description)")
        }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 8)
        defer { chunk.deallocate() }
        do throws(SlotError) {
            let slots = try SlotSet.load(path: slotsPath)
            let device = try slots.openForInstall(target, booted: booted.slot)
            let capacity = device.capacity ?? UInt64.max
            let policy = FirmwareImagePolicy(board: board, runningVersion: running, allowDowngrade: options.allowDowngrade,
                                             maxPayloadLength: capacity)
            if !(imagePath.hasPrefix("http://") || imagePath.hasPrefix("https://")) {
                _ = try OTAImageFile.verify(imagePath, policy: policy, key: key, buffer: chunk)
            }
            var installer = try SlotInstaller.begin(environment: env, target: target, device: device, policy: policy)
            StandardOutput.line("ota: installing \(imagePath) into slot \(target.letter) (running \(booted.slot.letter)); slot \(target.letter) unbootable from its first byte until verified")
            while true {
                let n = try image.read(into: chunk)
                if n == 0 { break }
                try installer.feed(UnsafeRawBufferPointer(rebasing: chunk[0..<n]), environment: &env)
            }
            let header = try installer.finish(key: key)
            StandardOutput.line("ota: verified version \(header.version.description), \(header.payloadLength) bytes written and synced")
            try installer.activate(environment: &env)
            StandardOutput.line("ota: slot \(target.letter) activated on trial (\(Bootchooser.defaultAttempts) attempts); reboot to start it")
            return 0
        } catch {
            return fail("install failed (progress step \(error.progressStep)): \(error.description)")
        }
    }

    /// Where `ota install` reads the image: a local file, or an http:// or https:// URL
    /// (resumed with Range after drops; https verified against `--ca FILE`).
    struct ImageSource: ~Copyable {
        var file: FileDescriptor?
        /// The download (TCP or TLS: one download type in the firmware).
        var download: HTTPDownload<NetworkStream>?

        enum Opened: ~Copyable {
            case success(ImageSource)
            case failure(SlotError)
        }

        static func open(_ location: String, caFile: String?) -> Opened {
            if location.hasPrefix("http://") || location.hasPrefix("https://") {
                guard let url = HTTPURL(location) else { return .failure(.download(.badURL)) }
                do throws(DownloadError) {
                    if url.isHTTPS {
                        guard let caFile else { return .failure(.download(.unsupportedScheme)) }
                        let tls: TLSStream
                        do throws(ByteStreamError) { tls = try TLSStream(TLSConfiguration(caFile: caFile)) } catch {
                            throw .transport(error)
                        }
                        return .success(ImageSource(file: nil, download: try HTTPDownload(url: url, transport: .tls(tls), isTLS: true)))
                    }
                    return .success(ImageSource(file: nil, download: try HTTPDownload(url: url, transport: .tcp(TCPStream()),
                                                                                      isTLS: false)))
                } catch { return .failure(.download(error)) }
            }
            do throws(Errno) {
                return .success(ImageSource(file: try FileDescriptor.open(location, flags: O_RDONLY), download: nil))
            } catch { return .failure(.imageFile(operation: "open", error)) }
        }

        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(SlotError) -> Int {
            do throws(DownloadError) {
                if download != nil { return try download!.next(into: buffer) }
            } catch { throw .download(error) }
            do throws(Errno) { return try file!.read(into: buffer) } catch { throw .imageFile(operation: "read", error) }
        }
    }

    static func keyFromBytes(_ der: [UInt8]) -> KeyResult {
        guard !der.isEmpty else { return .failure("no key compiled in (TrustedFirmwareKey)") }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: der.count, alignment: 8)
        defer { buffer.deallocate() }
        for i in 0..<der.count { buffer[i] = der[i] }
        do throws(CryptoError) { return .success(try ECDSAPublicKey(der: UnsafeRawBufferPointer(buffer))) } catch {
            return .failure(error.description)
        }
    }

    enum KeyResult: ~Copyable {
        case success(ECDSAPublicKey)
        case failure(String)
    }

    /// A DER or PEM public key file (PEM needs a terminating NUL for mbedTLS).
    static func loadKey(_ path: String) -> KeyResult {
        let fd: FileDescriptor
        do throws(Errno) { fd = try FileDescriptor.open(path, flags: O_RDONLY) } catch {
            return .failure("\(path): \(error.message)")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 8)
        defer { buffer.deallocate() }
        var used = 0
        while used < buffer.count - 1 {
            let n: Int
            do throws(Errno) { n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(buffer.count - 1)])) } catch {
                return .failure("\(path): \(error.message)")
            }
            if n == 0 { break }
            used += n
        }
        buffer[used] = 0
        let isPEM = used > 0 && buffer[0] == UInt8(ascii: "-")
        do throws(CryptoError) {
            let key = try ECDSAPublicKey(der: UnsafeRawBufferPointer(rebasing: buffer[0..<(isPEM ? used + 1 : used)]))
            return .success(key)
        } catch {
            return .failure("\(path): not an ECDSA public key (\(error.description))")
        }
    }
}
