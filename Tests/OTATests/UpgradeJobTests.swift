import CShim
import EdgeCore
import EdgeCrypto
import Foundation
import OTA
import TestSupport
import Testing

/// The cloud-ordered upgrade as a poll-loop component: driven here by a real poll(2) loop
/// against the Range server, each refusal with its EnOS step and reason, the target left
/// untouched by a refused header and unbootable after any later failure, no blocking while the server stalls, no allocation per chunk.
@Suite(.serialized) struct UpgradeJobTests {
    struct Outcome {
        var state: UpgradeJob<TCPStream>.State?
        var startError: SlotError?
        var reports: [UpgradeProgress]
        var vars: [String: String]
        var slotB: [UInt8]
        var requests: [String]
        var polls = 0
        var waits = 0
        var drops = 0
        var steps: [Int] { reports.map(\.step) }
    }

    static let monotonic = SystemClock()

    /// The agent's loop in miniature: poll(2) on the job's descriptor as the job asks.
    static func drive<S: EnvironmentStorage>(_ job: inout UpgradeJob<TCPStream>, _ env: inout BootEnvironment<S>,
                                             _ reports: inout [UpgradeProgress], polls: inout Int, waits: inout Int) -> UpgradeJob<TCPStream>.State {
        var revents: Int16 = 0
        while true {
            polls += 1
            let now = monotonic.monotonicNow()
            let state = job.poll(revents: revents, now: now, environment: &env) { reports.append($0) }
            revents = 0
            switch state {
            case .working:
                continue
            case .waiting(let events, let until):
                waits += 1
                let ms = until > now ? min(until.nanoseconds(since: now) / 1_000_000 + 1, 1000) : 0
                if job.descriptor >= 0 {
                    var p = pollfd(fd: job.descriptor, events: events, revents: 0)
                    if poll(&p, 1, Int32(ms)) > 0 { revents = p.revents }
                } else {
                    usleep(UInt32(ms) * 1000)
                }
            case .activated, .failed:
                return state
            }
        }
    }

    static func run(image: [UInt8], sign: String? = nil, method: String = "md5", version: String = "2.0.0", size: UInt64?? = nil,
                    serverArguments: [String] = [], settings: UpgradeSettings = UpgradeSettings(retryDelayMilliseconds: 0),
                    running: String = "1.0.0", board: String = "qemu-aarch64", cmdline: String = "rauc.slot=A") throws -> Outcome {
        let g = try SlotInstallTests.gateway("job")
        defer { TestFiles.remove(g.dir) }
        let server = try HTTPRangeServer(files: ["fw.img": image], arguments: serverArguments)
        var serverStopped = false
        defer { if !serverStopped { _ = server.stop() } }
        let order = try UpgradeOrder(version: version, fileURL: server.url("fw.img"), fileSize: size ?? UInt64(image.count),
                                     sign: try sign ?? OTAUpdateTests.digest("md5sum", image), signMethod: method)
        var env = try openEnvironment(g.tools.config)
        try env.load()
        let detected = BootedSlot.detect(commandLine: cmdline, environment: env)
        let booted = try #require(detected)
        let key = try ImageFixtures.key()
        var reports: [UpgradeProgress] = []
        var outcome = Outcome(state: nil, startError: nil, reports: [], vars: [:], slotB: [], requests: [])
        do throws(SlotError) {
            var job = try UpgradeJob<TCPStream>.start(order: order, transport: TCPStream(), isTLS: false, environment: &env,
                                                         slots: g.slots, booted: booted, key: key, board: board,
                                                         running: FirmwareVersion(running)!, settings: settings,
                                                         now: monotonic.monotonicNow(), progress: { reports.append($0) })
            outcome.state = drive(&job, &env, &reports, polls: &outcome.polls, waits: &outcome.waits)
            outcome.drops = job.drops
        } catch {
            outcome.startError = error
        }
        outcome.reports = reports
        outcome.requests = server.stop()
        serverStopped = true
        outcome.vars = try g.tools.printenv()
        outcome.slotB = Array(try Data(contentsOf: URL(fileURLWithPath: g.slots.b)))
        return outcome
    }

    static let oldSlotB = Array("older firmware B, longer than the new one ..............................".utf8)

