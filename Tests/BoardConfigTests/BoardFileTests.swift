import BoardConfig
import EdgeCore
import Foundation
import Testing

/// Every board file committed under Board/ validates, and says what its README promises.
@Suite struct BoardFileTests {
    static var boardRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Board")
    }

    static var boardFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: boardRoot.path)) ?? []
        return names.sorted().compactMap { name in
            let file = boardRoot.appendingPathComponent(name).appendingPathComponent("board.json").path
            return FileManager.default.fileExists(atPath: file) ? file : nil
        }
    }

    static func load(_ name: String) throws -> Board {
        try BoardLoader.load(path: boardRoot.appendingPathComponent(name).appendingPathComponent("board.json").path)
    }

    @Test func everyCommittedBoardFileValidates() throws {
        let files = Self.boardFiles
        #expect(files.count >= 4)
        for file in files {
            do {
                let board = try BoardLoader.load(path: file)
                #expect(board.name == BoardLoader.folderName(of: file))
                // firmware.mk reads the toolchain with a line-based sed: it must be a top-level
                // string on a line of its own, and the folder Toolchain/<name> must exist.
                let text = try String(contentsOfFile: file, encoding: .utf8)
                #expect(text.contains("\n  \"toolchain\": \"\(board.toolchain.rawValue)\",\n"))
                let toolchainDir = Self.boardRoot.deletingLastPathComponent().appendingPathComponent("Toolchain")
                    .appendingPathComponent(board.toolchain.rawValue)
                #expect(FileManager.default.fileExists(atPath: toolchainDir.path), "\(toolchainDir.path)")
                #expect(FileManager.default.fileExists(atPath: URL(fileURLWithPath: file).deletingLastPathComponent()
                    .appendingPathComponent("README.md").path), "\(file): README.md with the assumptions")
            } catch let errors as ConfigErrors {
                Issue.record("\(file):\n\(errors)")
            }
        }
    }

    @Test func qemuBoardsMapEverythingUnderTheStateDirectory() throws {
        for name in ["qemu-aarch64", "qemu-armv7"] {
            let board = try Self.load(name)
            #expect(board.devicePaths.allSatisfy { $0.hasPrefix("${STATE}/") }, "\(name)")
            #expect(board.usesStateDirectory)
            let resolved = board.resolvingState("/tmp/run1")
            #expect(resolved.ringLog.device == "/tmp/run1/ringlog.img")
            #expect(resolved.devicePaths.allSatisfy { $0.hasPrefix("/tmp/run1/") })
            #expect(!resolved.usesStateDirectory)
            #expect(board.ringLog.kind == .file)
            #expect(board.serialPorts.allSatisfy { $0.rs485 == nil })
        }
        #expect(try Self.load("qemu-aarch64").toolchain == .aarch64LinuxMusl)
        #expect(try Self.load("qemu-armv7").toolchain == .armv7LinuxMusleabi)
    }

    @Test func cm4GatewayHasKernelRS485PortsAndARedundantEMMCEnvironment() throws {
        let board = try Self.load("cm4-gateway")
        #expect(board.toolchain == .aarch64LinuxMusl)
        #expect(board.serialPorts.map(\.device) == ["/dev/ttyAMA2", "/dev/ttyAMA3", "/dev/ttyAMA4", "/dev/ttyAMA5"])
        #expect(board.serialPorts.allSatisfy { $0.rs485?.mode == .kernel && $0.rs485?.rtsOnSend == true })
        #expect(board.ringLog.kind == .block && board.ringLog.eraseSize == 512 * 1024)
        #expect(board.ringLog.sectorCount == 512)
        #expect(board.bootloaderEnvironment.redundant)
        #expect(board.bootloaderEnvironment.fwEnvConfig ==
                "# device offset size sector-size\n/dev/mmcblk0 0x3f8000 0x4000 0x4000\n/dev/mmcblk0 0x3fc000 0x4000 0x4000\n")
        #expect(board.console.tty == "/dev/ttyS0")
    }

    @Test func imx6ulGatewayUsesMTDAndUBI() throws {
        let board = try Self.load("imx6ul-gateway")
        #expect(board.toolchain == .armv7LinuxMusleabi)
        #expect(board.serialPorts.map(\.device) == ["/dev/ttymxc1", "/dev/ttymxc2", "/dev/ttymxc3"])
        #expect(board.ringLog.kind == .mtd && board.ringLog.eraseSize == 128 * 1024)
        #expect(board.slots.a.kind == .ubi && board.slots.b.kind == .ubi)
        #expect(board.bootloaderEnvironment.copies.map(\.device) == ["/dev/mtd2", "/dev/mtd3"])
        #expect(board.console.tty == "/dev/ttymxc0")
    }
}
