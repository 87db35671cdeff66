/// Where an order's `fileUrl` points: a web server (`http://`, `https://`), or a file of the EnOS
/// file service, fetched through the EnOS HTTP broker: an `enos-connect://…` URI (the Java SDK's
/// `FileScheme`) or a path relative to the file service (`/1b30e0ea83002000/ota/kadak13`, the
/// form the EnOS OTA docs show). Pure: classifies the text, fetches nothing.
public enum FirmwareLocation: Equatable, Sendable {
    case web(HTTPURL)
    /// The file URI as the broker's `file/download` takes it (`fileUri=`).
    case enosFile(String)

    /// The scheme the Java SDK's `FileScheme` names for the EnOS file service.
    public static let enosConnectPrefix = "enos-connect://"

    /// Classifies `fileURL`; throws `badURL` for a malformed http(s) URL or an empty or
    /// control-character-bearing URI, `broker(.unsupportedScheme)` for any other scheme.
    public init(_ fileURL: String) throws(DownloadError) {
        for c in fileURL.utf8 where c <= 0x20 || c == 0x7F { throw .badURL }
        if fileURL.hasPrefix("http://") || fileURL.hasPrefix("https://") {
            guard let url = HTTPURL(fileURL) else { throw .badURL }
            self = .web(url)
        } else if fileURL.hasPrefix(Self.enosConnectPrefix) {
            guard fileURL.utf8.count > Self.enosConnectPrefix.utf8.count else { throw .badURL }
            self = .enosFile(fileURL)
        } else if Self.hasScheme(fileURL) {
            throw .broker(.unsupportedScheme)
        } else {
            guard !fileURL.isEmpty else { throw .badURL }
            self = .enosFile(fileURL)
        }
    }

    /// `scheme://` at the start (letters, digits, `+`, `-`, `.` before `://`).
    static func hasScheme(_ text: String) -> Bool {
        var colon = false
        var slashes = 0
        var first = true
        for c in text.utf8 {
            if slashes > 0 || colon {
                guard c == UInt8(ascii: "/") else { return false }
                slashes += 1
                if slashes == 2 { return true }
                continue
            }
            if c == UInt8(ascii: ":") { if first { return false }; colon = true; continue }
            let letter = (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z")
            let other = (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
            guard letter || (!first && other) else { return false }
            first = false
        }
        return false
    }

    /// Whether the download speaks TLS: the URL's scheme, or for an EnOS file the broker's.
    /// Throws `broker(.notConfigured)` for an EnOS file without a broker.
    public func usesTLS(broker: EnOSFileBroker?) throws(DownloadError) -> Bool {
        switch self {
        case .web(let url): return url.isHTTPS
        case .enosFile:
            guard let broker else { throw .broker(.notConfigured) }
            return broker.url.isHTTPS
        }
    }
}