    /// The failure was reported once, last, with `step`, and nothing was activated.
    static func expectRefused(_ o: Outcome, step: Int, reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(o.reports.last?.step == step, "\(o.reports)", sourceLocation: sourceLocation)
        #expect(o.reports.last?.desc.contains(reason) == true, "\(o.reports)", sourceLocation: sourceLocation)
        #expect(o.reports.filter(\.isFailure).count == 1, "\(o.reports)", sourceLocation: sourceLocation)
        #expect(o.vars["BOOT_ORDER"] == "A B", sourceLocation: sourceLocation)
        #expect(o.vars["BOOT_A_LEFT"] == "3", sourceLocation: sourceLocation)
        #expect(o.vars["EDGE_TRIAL"] == nil, sourceLocation: sourceLocation)
    }

    @Test func anOrderIsDownloadedThroughADropVerifiedWrittenAndActivated() throws {
        let payload = ImageFixtures.payload(300_000)
        let image = try ImageFixtures.image(version: "2.0.0", payload: payload)
        let o = try Self.run(image: image, serverArguments: ["--drop-after", "100000", "--drops", "1"])
        #expect(o.state == .activated(FirmwareVersion("2.0.0")!), "\(o.reports)")
        #expect(o.slotB == payload)
        #expect(o.vars["BOOT_ORDER"] == "B A")
        #expect(o.vars["BOOT_B_LEFT"] == "3")
        #expect(o.vars["EDGE_TRIAL"] == "B")
        #expect(o.vars["EDGE_VERSION_B"] == "2.0.0")
        #expect(o.steps.first == 0)
        #expect(o.steps.suffix(3) == [80, 85, 95], "\(o.steps)")
        #expect(o.steps == o.steps.sorted())
        #expect(o.drops == 1)
        #expect(o.requests.count == 2 && o.requests[1].hasSuffix("bytes=100000-"), "\(o.requests)")
        // Chunked: one poll per chunk of at most 16 KB, and waits in between.
        #expect(o.polls >= 300_000 / (16 * 1024))
        #expect(o.waits > 0)
    }

