import Foundation
import Testing

/// Tools/install-host-deps.sh on a stock Debian 12 (what `make test` and `make run` run first):
/// the system python3 comes without pip and is "externally managed" (PEP 668), so the script
/// installs python3-pip (and python3-cryptography for the OTA tools) with apt and passes
/// --break-system-packages to pip for that interpreter only. Run against a recording stand-in
/// for pip and dpkg-query (nothing is installed), with the real interpreters answering the
/// PEP 668 question.
@Suite(.serialized) struct HostDepsScriptTests {
    struct Run {
        var pipArguments: [String]
        var aptChecked: [String]
        var status: Int32
        var output: String
    }

    /// Runs the script with PYTHON = a wrapper around `python` that records `-m pip` calls and
    /// reports every pip package missing, and a dpkg-query that reports every package installed.
    static func run(python: String) throws -> Run {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostdeps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pipRecord = dir.appendingPathComponent("pip.txt"), aptRecord = dir.appendingPathComponent("apt.txt")
        let fakePython = dir.appendingPathComponent("python")
        try """
        #!/bin/bash
        if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then shift 2; printf '%s\\n' "$@" > '\(pipRecord.path)'; exit 0; fi
        case "$2" in *importlib.metadata*) exit 1;; esac
        exec '\(python)' "$@"
        """.write(to: fakePython, atomically: true, encoding: .utf8)
        let fakeDpkg = dir.appendingPathComponent("dpkg-query")
        try """
        #!/bin/bash
        echo "${@: -1}" >> '\(aptRecord.path)'
        echo "install ok installed"
        """.write(to: fakeDpkg, atomically: true, encoding: .utf8)
        for f in [fakePython, fakeDpkg] { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: f.path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [AgentBinaryTests.packageRoot.appendingPathComponent("Tools/install-host-deps.sh").path]
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = dir.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["PYTHON"] = fakePython.path
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let lines = { (url: URL) in ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        return Run(pipArguments: lines(pipRecord), aptChecked: lines(aptRecord), status: p.terminationStatus, output: output)
    }

    /// Debian 12's /usr/bin/python3 carries the EXTERNALLY-MANAGED marker (the supported host).
    @Test func debiansOwnPythonGetsPipWithBreakSystemPackages() throws {
        let r = try Self.run(python: "/usr/bin/python3")
        #expect(r.status == 0, "\(r.output)")
        #expect(r.pipArguments.first == "install", "\(r.pipArguments)")
        #expect(r.pipArguments.contains("--break-system-packages"), "\(r.pipArguments)")
        #expect(r.pipArguments.contains("pymodbus==3.6.9"), "\(r.pipArguments)")
        #expect(r.aptChecked.contains("python3-pip") && r.aptChecked.contains("python3-cryptography"), "\(r.aptChecked)")
    }

    @Test func aVirtualEnvironmentIsNotForcedPastPEP668() throws {
        let venv = FileManager.default.temporaryDirectory.appendingPathComponent("hostdeps-venv-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: venv) }
        let made = Process()
        made.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        made.arguments = ["-m", "venv", "--without-pip", venv.path]
        try made.run()
        made.waitUntilExit()
        try #require(made.terminationStatus == 0, "python3 -m venv failed (python3-venv missing?)")
        let r = try Self.run(python: venv.appendingPathComponent("bin/python").path)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.pipArguments.first == "install", "\(r.pipArguments)")
        #expect(!r.pipArguments.contains("--break-system-packages"), "\(r.pipArguments)")
    }
}
