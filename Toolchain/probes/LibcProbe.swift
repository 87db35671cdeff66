// A firmware-only check, linked exactly like the firmware (same C objects, libraries and libc) and
// run under qemu by `make firmware-test`: the parts of the Embedded Swift standard library that
// need libc functions musl lacks (Dictionary/Set hash seeding and SystemRandomNumberGenerator call
// arc4random_buf, provided by Sources/CShim/firmware_libc.c). Prints `libc-probe: ok`.

@_cdecl("main")
func libcProbeMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var failures = 0
    func check(_ name: String, _ ok: Bool) {
        print(ok ? "ok   \(name)" : "FAIL \(name)")
        if !ok { failures += 1 }
    }

    var points: [String: Int] = [:]
    for i in 0..<500 { points["point-\(i)"] = i * 3 }
    points["point-7"] = nil
    var sum = 0
    for (_, value) in points { sum += value }
    check("dictionary", points.count == 499 && points["point-499"] == 1497 && points["point-7"] == nil
        && sum == 3 * (499 * 500 / 2) - 21)

    var units = Set<UInt8>()
    for i in 0..<1000 { units.insert(UInt8(truncatingIfNeeded: i * 7)) }
    check("set", units.count == 256 && units.contains(0) && units.contains(255))

    // Two seeds from the kernel are equal once in 2^64: a constant source would show here.
    var generator = SystemRandomNumberGenerator()
    let a = generator.next()
    let b = generator.next()
    let r = Int.random(in: 10..<20)
    check("random", a != b && r >= 10 && r < 20)

    check("unicode", "e\u{301}" == "\u{e9}" && "Grüße".count == 5)

    print(failures == 0 ? "libc-probe: ok" : "libc-probe: FAILED")
    return failures == 0 ? 0 : 1
}