    @Test func sha256OrdersAreCheckedToo() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(20_000))
        let o = try Self.run(image: image, sign: try OTAUpdateTests.digest("sha256sum", image).uppercased(), method: "sha256")
        #expect(o.state == .activated(FirmwareVersion("2.0.0")!), "\(o.reports)")
    }

    @Test func aTamperedImageIsRefusedWithVerificationFailed() throws {
        var image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(50_000))
        image[FirmwareImageHeader.size + 1000] ^= 0x01  // the cloud's digest is of the tampered file
        let o = try Self.run(image: image)
        Self.expectRefused(o, step: -3, reason: "SHA-256")
        #expect(o.vars["BOOT_B_LEFT"] == "0")
    }

    @Test func anImageSignedWithAnotherKeyIsRefused() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(5_000), key: ImageFixtures.otherKeyPEM)
        let o = try Self.run(image: image)
        Self.expectRefused(o, step: -3, reason: "signature")
        #expect(o.vars["BOOT_B_LEFT"] == "0")
    }

    @Test func aWrongCloudDigestIsRefused() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(5_000))
        let o = try Self.run(image: image, sign: String(repeating: "ab", count: 16))
        Self.expectRefused(o, step: -3, reason: "digest differs from the cloud")
    }

    @Test func anImageForAnotherBoardIsRefusedBeforeAnyPayloadIsWritten() throws {
        let image = try ImageFixtures.image(board: "cm4-gateway", version: "2.0.0", payload: ImageFixtures.payload(50_000))
        let o = try Self.run(image: image)
        Self.expectRefused(o, step: -3, reason: "another board")
        #expect(o.slotB == Self.oldSlotB)
        #expect(o.vars["BOOT_B_LEFT"] == "3")   // a refused header leaves a good fallback bootable
    }

    @Test func aDowngradeIsRefusedBeforeAnythingIsDownloadedUnlessAllowed() throws {
        let image = try ImageFixtures.image(version: "0.9.0", payload: ImageFixtures.payload(5_000))
        let o = try Self.run(image: image, version: "0.9.0")
        #expect(o.startError == .image(.downgrade))
        Self.expectRefused(o, step: -5, reason: "downgrade")
        #expect(o.requests.isEmpty)
        #expect(o.vars["BOOT_B_LEFT"] == "3")  // not even prepared
        let allowed = try Self.run(image: image, version: "0.9.0", settings: UpgradeSettings(allowDowngrade: true, retryDelayMilliseconds: 0))
        #expect(allowed.state == .activated(FirmwareVersion("0.9.0")!), "\(allowed.reports)")
    }

    @Test func anImageOlderThanRunningIsRefusedEvenWhenTheOrderNamesNoVersion() throws {
        let image = try ImageFixtures.image(version: "0.9.0", payload: ImageFixtures.payload(5_000))
        let o = try Self.run(image: image, version: "nightly")
        Self.expectRefused(o, step: -5, reason: "downgrade")
        #expect(o.vars["BOOT_B_LEFT"] == "3")   // refused at the header: nothing changed
        #expect(o.slotB == Self.oldSlotB)
    }

    @Test func aTruncatedImageIsADownloadFailure() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(20_000))
        let o = try Self.run(image: Array(image.prefix(image.count - 30)))
        Self.expectRefused(o, step: -2, reason: "truncated")
    }

    @Test func anImageLargerThanTheSlotIsRefusedBeforeTheDownload() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(20_000))
        let o = try Self.run(image: image, settings: UpgradeSettings(maxPayloadLength: 10_000, retryDelayMilliseconds: 0))
        Self.expectRefused(o, step: -3, reason: "larger than the slot")
        #expect(o.requests.isEmpty)
        // Without an announced size the reader stops it at the header.
        let unannounced = try Self.run(image: image, size: .some(nil),
                                       settings: UpgradeSettings(maxPayloadLength: 10_000, retryDelayMilliseconds: 0))
        Self.expectRefused(unannounced, step: -3, reason: "larger than the slot")
        #expect(unannounced.slotB == Self.oldSlotB)
        #expect(unannounced.vars["BOOT_B_LEFT"] == "3")
    }

    @Test func aFileOfAnotherSizeThanAnnouncedIsRefused() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(5_000))
        let o = try Self.run(image: image, size: UInt64(image.count + 10))
        Self.expectRefused(o, step: -3, reason: "the upgrade order says")
    }

    @Test func aServerThatKeepsDroppingFailsTheDownload() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(50_000))
        let o = try Self.run(image: image, serverArguments: ["--drop-after", "1000", "--drops", "100"],
                             settings: UpgradeSettings(retryDelayMilliseconds: 0, maxDrops: 3))
        Self.expectRefused(o, step: -2, reason: "dropped")
        #expect(o.requests.count == 4)
        #expect(o.vars["BOOT_B_LEFT"] == "0")
    }

    @Test func aMissingFileIsADownloadFailure() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(500))
        let g = try SlotInstallTests.gateway("job404"); defer { TestFiles.remove(g.dir) }
        let server = try HTTPRangeServer(files: [:]); defer { _ = server.stop() }
        var env = try openEnvironment(g.tools.config)
        try env.load()
        let order = try UpgradeOrder(version: "2.0.0", fileURL: server.url("none.img"), fileSize: UInt64(image.count),
                                     sign: try OTAUpdateTests.digest("md5sum", image), signMethod: "md5")
        var reports: [UpgradeProgress] = []
        var job = try UpgradeJob<TCPStream>.start(order: order, transport: TCPStream(), isTLS: false, environment: &env,
                                                     slots: g.slots, booted: BootedSlot(slot: .a, source: .commandLine),
                                                     key: try ImageFixtures.key(), board: "qemu-aarch64", running: FirmwareVersion("1.0.0")!,
                                                     now: Self.monotonic.monotonicNow(), progress: { reports.append($0) })
        var polls = 0, waits = 0
        let state = Self.drive(&job, &env, &reports, polls: &polls, waits: &waits)
        #expect(state == .failed(UpgradeProgress(step: -2, desc: "download: HTTP status 404")))
        #expect(reports.last?.desc == "download: HTTP status 404")
    }

    @Test func theBootedSlotMustBeKnownFromTheCommandLine() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(500))
        let o = try Self.run(image: image, cmdline: "quiet")
        #expect(o.startError == .bootedSlotUnknown)
        #expect(o.reports.map(\.step) == [-1])
        #expect(o.requests.isEmpty)
    }

    @Test func aStalledConnectionNeverBlocksThePollAndIsResumedAfterTheStallTimeout() throws {
        let payload = ImageFixtures.payload(100_000)
        let image = try ImageFixtures.image(version: "2.0.0", payload: payload)
        let o = try Self.run(image: image, serverArguments: ["--drop-after", "30000", "--drops", "1", "--stall"],
                             settings: UpgradeSettings(stallTimeoutMilliseconds: 1000, retryDelayMilliseconds: 0))  // the server stalls 5 s
        #expect(o.state == .activated(FirmwareVersion("2.0.0")!), "\(o.reports)")
        #expect(o.slotB == payload)
        #expect(o.drops == 1)
        // The stall was waited out in the loop's poll(2), a bounded wait per turn, not inside the job.
        #expect(o.waits >= 1)
    }

    @Test func cancellingReportsOnceAndBeforeTheHeaderChangesNothing() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(100_000))
        let g = try SlotInstallTests.gateway("jobcancel"); defer { TestFiles.remove(g.dir) }
        let server = try HTTPRangeServer(files: ["fw.img": image]); defer { _ = server.stop() }
        var env = try openEnvironment(g.tools.config)
        try env.load()
        let order = try UpgradeOrder(version: "2.0.0", fileURL: server.url("fw.img"), fileSize: UInt64(image.count),
                                     sign: try OTAUpdateTests.digest("md5sum", image), signMethod: "md5")
        var reports: [UpgradeProgress] = []
        var job = try UpgradeJob<TCPStream>.start(order: order, transport: TCPStream(), isTLS: false, environment: &env,
                                                     slots: g.slots, booted: BootedSlot(slot: .a, source: .commandLine),
                                                     key: try ImageFixtures.key(), board: "qemu-aarch64", running: FirmwareVersion("1.0.0")!,
                                                     now: Self.monotonic.monotonicNow(), progress: { reports.append($0) })
        _ = job.poll(revents: 0, now: Self.monotonic.monotonicNow(), environment: &env) { reports.append($0) }
        job.cancel(reason: "technician") { reports.append($0) }
        job.cancel(reason: "again") { reports.append($0) }
        #expect(reports.map(\.step) == [0, -1])
        #expect(job.poll(revents: 0, now: Self.monotonic.monotonicNow(), environment: &env) { reports.append($0) }
                == .failed(UpgradeProgress(step: -1, desc: "upgrade cancelled: technician")))
        // Cancelled before the image's header arrived: nothing was changed (after it, B would be
        // unbootable: AgentUpgradeTests' SIGTERM case).
        let vars = try g.tools.printenv()
        #expect(vars["BOOT_B_LEFT"] == "3" && vars["BOOT_ORDER"] == "A B")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: g.slots.b))) == Self.oldSlotB)
    }

    @Test func downloadingAChunkAllocatesNothing() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(400_000))
        let g = try SlotInstallTests.gateway("jobmalloc"); defer { TestFiles.remove(g.dir) }
        let server = try HTTPRangeServer(files: ["fw.img": image]); defer { _ = server.stop() }
        var env = try openEnvironment(g.tools.config)
        try env.load()
        let order = try UpgradeOrder(version: "2.0.0", fileURL: server.url("fw.img"), fileSize: UInt64(image.count),
                                     sign: try OTAUpdateTests.digest("md5sum", image), signMethod: "md5")
        var job = try UpgradeJob<TCPStream>.start(order: order, transport: TCPStream(), isTLS: false, environment: &env,
                                                     slots: g.slots, booted: BootedSlot(slot: .a, source: .commandLine),
                                                     key: try ImageFixtures.key(), board: "qemu-aarch64", running: FirmwareVersion("1.0.0")!,
                                                     settings: UpgradeSettings(progressInterval: 1000),
                                                     now: Self.monotonic.monotonicNow(), progress: { _ in })
        // Until the first body bytes (connect, request, head): allocations allowed.
        var revents: Int16 = 0
        func turn() -> UpgradeJob<TCPStream>.State {
            let state = job.poll(revents: revents, now: Self.monotonic.monotonicNow(), environment: &env) { _ in }
            revents = 0
            if case .waiting(let events, _) = state, job.descriptor >= 0 {
                var p = pollfd(fd: job.descriptor, events: events, revents: 0)
                if poll(&p, 1, 1000) > 0 { revents = p.revents }
            }
            return state
        }
        while job.received < 20_000 { _ = turn() }
        var dataTurns = 0
        let count = AllocationCounter.count {
            while job.received < 300_000 {
                if turn() == .working { dataTurns += 1 }
            }
        }
        #expect(AllocationCounter.isActive)
        #expect(dataTurns > 10)
        #expect(count.allocations == 0, "\(count)")
    }
}
