// A fix to the Embedded Swift runtime, compiled into the 64-bit firmware only (EDGE_FIRMWARE; the
// host links Swift's C++ runtime, which is correct, and 32-bit targets make no bridge-object calls).
//
// Embedded Swift 6.3's swift_bridgeObjectRetain and swift_bridgeObjectRetain_n (EmbeddedRuntime.swift)
// retain the object under the bridge-object mask (0x8fff_ffff_ffff_fff8) and return that *masked*
// value, while the runtime's contract is to return the argument unchanged, and Swift's LLVM ARC
// optimiser relies on it: it may replace later uses of the argument with the call's result. For a
// small String the mask clears the discriminator's small bit, so at such a call site the string
// becomes a "native" one whose storage pointer is its own bytes, and the next uniqueness check
// loads through it. That was the SIGSEGV of the early --lto-O2 firmware (issue 17 item 1: String +
// in AgentRunner.runOnce, on the EnOS client id; it came and went with unrelated code changes
// because only some call sites get rewritten). Fixed upstream in swiftlang/swift#91151
// (2026-07-31), not in the 6.3.1 toolchain used here.
//
// firmware.mk links with --wrap for both symbols, so every call, from Swift or C, comes here: the
// stdlib's own implementation does the retain, and the argument is returned as the contract says.
// `edge-agent selftest` checks it (edge_bridge_object_retain_returns_argument).
#include <stdint.h>

#if defined(EDGE_FIRMWARE) && UINTPTR_MAX > 0xffffffffu

void *__real_swift_bridgeObjectRetain(void *object);
void *__real_swift_bridgeObjectRetain_n(void *object, uint32_t n);
void *__wrap_swift_bridgeObjectRetain(void *object);
void *__wrap_swift_bridgeObjectRetain_n(void *object, uint32_t n);
void *swift_bridgeObjectRetain(void *object);
int edge_bridge_object_retain_returns_argument(void);

void *__wrap_swift_bridgeObjectRetain(void *object) {
    (void)__real_swift_bridgeObjectRetain(object);
    return object;
}

void *__wrap_swift_bridgeObjectRetain_n(void *object, uint32_t n) {
    (void)__real_swift_bridgeObjectRetain_n(object, n);
    return object;
}

int edge_bridge_object_retain_returns_argument(void) {
    // The bits of a small ASCII String of 12 bytes ("demo-gateway": 0xEC, count 12, then "eway").
    // Bit 63 is set, so the runtime retains nothing and never dereferences it (nothing to release).
    void *volatile small = (void *)(uintptr_t)0xEC00000079617765u;
    return swift_bridgeObjectRetain(small) == small;
}
#elif defined(EDGE_FIRMWARE)
int edge_bridge_object_retain_returns_argument(void);
// 32-bit: a String holds no bridge object and the firmware makes no bridge-object calls: -1, not
// applicable (selftest says so).
int edge_bridge_object_retain_returns_argument(void) { return -1; }
#endif
