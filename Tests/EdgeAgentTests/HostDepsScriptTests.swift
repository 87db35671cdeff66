import Foundation
import Testing
import TestSupport

/// Tools/install-host-deps.sh (what `make test` and `make run` run first) on a stock Debian 12,
/// whose python3 has neither pip nor venv and is "externally managed" (PEP 668): the script asks
/// apt for python3-venv and puts the pinned Python packages into a virtual environment under the
/// build directory (EDGE_VENV), never into the system's python3. Run for real (the real
/// interpreter, venv and pip) with a stand-in dpkg-query that reports every Debian package
/// installed and records which were asked about.
@Suite(.serialized) struct HostDepsScriptTests {
    struct Run {
        var aptChecked: [String]
        var status: Int32
        var output: String
    }

    static func run(venv: URL, in dir: URL) throws -> Run {
        let aptRecord = dir.appendingPathComponent("apt.txt")
        let fakeDpkg = dir.appendingPathComponent("dpkg-query")
        try """
        #!/bin/bash
        echo "${@: -1}" >> '\(aptRecord.path)'
        echo "install ok installed"
        """.write(to: fakeDpkg, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fakeDpkg.path)
        try? FileManager.default.removeItem(at: aptRecord)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = dir.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["EDGE_VENV"] = venv.path
        env["EDGE_BASE_PYTHON"] = "/usr/bin/python3"
        let (status, output) = try ChildProcess.run(
            "/bin/bash", [ChildProcess.packageRoot.appendingPathComponent("Tools/install-host-deps.sh").path], environment: env)
        let apt = ((try? String(contentsOf: aptRecord, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        return Run(aptChecked: apt, status: status, output: output)
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostdeps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func thePythonPackagesGoIntoAVirtualEnvironmentOnceAndImportThere() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let venv = dir.appendingPathComponent("build/venv")
        let first = try Self.run(venv: venv, in: dir)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.aptChecked.contains("python3-venv") && first.aptChecked.contains("python3-cryptography"), "\(first.aptChecked)")
        #expect(first.output.contains("python3 -m venv \(venv.path)"), "\(first.output)")
        #expect(first.output.contains("pip install") && first.output.contains("pymodbus==3.6.9") && first.output.contains("(into \(venv.path))"),
                "\(first.output)")
        #expect(!first.output.contains("--break-system-packages"), "\(first.output)")

        // Every package the tests import is the environment's own, at its pinned version.
        let check = try ChildProcess.run(venv.appendingPathComponent("bin/python3").path, ["-c", """
            import sys, importlib.metadata as m
            import pymodbus, serial, c104, paho.mqtt.client, cryptography, certifi
            assert sys.prefix != sys.base_prefix, "not a virtual environment"
            assert pymodbus.__file__.startswith(sys.prefix), pymodbus.__file__
            print(m.version("pymodbus"), m.version("c104"), m.version("enos-mqtt-sdk-python"))
            """])
        let printed = check.output
        #expect(check.status == 0, "\(printed)")
        #expect(printed.hasPrefix("3.6.9 2.2.1 0.1.1"), "\(printed)")

        // A second run finds everything in place and installs nothing.
        let second = try Self.run(venv: venv, in: dir)
        #expect(second.status == 0, "\(second.output)")
        #expect(!second.output.contains("pip install") && !second.output.contains("-m venv"), "\(second.output)")
    }

    @Test func aDirectoryThatIsNotAVirtualEnvironmentIsRefusedAndLeftAlone() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let venv = dir.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: venv, withIntermediateDirectories: true)
        let kept = venv.appendingPathComponent("keep.txt")
        try "mine".write(to: kept, atomically: true, encoding: .utf8)
        let r = try Self.run(venv: venv, in: dir)
        #expect(r.status != 0, "\(r.output)")
        #expect(r.output.contains("\(venv.path) exists and is not a virtual environment"), "\(r.output)")
        #expect(FileManager.default.fileExists(atPath: kept.path))
    }
}
