#!/usr/bin/env bash
# Field bus (issue 4): polls/s against a wire-speed slave at 9600/19200/115200 baud vs a naive
# one-request-per-point poller, dead-unit cost, CPU per point, allocations per cycle.
set -euo pipefail
bin="$(swift build -c release --show-bin-path)"
swift build -c release --product FieldBusBench >/dev/null
"$bin/FieldBusBench" "${FIELDBUS_BENCH_SECONDS:-4}"
