#!/usr/bin/env bash
# The demo as a test: runs `make run`'s script for DEMO_SECONDS (default 25) and fails unless the
# cloud simulator's record shows measurepoints of both simulated devices with plausible values
# (Tools/demo/check_record.py). The checker is first run against its own good and bad records, so
# a checker that cannot fail fails here.
#
# usage: Tools/demo/test-demo.sh <edge-agent binary>
set -euo pipefail
agent="${1:?usage: Tools/demo/test-demo.sh <edge-agent binary>}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${EDGE_PYTHON:-python3}"

"$python" "$root/Tools/demo/check_record.py" --self-test >/dev/null \
    || { "$python" "$root/Tools/demo/check_record.py" --self-test; echo "test-demo: the checker's self-test failed"; exit 1; }

dir="$(mktemp -d "${TMPDIR:-/tmp}/edge-demo-test.XXXXXX")"
status=0
DEMO_SECONDS="${DEMO_SECONDS:-25}" DEMO_DIR="$dir" "$root/Tools/demo.sh" "$agent" >"$dir/demo.out" 2>&1 || status=$?
if [ "$status" != 0 ]; then
    echo "test-demo: FAILED: Tools/demo.sh exited with status $status; its last lines:"
    tail -25 "$dir/demo.out" | sed 's/^/    /'
    echo "test-demo: files kept in $dir"
    exit 1
fi
if ! "$python" "$root/Tools/demo/check_record.py" "$dir/cloud-record.jsonl"; then
    echo "test-demo: FAILED; the demo's last lines:"
    tail -25 "$dir/demo.out" | sed 's/^/    /'
    echo "test-demo: files kept in $dir"
    exit 1
fi
rm -rf "$dir"
echo "test-demo: ok"
