# 32-bit ARMv7-A Linux, armel soft-float ABI (i.MX6UL class), static musl.
# Soft-float calling convention because the Embedded stdlib target armv7-none-none-eabi uses it
# (and Debian's armel musl is built for it). clang's default for both triples is the same:
# VFP instructions allowed, floats passed in core registers (softfp), so C and Swift objects agree.
SWIFT_TARGET  := armv7-none-none-eabi
CLANG_TARGET  := armv7-linux-musleabi
DEBIAN_ARCH   := armel
LIBGCC_PKG    := libgcc-12-dev-armel-cross
LIBGCC_DIR    := usr/lib/gcc-cross/arm-linux-gnueabi/12
TC_CFLAGS     :=
TC_SWIFTFLAGS :=
QEMU          := qemu-arm
