/// An `http://host[:port]/path` URL, split for a request. `https://` parses (so the caller can
/// tell it apart) but is refused by the downloader until the TLS transport is wired.
public struct HTTPURL: Equatable, Sendable {
    public var isHTTPS: Bool
    public var host: String
    public var port: UInt16
    /// Path and query, starting with `/`.
    public var target: String

    public init?(_ text: String) {
        let rest: Substring
        if text.hasPrefix("http://") { isHTTPS = false; rest = text.dropFirst(7) }
        else if text.hasPrefix("https://") { isHTTPS = true; rest = text.dropFirst(8) }
        else { return nil }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[rest.startIndex..<slash]
        target = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        for c in target.utf8 where c <= 0x20 || c == 0x7F { return nil }
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { port = isHTTPS ? 443 : 80 }
            else {
                guard after.first == ":", let p = UInt16(after.dropFirst()), p > 0 else { return nil }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[authority.startIndex..<colon])
            guard let p = UInt16(authority[authority.index(after: colon)...]), p > 0 else { return nil }
            port = p
        } else {
            host = String(authority)
            port = isHTTPS ? 443 : 80
        }
        guard !host.isEmpty else { return nil }
    }
}
