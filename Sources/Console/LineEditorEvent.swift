/// What a keystroke fed to `LineEditor` completed.
public enum LineEditorEvent: Equatable, Sendable {
    /// Enter (CR, LF or CR LF): `LineEditor.line` holds the finished line until `clear()`.
    case line
    /// Ctrl-C: the line was discarded.
    case interrupt
}
