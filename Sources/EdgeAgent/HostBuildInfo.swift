#if !EDGE_FIRMWARE
import CShim

/// What this binary is: for `edge-agent version`. The firmware's is FirmwareBuildInfo.swift (its
/// version, revision and board linked in); on the host the revision comes from the C shim's
/// EDGE_GIT_REVISION define, which `make build` sets.
enum BuildInfo {
    /// Must equal the VERSION file (a test checks it).
    static let version = "0.1.0"
    static var revision: String { String(cString: edge_build_revision()) }
    static let board = "host"
    #if DEBUG
    static let buildType = "host-debug"
    #else
    static let buildType = "host-release"
    #endif
}
#endif
