import EdgeCore
import EdgeCrypto
import Foundation
import OTA
import Testing
import TestSupport

/// Downloads from a local HTTP server (Python's http.server with Range support) that drops,
/// stalls or refuses to resume on command.
@Suite(.serialized) struct HTTPDownloadTests {
    @Test func parsesHTTPURLs() {
        let u = HTTPURL("http://updates.example.com:8080/fw/edge.img?x=1")
        #expect(u == HTTPURL("http://updates.example.com:8080/fw/edge.img?x=1"))
        #expect(u?.host == "updates.example.com")
        #expect(u?.port == 8080)
        #expect(u?.target == "/fw/edge.img?x=1")
        #expect(HTTPURL("http://[::1]/a")?.host == "::1")
        #expect(HTTPURL("http://h")?.target == "/")
        #expect(HTTPURL("https://h/x")?.port == 443)
        #expect(HTTPURL("https://h/x")?.isHTTPS == true)
        for bad in ["ftp://h/x", "http://", "http://:80/x", "http://h:0/x", "http://h:99999/", "http://u@h/", "http://h/a b"] {
            #expect(HTTPURL(bad) == nil, "\(bad)")
        }
    }

    func parseHead(_ text: String) throws(DownloadError) -> HTTPResponseHead {
        var text = text
        let found: Result<HTTPResponseHead, DownloadError> = text.withUTF8 { b in
            do throws(DownloadError) { return .success(try HTTPResponseHead.parse(UnsafeRawBufferPointer(b))) } catch { return .failure(error) }
        }
        return try found.get()
    }

    @Test func parsesResponseHeads() throws {
        let h = try parseHead("HTTP/1.1 206 Partial Content\r\ncontent-length: 10\r\nContent-Range:  bytes 100-109/5000 \r\n\r\n")
        #expect(h.status == 206)
        #expect(h.contentLength == 10)
        #expect(h.rangeFirst == 100 && h.rangeLast == 109 && h.rangeTotal == 5000)
        #expect(try parseHead("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").chunked)
        #expect(throws: DownloadError.malformedResponse("")) { try parseHead("HTTP/2 200\r\n\r\n") }
        #expect(throws: DownloadError.malformedResponse("")) { try parseHead("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") }
        #expect(throws: DownloadError.malformedResponse("")) { try parseHead("HTTP/1.1 206 OK\r\nContent-Range: bytes 9-1/10\r\n\r\n") }
        let text = "HTTP/1.1 200 OK\r\nA: b\r\n\r\nBODY"
        var copy = text
        #expect(copy.withUTF8 { HTTPResponseHead.headLength(UnsafeRawBufferPointer($0)) } == text.utf8.count - 4)
    }

    /// Pulls the whole body; returns the bytes or the error.
    static func fetch<T: ByteStream & ~Copyable>(_ download: inout HTTPDownload<T>) -> Result<[UInt8], DownloadError> {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
        defer { buffer.deallocate() }
        var out: [UInt8] = []
        do throws(DownloadError) {
            while true {
                let n = try download.next(into: buffer)
                if n == 0 { return .success(out) }
                out.append(contentsOf: buffer[0..<n])
            }
        } catch { return .failure(error) }
    }

    static func download(_ url: String, expected: UInt64? = nil, maxDrops: Int = 5, timeout: Int32 = 2000) throws -> HTTPDownload<TCPStream> {
        try HTTPDownload(url: HTTPURL(url)!, transport: TCPStream(), isTLS: false, expectedSize: expected, maxDrops: maxDrops,
                         timeoutMilliseconds: timeout, retryDelayMilliseconds: 0)
    }

    @Test func downloadsAWholeFile() throws {
        let file = ImageFixtures.payload(100_000)
        let server = try HTTPRangeServer(files: ["fw.img": file])
        var d = try Self.download(server.url("fw.img"), expected: 100_000)
        let result = Self.fetch(&d)
        _ = server.stop()
        let drops = d.drops, complete = d.isComplete
        #expect(result.success == file)
        #expect(drops == 0)
        #expect(complete)
    }

    @Test func resumesWithRangeAfterEachDrop() throws {
        let file = ImageFixtures.payload(50_000)
        let server = try HTTPRangeServer(files: ["fw.img": file], arguments: ["--drop-after", "7000", "--drops", "3"])
        var d = try Self.download(server.url("fw.img"))
        let result = Self.fetch(&d)
        let log = server.stop()
        let drops = d.drops
        #expect(result.success == file)
        #expect(drops == 3)
        #expect(log == ["GET /fw.img None", "GET /fw.img bytes=7000-", "GET /fw.img bytes=14000-", "GET /fw.img bytes=21000-"])
    }

