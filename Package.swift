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
        // -- module targets (one line each, in dependency order: a module after everything it imports) --
        .target(name: "Logging", dependencies: ["EdgeCore", "CShim"]),
        .target(name: "Console", dependencies: ["EdgeCore", "CShim", "Logging"]),
        .target(name: "BoardConfig", dependencies: ["EdgeCore"]),
        .target(name: "RingLog", dependencies: ["EdgeCore", "CShim"], exclude: ["README.md"]),
        .target(name: "EdgeCompute", dependencies: ["EdgeCore", "CShim"], exclude: ["README.md"], linkerSettings: [.linkedLibrary("m")]),
        .target(name: "MQTT", dependencies: ["EdgeCore", "CShim"]),
        .target(name: "MQTTTLS", dependencies: ["MQTT", "EdgeCore", "CShim", "CMbedTLS"]),
        .target(name: "EnOS", dependencies: ["EdgeCore", "EdgeCrypto", "MQTT", "CShim"]),
        .target(name: "OTA", dependencies: ["EdgeCore", "EdgeCrypto", "CShim", "MQTT", "MQTTTLS"], exclude: ["README.md"]),
        .target(name: "FieldBus", dependencies: ["EdgeCore", "CShim", "CModbus"], exclude: ["README.md"]),
        .target(name: "Configuration", dependencies: ["EdgeCore", "CShim", "EnOS", "FieldBus", "Logging", "MQTTTLS", "OTA", "RingLog"], exclude: ["CONFIG.md"]),
        .target(name: "StoreForward", dependencies: ["Configuration", "EdgeCore", "FieldBus", "RingLog"], exclude: ["README.md"]),
        .target(name: "CloudLink", dependencies: ["Configuration", "StoreForward", "EdgeCore", "EnOS", "FieldBus", "Logging", "MQTT", "MQTTTLS", "OTA"], exclude: ["README.md"]),
        .target(name: "Agent", dependencies: ["EdgeCore", "CShim", "RingLog", "FieldBus", "MQTT", "MQTTTLS", "BoardConfig", "EnOS", "OTA", "Logging", "Console", "Configuration", "StoreForward", "CloudLink"], exclude: ["README.md"]),
        // -- benchmarks --
        .executableTarget(name: "OTABench", dependencies: ["OTA", "EdgeCore", "EdgeCrypto", "MQTT", "MQTTTLS", "CShim", "CMallocCounter"], path: "Benchmarks/OTABench"),
        .executableTarget(name: "FormulaBench", dependencies: ["EdgeCompute", "EdgeCore", "CShim", "TestSupport", "CMallocCounter"], path: "Benchmarks/FormulaBench"),
        .executableTarget(name: "RingLogBench", dependencies: ["RingLog", "EdgeCore", "CShim", "TestSupport"], path: "Benchmarks/RingLogBench"),
        .executableTarget(name: "MQTTBench", dependencies: ["MQTT", "MQTTTLS", "EdgeCore", "CShim", "CMbedTLS", "TestSupport", "CMallocCounter"], path: "Benchmarks/MQTTBench"),
        .executableTarget(name: "FieldBusBench", dependencies: ["FieldBus", "EdgeCore", "CShim", "CModbus", "TestSupport", "CMallocCounter"], path: "Benchmarks/FieldBusBench"),
        .executableTarget(
            name: "EdgeAgent",
            dependencies: ["EdgeCore", "EdgeCrypto", "CShim", "CModbus", "CMbedTLS", "OTA", "RingLog", "BoardConfig", "FieldBus", "MQTT", "MQTTTLS", "Configuration", "StoreForward", "CloudLink", "Agent"]
        ),

        // Test-only: counts malloc/calloc/realloc/posix_memalign per thread (interposition).
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .target(name: "TestSupport", dependencies: ["CMallocCounter", "EdgeCore"], path: "Tests/TestSupport"),
        .testTarget(name: "EdgeCoreTests", dependencies: ["EdgeCore", "TestSupport"]),
        .testTarget(name: "EdgeCryptoTests", dependencies: ["EdgeCrypto", "TestSupport"]),
        .testTarget(name: "EdgeAgentTests", dependencies: ["EdgeCore", "TestSupport"]),
        // -- test targets (one line each) --
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Logging", "EdgeCore", "CShim", "TestSupport"]),
        .testTarget(name: "EnOSTests", dependencies: ["EnOS", "MQTT", "MQTTTLS", "EdgeCore", "EdgeCrypto", "CShim", "TestSupport"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Configuration", "StoreForward", "CloudLink", "EdgeCore", "CShim", "RingLog", "FieldBus", "EnOS", "MQTT", "OTA", "TestSupport"]),
        .testTarget(name: "BoardConfigTests", dependencies: ["BoardConfig", "EdgeCore", "TestSupport"]),
        .testTarget(name: "EdgeComputeTests", dependencies: ["EdgeCompute", "EdgeCore", "TestSupport"]),
        .testTarget(name: "RingLogTests", dependencies: ["RingLog", "EdgeCore", "CShim", "TestSupport"]),
        .testTarget(name: "OTATests", dependencies: ["OTA", "EdgeCore", "EdgeCrypto", "CShim", "MQTT", "MQTTTLS", "TestSupport"]),
        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "MQTTTLS", "EdgeCore", "CShim", "TestSupport"]),
        .testTarget(name: "FieldBusTests", dependencies: ["FieldBus", "EdgeCore", "CShim", "CModbus", "TestSupport"]),
    ]
)
