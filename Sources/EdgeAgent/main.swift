import CShim

// The entry point. The host build (SwiftPM) runs this file's top-level code; the firmware build
// compiles the module with -parse-as-library and -D EDGE_FIRMWARE, where `main` below is the C
// entry point (Embedded Swift has no CommandLine).
#if EDGE_FIRMWARE
@_cdecl("main")
func firmwareMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    AgentCommand.run(arguments: AgentCommand.arguments(argc: argc, argv: argv))
}
#else
exit(AgentCommand.run(arguments: AgentCommand.arguments(argc: CommandLine.argc, argv: CommandLine.unsafeArgv)))
#endif
