#!/bin/sh
# The firmware as if it were a host program: runs a board's static firmware under qemu-user, for
# tests and benchmarks that start `edge-agent` by path (EDGE_AGENT_BINARY=Tools/qemu-agent.sh).
# exec, so that this process IS qemu: a signal sent to it (SIGTERM, SIGHUP, SIGINT) reaches qemu,
# which delivers it to the guest; SIGKILL ends qemu and the guest with it; the guest's exit status
# (or its fatal signal, which qemu re-raises on itself) is this process's.
#
# usage: Tools/qemu-agent.sh <edge-agent arguments>
#   EDGE_FIRMWARE   the firmware binary (default: out/qemu-aarch64/edge-agent of this checkout)
#   QEMU            the qemu-user program (default: qemu-aarch64)
root="$(cd "$(dirname "$0")/.." && pwd)"
firmware="${EDGE_FIRMWARE:-$root/out/qemu-aarch64/edge-agent}"
qemu="${QEMU:-qemu-aarch64}"
if [ ! -x "$firmware" ]; then
    echo "qemu-agent: no firmware at $firmware (make firmware BOARD=qemu-aarch64)" >&2
    exit 127
fi
exec "$qemu" "$firmware" "$@"
