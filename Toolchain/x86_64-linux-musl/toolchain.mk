# x86_64 Linux, static musl: a PC gateway, and a quick way to run the firmware natively.
# The bare-metal Embedded stdlib, as on ARM: os(none), and no glibc module lookup (the
# x86_64-unknown-linux-gnu one works too but warns "libc not found" and makes os(Linux) true).
SWIFT_TARGET  := x86_64-unknown-none-elf
CLANG_TARGET  := x86_64-linux-musl
DEBIAN_ARCH   := amd64
LIBGCC_PKG    := libgcc-12-dev:amd64
LIBGCC_DIR    := usr/lib/gcc/x86_64-linux-gnu/12
TC_CFLAGS     :=
TC_SWIFTFLAGS :=
QEMU          :=
