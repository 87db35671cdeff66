/// One problem in a config or board file, naming the file, the path inside the document, the
/// line and column, and what is wrong. `description` reads:
/// `config.json: buses[2].baud (line 14, column 15): expected an integer, found "fast"`.
/// For the document itself the path is left out (`board.json (line 1, column 1): ...`); for
/// problems with the file as a whole (cannot open it) so is the location
/// (`board.json: cannot open: No such file or directory`).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var path: JSONPath
    public var location: JSONLocation?
    public var message: String

    public init(file: String, path: JSONPath, location: JSONLocation?, message: String) {
        self.file = file
        self.path = path
        self.location = location
        self.message = message
    }

    public var description: String {
        var out = file
        if !path.isRoot { out += ": " + path.text }
        if let l = location { out += " (line \(l.line), column \(l.column))" }
        return out + ": " + message
    }
}

/// Every problem found in one validation run, in document order. Thrown when a file is refused,
/// so that the user sees all of its problems at once, not one per attempt.
public struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) { self.errors = errors }

    /// One error per line.
    public var description: String {
        var out = ""
        for (i, e) in errors.enumerated() {
            if i > 0 { out += "\n" }
            out += e.description
        }
        return out
    }
}
