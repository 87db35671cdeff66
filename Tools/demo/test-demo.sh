#!/usr/bin/env bash
# The demo as a test: runs `make run`'s script for DEMO_SECONDS (default 55: the inverter's fan
# first fails 10 s after the devices start, and the alarm clears about 27 s later); once the
# inverter's data arrives, the cloud writes its active power limit (30 %) as the banner tells a
# user to. Fails unless the cloud simulator's record shows measurepoints of both simulated devices
# with plausible values, the write answered with 200 and the inverter's samples obeying the new
# limit, and the inverter's over-temperature alarm raised and cleared: its TSL event posted twice,
# raise then clear, each with its condition's time, the gateway status counting it meanwhile
# (Tools/demo/check_record.py --alarms), and the agent logging both. The checker is first run
# against its own good and bad records, so a checker that cannot fail fails here.
#
# usage: Tools/demo/test-demo.sh <edge-agent binary>
set -euo pipefail
agent="${1:?usage: Tools/demo/test-demo.sh <edge-agent binary>}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${EDGE_PYTHON:-python3}"
limit=30

"$python" "$root/Tools/demo/check_record.py" --self-test >/dev/null \
    || { "$python" "$root/Tools/demo/check_record.py" --self-test; echo "test-demo: the checker's self-test failed"; exit 1; }

dir="$(mktemp -d "${TMPDIR:-/tmp}/edge-demo-test.XXXXXX")"
failed() {
    echo "test-demo: FAILED: $*; the demo's last lines:"
    tail -25 "$dir/demo.out" | cut -c1-300 | sed 's/^/    /'
    echo "test-demo: files kept in $dir"
    exit 1
}

DEMO_SECONDS="${DEMO_SECONDS:-55}" DEMO_DIR="$dir" "$root/Tools/demo.sh" "$agent" >"$dir/demo.out" 2>&1 &
demo=$!

# The write, once the inverter's data flows (its samples before and after it are both checked).
injected=0
for _ in $(seq 1 150); do
    sleep 0.1
    kill -0 "$demo" 2>/dev/null || break
    grep -q 'demo-inverter-1 @' "$dir/cloud.log" 2>/dev/null || continue
    control="$(sed -n 's/^READY .*control=\([0-9]*\).*/\1/p' "$dir/cloud.log")"
    [ -n "$control" ] || break
    reply="$(printf '{"cmd":"inject","productKey":"demoInverterPK","deviceKey":"demo-inverter-1","method":"thing.service.measurepoint.set","params":{"activePowerLimit":%d}}\n' "$limit" \
        | timeout 5 socat - "TCP:127.0.0.1:$control" || true)"
    case "$reply" in *'"ok":true'*) injected=1;; *) echo "test-demo: inject answered: $reply";; esac
    break
done

status=0
wait "$demo" || status=$?
[ "$status" = 0 ] || failed "Tools/demo.sh exited with status $status"
[ "$injected" = 1 ] || failed "the write could not be sent (no inverter data within 15 s, or no control channel)"
"$python" "$root/Tools/demo/check_record.py" "$dir/cloud-record.jsonl" --limit "$limit" \
    --alarms "$root/Tools/demo/demo-config.json" || failed "the cloud record"
# What the operator sees of the alarm: the agent's log lines, and no event refused by the cloud.
for what in raised cleared; do
    grep -q "alarm inverter1-over-temperature $what (major" "$dir/demo.out" \
        || failed "the agent did not log 'alarm inverter1-over-temperature $what'"
done
grep -q '\[cloud\] *event overTemperature ' "$dir/demo.out" || failed "the cloud simulator did not print the alarm's event"
# The products' models (Tools/demo/set_models.py) cover every point: the agent's model check has
# nothing to warn about (a warning here means a point the demo posts is missing from its model).
if grep -q 'model check:.*\(left out of posts\|could not be fetched\|does not parse\)' "$dir/demo.out"; then
    failed "the agent's TSL model check warned: $(grep -m1 'model check:' "$dir/demo.out" | cut -c1-300)"
fi
grep -q 'tsltemplate.get' "$dir/cloud-record.jsonl" || failed "the agent did not fetch the products' TSL models"
rm -rf "$dir"
echo "test-demo: ok"
