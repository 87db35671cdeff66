import OTA
import Testing

/// The in-place variable codec: terminator, sorted insertion, replacement, removal, limits.
@Suite struct BootVariablesTests {
    final class Area {
        let buffer: UnsafeMutableRawBufferPointer
        init(_ size: Int) {
            buffer = .allocate(byteCount: size, alignment: 1)
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
        }
        deinit { buffer.deallocate() }
        var vars: BootVariables { BootVariables(data: buffer) }
        func set(_ n: String, _ v: String?) throws(BootEnvironmentError) {
            let name = Array(n.utf8), value = v.map { Array($0.utf8) }
            let nb = UnsafeMutableRawBufferPointer.allocate(byteCount: max(name.count, 1), alignment: 1)
            let vb = UnsafeMutableRawBufferPointer.allocate(byteCount: max(value?.count ?? 0, 1), alignment: 1)
            defer { nb.deallocate(); vb.deallocate() }
            for (i, b) in name.enumerated() { nb[i] = b }
            for (i, b) in (value ?? []).enumerated() { vb[i] = b }
            try vars.set(UnsafeRawBufferPointer(rebasing: nb[0..<name.count]),
                         value.map { UnsafeRawBufferPointer(rebasing: vb[0..<$0.count]) })
        }
        var text: String {
            let used = vars.usedBytes
            return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<used]), as: UTF8.self)
        }
        var tailIsZero: Bool { buffer[vars.usedBytes...].allSatisfy { $0 == 0 } }
    }

    @Test func emptyAreaHasTerminatorAtZero() {
        let a = Area(16)
        #expect(a.vars.terminator() == 0)
        #expect(a.vars.usedBytes == 1)
    }

    @Test func newNamesAreInsertedInStrcmpOrder() throws {
        let a = Area(128)
        try a.set("b", "2"); try a.set("BOOT_ORDER", "A B"); try a.set("a", "1"); try a.set("c", "3")
        #expect(a.text == "BOOT_ORDER=A B\0a=1\0b=2\0c=3\0\0")
    }

    @Test func replacingKeepsThePlaceAndZeroesFreedBytes() throws {
        let a = Area(64)
        try a.set("a", "1111"); try a.set("b", "2")
        try a.set("a", "9")
        #expect(a.text == "a=9\0b=2\0\0")
        #expect(a.tailIsZero)
        try a.set("a", "123456")
        #expect(a.text == "a=123456\0b=2\0\0")
    }

    @Test func removingDeletesOnlyThatEntry() throws {
        let a = Area(64)
        try a.set("ab", "1"); try a.set("a", "2"); try a.set("abc", "3")
        try a.set("ab", nil)
        #expect(a.text == "a=2\0abc=3\0\0")
        #expect(a.tailIsZero)
        try a.set("missing", nil)
        #expect(a.text == "a=2\0abc=3\0\0")
    }

    @Test func aNameIsNotMatchedByItsPrefix() throws {
        let a = Area(64)
        try a.set("BOOT_A_LEFT_X", "9")
        try a.set("BOOT_A_LEFT", "3")
        #expect(a.text == "BOOT_A_LEFT=3\0BOOT_A_LEFT_X=9\0\0")
    }

    @Test func refusesBadNamesAndFullAreas() throws {
        let a = Area(12)
        #expect(throws: BootEnvironmentError.invalidName) { try a.set("", "x") }
        #expect(throws: BootEnvironmentError.invalidName) { try a.set("a=b", "x") }
        try a.set("a", "12345678")             // 10 bytes + terminator = 11
        #expect(throws: BootEnvironmentError.full(needed: 17, capacity: 12)) { try a.set("b", "12") }
        #expect(throws: BootEnvironmentError.full(needed: 14, capacity: 12)) { try a.set("a", "1234567890") }
        #expect(a.text == "a=12345678\0\0")
    }

    @Test func unterminatedAreaIsDetected() {
        let a = Area(4)
        for i in 0..<4 { a.buffer[i] = UInt8(ascii: "x") }
        #expect(a.vars.terminator() == nil)
        #expect(throws: BootEnvironmentError.self) { try a.set("a", "1") }
    }
}
