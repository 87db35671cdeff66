/// Where a value sits inside a JSON document, as people write it in messages: `buses[2].baud`,
/// `devices[0]["odd key"]`. The empty path is the document itself. Built while validating a
/// config tree (start-up only; it allocates).
public struct JSONPath: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// One step: an object key or an array index.
    public enum Component: Sendable, Equatable, Hashable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    /// The document itself.
    public static var root: JSONPath { JSONPath() }

    /// This path followed by an object key.
    public func key(_ name: String) -> JSONPath {
        var p = self
        p.components.append(.key(name))
        return p
    }

    /// This path followed by an array index.
    public func index(_ i: Int) -> JSONPath {
        var p = self
        p.components.append(.index(i))
        return p
    }

    public var isRoot: Bool { components.isEmpty }

    /// `buses[2].baud`; keys that are not plain words are written `["odd key"]`; "" for the root.
    public var text: String {
        var out = ""
        for c in components {
            switch c {
            case .index(let i):
                out += "[\(i)]"
            case .key(let k):
                if JSONPath.isPlainWord(k) {
                    if !out.isEmpty { out += "." }
                    out += k
                } else {
                    out += "[\""
                    for s in k.unicodeScalars {
                        if s == "\"" || s == "\\" { out += "\\" }
                        out.unicodeScalars.append(s)
                    }
                    out += "\"]"
                }
            }
        }
        return out
    }

    /// The path text, or `(document)` for the root.
    public var description: String { isRoot ? "(document)" : text }

    static func isPlainWord(_ k: String) -> Bool {
        if k.isEmpty { return false }
        for b in k.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }
}
