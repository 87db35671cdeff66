#!/usr/bin/env bash
# Firmware size per board: stripped, static, mbedTLS and libmodbus linked in. Budget: 1 MB
# stripped for aarch64 (issue 2).
set -euo pipefail
echo "## Firmware size"
echo
echo "Static, stripped \`out/<board>/edge-agent\` (Embedded Swift + musl + mbedTLS + libmodbus), \`make firmware BOARD=<board>\`."
echo
echo "| board | stripped bytes | KiB | budget (1 MB aarch64) |"
echo "|---|---:|---:|---|"
for board in qemu-aarch64 qemu-armv7; do
    make -s firmware BOARD=$board >/dev/null
    size=$(stat -c %s out/$board/edge-agent)
    verdict="-"
    [ "$board" = qemu-aarch64 ] && { [ "$size" -le 1048576 ] && verdict="within" || verdict="OVER"; }
    echo "| $board | $size | $(( size / 1024 )) | $verdict |"
done
