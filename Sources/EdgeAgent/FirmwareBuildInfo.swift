#if EDGE_FIRMWARE
import CShim

/// What this binary is: for `edge-agent version` and the OTA checks. The firmware's version,
/// git revision and board are linked in (firmware.mk generates them per output with the OTA key),
/// not compiled here, so another version or revision relinks the firmware without recompiling
/// this module. The host build's is HostBuildInfo.swift.
enum BuildInfo {
    static var version: String { String(cString: edge_build_version()) }
    static var revision: String { String(cString: edge_build_revision()) }
    static var board: String { String(cString: edge_build_board()) }
    static let buildType = "firmware-release"
}
#endif
