#!/usr/bin/env bash
# Ring log (issue 3): appends/s, MB/s, write amplification, recovery of 64 MiB, allocations.
set -euo pipefail
bin="$(swift build -c release --show-bin-path)"
swift build -c release --product RingLogBench >/dev/null
"$bin/RingLogBench"
