#!/usr/bin/env bash
# Builds a qemu-aarch64 firmware whose OTA key is the TEST key (for the boot simulator and
# upgrade tests under qemu), without touching the tree: `make firmware OTA_KEY=<test key>` into
# OUTDIR. The key, like the version and the revision, is linked in (firmware.mk, "identity"), so
# this shares the board's firmware build (build/firmware/<board>) and is a relink of its objects,
# not a second compilation of every module.
#   usage: Tests/OTAFixtures/build-test-firmware.sh OUTDIR [BOARD [VERSION]]
#          → OUTDIR/edge-agent, or with VERSION OUTDIR/v<VERSION>/edge-agent
# VERSION: the firmware's own version (BuildInfo.version, `edge-agent version`) instead of the
# VERSION file's, to play a real next release in the upgrade tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
board="${2:-qemu-aarch64}"
version="${3:-}"
key="$root/Tests/OTAFixtures/Keys/test-signing-key.der"
if [ -n "$version" ]; then
    make -C "$root" --no-print-directory firmware BOARD="$board" OTA_KEY="$key" FW_OUT="$out/v$version" \
        FW_VERSION="$version" >&2
    echo "$out/v$version/edge-agent"
else
    make -C "$root" --no-print-directory firmware BOARD="$board" OTA_KEY="$key" FW_OUT="$out" >&2
    echo "$out/edge-agent"
fi
