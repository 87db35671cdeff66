import EdgeCore
import Foundation
import Testing

/// The fsync of a file's directory after a rename (configuration replacement, file downloads):
/// the directory is found from the path as given, and a missing directory is the kernel's errno.
@Suite struct DirectorySynchronizationTests {
    @Test func theDirectoryOfAPathIsItsPartBeforeTheLastSlash() {
        #expect(FileDescriptor.directory(containing: "config.json") == ".")
        #expect(FileDescriptor.directory(containing: "/config.json") == "/")
        #expect(FileDescriptor.directory(containing: "/etc/edge-agent/config.json") == "/etc/edge-agent")
        #expect(FileDescriptor.directory(containing: "data/ring.log") == "data")
    }

    @Test func anExistingDirectoryIsSynchronizedAndAMissingOneThrowsNoSuchFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dirsync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileDescriptor.synchronizeDirectory(containing: directory.appendingPathComponent("config.json").path)
        #expect(throws: Errno.noSuchFile) {
            try FileDescriptor.synchronizeDirectory(containing: directory.appendingPathComponent("missing/config.json").path)
        }
    }
}
