# 64-bit ARM Linux (Cortex-A53/A72 class: Raspberry Pi CM4, i.MX8), static musl.
SWIFT_TARGET  := aarch64-none-none-elf
CLANG_TARGET  := aarch64-linux-musl
DEBIAN_ARCH   := arm64
# libgcc.a for the link (soft integer/float helpers, __aarch64_* outline atomics).
LIBGCC_PKG    := libgcc-12-dev-arm64-cross
LIBGCC_DIR    := usr/lib/gcc-cross/aarch64-linux-gnu/12
TC_CFLAGS     :=
TC_SWIFTFLAGS :=
QEMU          := qemu-aarch64
