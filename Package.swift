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

        // -- module targets (one line each), in dependency order: each after what it imports --
        .target(name: "EdgeCore", dependencies: ["CShim"]),
        .target(name: "EdgeCrypto", dependencies: ["EdgeCore", "CMbedTLS"]),
        .target(name: "TLS", dependencies: ["EdgeCore", "CShim", "CMbedTLS"]),
        .target(name: "Logging", dependencies: ["EdgeCore", "CShim"]),
        .target(name: "Console", dependencies: ["EdgeCore", "CShim", "Logging"]),
        .target(name: "BoardConfig", dependencies: ["EdgeCore"]),
        .target(name: "RingLog", dependencies: ["EdgeCore", "CShim"], exclude: ["README.md"]),
        .target(name: "EdgeCompute", dependencies: ["EdgeCore", "CShim"], exclude: ["README.md"], linkerSettings: [.linkedLibrary("m")]),
        .target(name: "IEC104", dependencies: ["EdgeCore"], exclude: ["README.md"]),
        .target(name: "FieldBus", dependencies: ["EdgeCore", "CShim", "CModbus", "EdgeCompute", "IEC104", "TLS"], exclude: ["README.md"]),
        .target(name: "MQTT", dependencies: ["EdgeCore", "CShim"]),
        .target(name: "EnOS", dependencies: ["EdgeCore", "EdgeCrypto", "MQTT", "CShim"]),
        .target(name: "OTA", dependencies: ["EdgeCore", "EdgeCrypto", "CShim"], exclude: ["README.md"]),
        .target(name: "EdgeAlarms", dependencies: ["EdgeCore", "EdgeCompute", "EnOS"], exclude: ["README.md"]),
        .target(name: "Configuration", dependencies: ["EdgeCore", "EdgeCrypto", "CShim", "EnOS", "FieldBus", "Logging", "TLS", "OTA", "RingLog", "EdgeAlarms"], exclude: ["CONFIG.md", "BUNDLE.md"]),
        .target(name: "StoreForward", dependencies: ["Configuration", "EdgeAlarms", "EdgeCore", "FieldBus", "RingLog"], exclude: ["README.md"]),
        .target(name: "CloudLink", dependencies: ["Configuration", "EdgeAlarms", "StoreForward", "EdgeCore", "EnOS", "FieldBus", "Logging", "MQTT", "TLS", "OTA"], exclude: ["README.md"]),
        .target(name: "Agent", dependencies: ["EdgeCore", "CShim", "RingLog", "EdgeCompute", "EdgeAlarms", "FieldBus", "MQTT", "TLS", "BoardConfig", "EnOS", "OTA", "Logging", "Console", "Configuration", "StoreForward", "CloudLink"], exclude: ["README.md"]),
        .executableTarget(
            name: "EdgeAgent",
            dependencies: ["EdgeCore", "EdgeCrypto", "CShim", "CModbus", "CMbedTLS", "OTA", "RingLog", "BoardConfig", "FieldBus", "IEC104", "TLS", "Configuration", "StoreForward", "CloudLink", "Agent"]
        ),

        // Test-only: counts malloc/calloc/realloc/posix_memalign per thread (interposition).
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .target(name: "TestSupport", dependencies: ["CMallocCounter", "EdgeCore"], path: "Tests/TestSupport"),
        .target(name: "RingLogTestSupport", dependencies: ["RingLog", "EdgeCore"], path: "Tests/RingLogTestSupport"),

        // -- benchmarks (one line each) --
        .executableTarget(name: "RingLogBench", dependencies: ["RingLog", "EdgeCore", "CShim", "TestSupport"], path: "Benchmarks/RingLogBench"),
        .executableTarget(name: "DeadbandBench", dependencies: ["EdgeCompute", "EnOS"], path: "Benchmarks/DeadbandBench"),
        .executableTarget(name: "FormulaBench", dependencies: ["EdgeCompute", "EdgeCore", "CShim", "TestSupport", "CMallocCounter"], path: "Benchmarks/FormulaBench"),
        .executableTarget(name: "AlarmBench", dependencies: ["Agent", "Configuration", "EdgeAlarms", "EdgeCompute", "EdgeCore", "FieldBus", "RingLog", "StoreForward", "TestSupport", "CMallocCounter"], path: "Benchmarks/AlarmBench"),
        .executableTarget(name: "FieldBusBench", dependencies: ["FieldBus", "EdgeCore", "CShim", "CModbus", "TestSupport", "CMallocCounter"], path: "Benchmarks/FieldBusBench"),
        .executableTarget(name: "MQTTBench", dependencies: ["MQTT", "TLS", "EdgeCore", "CShim", "CMbedTLS", "TestSupport", "CMallocCounter"], path: "Benchmarks/MQTTBench"),
        .executableTarget(name: "OTABench", dependencies: ["OTA", "EdgeCore", "EdgeCrypto", "TLS", "CShim", "CMallocCounter"], path: "Benchmarks/OTABench"),

        // -- test targets (one line each), in the order of the modules they test --
        .testTarget(name: "EdgeCoreTests", dependencies: ["EdgeCore", "TestSupport"]),
        .testTarget(name: "EdgeCryptoTests", dependencies: ["EdgeCrypto", "TestSupport"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Logging", "EdgeCore", "CShim", "TestSupport"]),
        .testTarget(name: "BoardConfigTests", dependencies: ["BoardConfig", "EdgeCore", "TestSupport"]),
        .testTarget(name: "RingLogTests", dependencies: ["RingLog", "EdgeCore", "CShim", "TestSupport", "RingLogTestSupport"]),
        .testTarget(name: "EdgeComputeTests", dependencies: ["EdgeCompute", "EdgeCore", "TestSupport"]),
        .testTarget(name: "FieldBusTests", dependencies: ["FieldBus", "EdgeCore", "CShim", "CModbus", "TestSupport"]),
        .testTarget(name: "IEC104Tests", dependencies: ["IEC104", "FieldBus", "TLS", "EdgeCore", "CShim", "TestSupport"]),
        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "TLS", "EdgeCore", "CShim", "TestSupport"]),
        .testTarget(name: "EnOSTests", dependencies: ["EnOS", "MQTT", "TLS", "EdgeCore", "EdgeCrypto", "CShim", "TestSupport"]),
        .testTarget(name: "EdgeAlarmsTests", dependencies: ["EdgeAlarms", "EdgeCompute", "EnOS", "EdgeCore", "TestSupport"]),
        .testTarget(name: "OTATests", dependencies: ["OTA", "EdgeCore", "EdgeCrypto", "CShim", "TLS", "TestSupport"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Configuration", "EdgeAlarms", "StoreForward", "CloudLink", "EdgeCompute", "EdgeCore", "CShim", "RingLog", "FieldBus", "EnOS", "MQTT", "OTA", "TLS", "TestSupport", "RingLogTestSupport"]),
        .testTarget(name: "EdgeAgentTests", dependencies: ["EdgeCore", "TestSupport"]),
    ]
)
