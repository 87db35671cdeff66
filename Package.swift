// swift-tools-version:6.1
// Host build of edge-agent (full Swift, x86_64 Linux, Debian's shared libmodbus and mbedTLS).
// The firmware build compiles the same Sources/ as Embedded Swift through the Makefile
// (firmware.mk); every file under Sources/ must compile in both.
import PackageDescription

let package = Package(
    name: "edge-agent",
    products: [
        .executable(name: "edge-agent", targets: ["EdgeAgent"]),
    ],
    targets: [
        // C: one shim for what Swift cannot import, and the two system libraries.
        .target(name: "CShim", path: "Sources/CShim"),
        .systemLibrary(name: "CModbus", path: "Sources/CModbus", pkgConfig: "libmodbus",
                       providers: [.apt(["libmodbus-dev"])]),
        .systemLibrary(name: "CMbedTLS", path: "Sources/CMbedTLS",
                       providers: [.apt(["libmbedtls-dev"])]),

        .target(name: "EdgeCore", dependencies: ["CShim"]),
        .target(name: "EdgeCrypto", dependencies: ["EdgeCore", "CMbedTLS"]),
        // -- module targets (one line each; keep this list in dependency order) --
        .executableTarget(
            name: "EdgeAgent",
            dependencies: ["EdgeCore", "EdgeCrypto", "CShim", "CModbus", "CMbedTLS"]
        ),

        // Test-only: counts malloc/calloc/realloc/posix_memalign per thread (interposition).
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .target(name: "TestSupport", dependencies: ["CMallocCounter", "EdgeCore"], path: "Tests/TestSupport"),
        .testTarget(name: "EdgeCoreTests", dependencies: ["EdgeCore", "TestSupport"]),
        .testTarget(name: "EdgeCryptoTests", dependencies: ["EdgeCrypto", "TestSupport"]),
        .testTarget(name: "EdgeAgentTests", dependencies: ["EdgeCore", "TestSupport"]),
        // -- test targets (one line each) --
    ]
)
