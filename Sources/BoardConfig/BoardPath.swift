/// Device paths in board files: absolute (`/dev/ttyAMA2`) or under the run-time state directory
/// (`${STATE}/rs485-1`). `${STATE}` is the only variable; anything else is refused by the loader.
public enum BoardPath {
    public static let stateVariable = "${STATE}"

    /// Why a path is not acceptable, or nil.
    public static func problem(_ path: String) -> String? {
        let bytes = Array(path.utf8)
        if bytes.isEmpty { return "expected a device path, found an empty string" }
        let state = Array(stateVariable.utf8)
        var i = 0
        if bytes.starts(with: state) {
            i = state.count
            if i >= bytes.count || bytes[i] != UInt8(ascii: "/") {
                return "expected \"${STATE}/\" followed by a file name"
            }
        } else if bytes[0] != UInt8(ascii: "/") {
            return "expected an absolute path or one starting with \"${STATE}/\", found \"\(path)\""
        }
        // No other variables, and no ${STATE} in the middle.
        while i + 1 < bytes.count {
            if bytes[i] == UInt8(ascii: "$") && bytes[i + 1] == UInt8(ascii: "{") {
                return "unknown variable in \"\(path)\" (only ${STATE}, at the start, is defined)"
            }
            i += 1
        }
        return nil
    }

    /// Replaces a leading `${STATE}` with `state`.
    public static func resolve(_ path: String, state: String) -> String {
        guard path.utf8.starts(with: stateVariable.utf8) else { return path }
        return state + String(decoding: Array(path.utf8.dropFirst(stateVariable.utf8.count)), as: UTF8.self)
    }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
}
