#!/usr/bin/env bash
# Firmware size per board: stripped, static, mbedTLS and libmodbus linked in, and its largest
# parts (from the link map and the symbol table). Budget: 1 MB stripped for aarch64 (issue 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
boards="${FIRMWARE_SIZE_BOARDS:-qemu-aarch64 qemu-armv7}"
NM=/opt/swift/usr/bin/llvm-nm
DEMANGLE=/opt/swift/usr/bin/swift-demangle
for board in $boards; do make -s firmware BOARD=$board >/dev/null; done

echo "## Firmware size"
echo
echo "Static, stripped \`out/<board>/edge-agent\` (Embedded Swift + musl + mbedTLS + libmodbus), \`make firmware BOARD=<board>\`;"
echo "mbedTLS configured by Toolchain/mbedtls-firmware.conf. Details: \`make size\`."
echo
echo "| board | stripped bytes | KiB | budget (1 MB aarch64) |"
echo "|---|---:|---:|---|"
for board in $boards; do
    size=$(stat -c %s out/$board/edge-agent)
    verdict="-"
    [ "$board" = qemu-aarch64 ] && { [ "$size" -le 1048576 ] && verdict="within ($(( (1048576 - size) / 1024 )) KiB left)" || verdict="OVER"; }
    echo "| $board | $size | $(( size / 1024 )) | $verdict |"
done
for board in $boards; do
    map=out/$board/edge-agent.map
    [ -f "$map" ] || continue
    echo
    echo "### Largest parts: $board"
    echo
    echo "Bytes in allocated sections per input (link map; with LTO, the default, every Swift module is in"
    echo "one object, edge-agent.debug.lto.o), the same by module, and the largest symbols."
    echo
    echo "| input | bytes | share |"
    echo "|---|---:|---:|"
    python3 Toolchain/map-summary.py "$map" | awk 'NR == 1 { total = $1; next }
        NR <= 13 { printf "| %s | %d | %.1f%% |\n", $2, $1, 100 * $1 / total }
        END { printf "| (all, %d inputs) | %d | 100%% |\n", NR - 1, total }'
    echo
    echo "By module (symbol sizes: \`nm -S\` on edge-agent.debug, a Swift symbol counted for the module its"
    echo "mangled name starts in, a C symbol for its library; Tools/bench.d/module_sizes.py). With LTO the"
    echo "link map sees one object, so this is where a feature's size shows (EdgeCompute: the formulas)."
    echo
    echo "| module | bytes | share |"
    echo "|---|---:|---:|"
    python3 Tools/bench.d/module_sizes.py "$NM" out/$board/edge-agent.debug \
        --feature "Edge computing (issue 13; goal: at most 40 KB on aarch64)" EdgeCompute \
        'ComputePlan|PointComputation|PointTrace|PointWindow|DerivedPoint|Formula|Computation|Window|Deadband' \
        pow,exp,log,__pow_log_data,__exp_data,__log_data
    echo
    echo "| symbol | bytes |"
    echo "|---|---:|"
    # awk, not head: under pipefail, head closing the pipe early would fail the script (SIGPIPE).
    $NM --size-sort -S -r --radix=d out/$board/edge-agent.debug | awk 'NR <= 10 { print $2 + 0, $4 }' |
        $DEMANGLE --simplified | { c++filt 2>/dev/null || cat; } |
        awk '{ n = $1; $1 = ""; sub(/^ +/, ""); gsub(/\|/, "\\|"); printf "| `%s` | %d |\n", substr($0, 1, 90), n }'
done
