/// What the running firmware accepts: its board, its own version (downgrades are refused unless
/// allowed), and the largest payload the target slot holds. Built once at start-up; checks
/// allocate nothing.
public struct FirmwareImagePolicy: ~Copyable {
    private let storage: UnsafeMutableRawBufferPointer
    private let boardLength: Int
    public let runningVersion: FirmwareVersion
    public let allowDowngrade: Bool
    public let maxPayloadLength: UInt64

    public init(board: String, runningVersion: FirmwareVersion, allowDowngrade: Bool = false,
                maxPayloadLength: UInt64) {
        var name = board
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(name.utf8.count, 1), alignment: 1)
        name.withUTF8 { if $0.count > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer($0)) } }
        storage = buffer
        boardLength = name.utf8.count
        self.runningVersion = runningVersion
        self.allowDowngrade = allowDowngrade
        self.maxPayloadLength = maxPayloadLength
    }

    deinit { storage.deallocate() }

    /// The board this firmware runs on.
    public var board: String { String(decoding: UnsafeRawBufferPointer(rebasing: storage[0..<boardLength]), as: UTF8.self) }

    func boardMatches(_ name: UnsafeRawBufferPointer) -> Bool {
        guard name.count == boardLength else { return false }
        for i in 0..<name.count where name[i] != storage[i] { return false }
        return true
    }
}
