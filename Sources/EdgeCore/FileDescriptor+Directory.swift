import CShim

extension FileDescriptor {
    /// The directory holding `path`: "." for a bare file name, "/" for a file in the root.
    public static func directory(containing path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// fsync of the directory holding `path` (`directory(containing:)`), so that a rename or
    /// unlink in it survives a power cut. Allocates (the directory's name): not for a hot path.
    public static func synchronizeDirectory(containing path: String) throws(Errno) {
        let fd = try FileDescriptor.open(directory(containing: path), flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try fd.synchronize()
        fd.close()
    }
}