    @Test func resumesAfterAStall() throws {
        let file = ImageFixtures.payload(20_000)
        let server = try HTTPRangeServer(files: ["fw.img": file], arguments: ["--drop-after", "5000", "--drops", "1", "--stall"])
        // The server stalls for 5 s; 1 s is well short of that, and long enough that a merely slow
        // (loaded) server is not taken for a stalled one.
        var d = try Self.download(server.url("fw.img"), timeout: 1000)
        let result = Self.fetch(&d)
        let log = server.stop()
        #expect(result.success == file)
        #expect(log.last == "GET /fw.img bytes=5000-")
    }

    @Test func aServerThatIgnoresRangeOnResumeIsRefused() throws {
        let server = try HTTPRangeServer(files: ["fw.img": ImageFixtures.payload(20_000)],
                                         arguments: ["--drop-after", "5000", "--drops", "1", "--ignore-range"])
        var d = try Self.download(server.url("fw.img"))
        let result = Self.fetch(&d)
        _ = server.stop()
        #expect(result.failure == .rangeRefused)
        #expect(result.failure?.progressStep == -2)
    }

    @Test func refusalsAreNamed() throws {
        let server = try HTTPRangeServer(files: ["fw.img": ImageFixtures.payload(1000)],
                                         arguments: ["--drop-after", "10", "--drops", "100"])
        var missing = try Self.download(server.url("nothing.img"))
        #expect(Self.fetch(&missing).failure == .status(404))
        var wrongSize = try Self.download(server.url("fw.img"), expected: 999)
        #expect(Self.fetch(&wrongSize).failure == .sizeMismatch(expected: 999, actual: 1000))
        var flaky = try Self.download(server.url("fw.img"), maxDrops: 2)
        #expect(Self.fetch(&flaky).failure == .tooManyDrops(3))
        _ = server.stop()
        #expect(throws: DownloadError.unsupportedScheme) {
            _ = try HTTPDownload(url: HTTPURL("https://h/x")!, transport: TCPStream(), isTLS: false)
        }
        var refused = try Self.download("http://127.0.0.1:1/x", maxDrops: 0)
        #expect(Self.fetch(&refused).failure == .tooManyDrops(1))
    }

    @Test func readingAllocatesNothingOnceConnected() throws {
        let server = try HTTPRangeServer(files: ["fw.img": ImageFixtures.payload(300_000)])
        defer { _ = server.stop() }
        var d = try Self.download(server.url("fw.img"))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var failure: DownloadError? = nil
        var total = 0
        do throws(DownloadError) { total += try d.next(into: buffer) } catch { failure = error }
        let counted = AllocationCounter.count {
            do throws(DownloadError) {
                while true {
                    let n = try d.next(into: buffer)
                    if n == 0 { return }
                    total += n
                }
            } catch { failure = error }
        }
        #expect(failure == nil)
        #expect(total == 300_000)
        #expect(counted.allocations == 0, "\(counted)")
    }

    @Test func anImageDownloadedThroughDropsInstallsAndActivates() throws {
        let payload = ImageFixtures.payload(80_000)
        let image = try ImageFixtures.image(version: "2.0.0", payload: payload)
        let server = try HTTPRangeServer(files: ["fw.img": image], arguments: ["--drop-after", "30000", "--drops", "2"])
        defer { _ = server.stop() }
        let memory = try PowerCutTests.initialEnvironment()
        var env = PowerCutTests.makeEnvironment(memory, PowerSupply(budget: nil))
        try env.load()
        let slotB = MemorySlot([])
        var installer = try SlotInstaller.begin(environment: env, target: .b, device: MemorySlotDevice(slot: slotB, power: PowerSupply(budget: nil)),
                                                policy: ImageFixtures.policy())
        var d = try Self.download(server.url("fw.img"), expected: UInt64(image.count))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let n = try d.next(into: buffer)
            if n == 0 { break }
            try installer.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), environment: &env)
        }
        _ = try installer.finish(key: try ImageFixtures.key())
        try installer.activate(environment: &env)
        let drops = d.drops
        #expect(drops == 2)
        #expect(slotB.bytes == payload)
        #expect(try PowerCutTests.bootsAfterReboot(memory).0 == .b)
    }
}
