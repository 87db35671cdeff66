import CShim

/// Line output to stdout or stderr through write(2): what commands and logging print, without
/// buffering surprises when the process is killed or its output is a pipe.
public enum StandardOutput {
    /// Writes a string and a newline to stdout.
    public static func line(_ text: String) { write(text, fd: 1, newline: true) }

    /// Writes a string and a newline to stderr.
    public static func errorLine(_ text: String) { write(text, fd: 2, newline: true) }

    /// Writes a string without a newline to the given descriptor.
    public static func write(_ text: String, fd: Int32, newline: Bool = false) {
        var text = text
        if newline { text += "\n" }
        text.withUTF8 { buffer in
            _ = edge_write_all(fd, buffer.baseAddress, buffer.count)
        }
    }
}
