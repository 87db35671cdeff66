#!/usr/bin/env bash
# Ring log (issue 3): appends/s, MB/s, write amplification, recovery of 64 MiB, allocations.
set -euo pipefail
bin="$(swift build -c release --show-bin-path)"
swift build -c release --product RingLogBench >/dev/null
echo "## Ring log (issue 3)"
echo
echo "RingLogBench: 64 MiB log, appends with a sync every 100 ms, on the in-memory flash device and"
echo "on a file device, beside plain write(2) + fdatasync; recovery of a full log."
echo
"$bin/RingLogBench"
