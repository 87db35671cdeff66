#!/usr/bin/env bash
# Remote configuration (issue 15): time from `thing.service.applyConfiguration` to the new
# configuration polling, and the samples lost across an apply. The release build of `edge-agent run`
# polls 1,000 points (10 devices × 100 holding registers, every 1 s, one Modbus TCP connection) of a
# pymodbus slave whose register 0 numbers every read of a device, and publishes through the EnOS
# cloud simulator's proxy to mosquitto on loopback. Then, APPLY_BENCH_RUNS times (default 5), a bundle
# signed with the test key (Tests/OTAFixtures/Keys, given to the host build with --ota-key) renames
# one point of the template (p99 -> v<K>) and is sent inline through the simulator; measured from
# the call's sending (the control command): the reply, and the first sample carrying v<K> (its
# arrival in the simulator's record and its own time stamp). Samples lost: gaps in each device's
# read numbers (p0) over the whole run. Between applies the agent passes its trial and runs 5 s.
# Goals: median time to the new configuration's first sample ≤ 5 s, no sample lost; exits 1 when
# either is missed. Environment: AGENT_BENCH_BINARY (default: the release build), APPLY_BENCH_RUNS, EDGE_PYTHON.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python="${EDGE_PYTHON:-python3}"
helper="$root/Tools/bench.d/config_apply_bench.py"
agent="${AGENT_BENCH_BINARY:-$(swift build -c release --show-bin-path)/edge-agent}"
runs="${APPLY_BENCH_RUNS:-5}"
keys="$root/Tests/OTAFixtures/Keys"
devices=10
goal_ms=5000

echo "## Remote configuration: apply from the cloud (issue 15)"
echo
if ! "$agent" help 2>&1 | grep -qE '^ +run( |$)'; then
    echo "Not measured: \`$agent\` has no \`run\` command (build it: \`swift build -c release --product edge-agent\`)."
    exit 0
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/apply-bench.XXXXXX")"
groups=()
cleanup() {
    for pid in "${groups[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${groups[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${APPLY_BENCH_KEEP:-}" ] && echo "90-config-apply: kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT
log() { echo "90-config-apply: $*" >&2; }
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
wait_for() {  # seconds command...: until the command succeeds
    local tenths=$(( $1 * 10 )); shift
    until "$@" 2>/dev/null; do
        [ "$tenths" -gt 0 ] || return 1
        sleep 0.1; tenths=$((tenths - 1))
    done
}
json() { "$python" -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

broker_port="$(free_port)"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nset_tcp_nodelay true\n' "$broker_port" > "$dir/mosquitto.conf"
setsid mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 & groups+=("$!")
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$broker_port"

subs=()
for u in $(seq 1 "$devices"); do subs+=(--sub-device "benchPK:bench-dev-$u:bench-dev-$u-secret"); done
setsid "$python" "$root/Tests/CloudSimulator/enos_cloud.py" --broker-port "$broker_port" --listen-port 0 --control-port 0 \
    --gateway benchGatewayPK:bench-gateway:bench-secret "${subs[@]}" --record "$dir/record.jsonl" >"$dir/cloud.log" 2>&1 &
groups+=("$!")
wait_for 10 grep -q '^READY' "$dir/cloud.log"
cloud_port="$(sed -n 's/^READY listen=\([0-9]*\).*/\1/p' "$dir/cloud.log")"
control_port="$(sed -n 's/^READY.* control=\([0-9]*\).*/\1/p' "$dir/cloud.log")"

modbus_port="$(free_port)"
setsid "$python" "$helper" slave --tcp "$modbus_port" --units "$devices" >"$dir/slave.log" 2>&1 & groups+=("$!")
wait_for 10 grep -q READY "$dir/slave.log"

# The agent benchmark's configuration at the agent's defaults (publishing, ring log), logging at info.
config="$dir/agent.json"
"$python" "$root/Tools/bench.d/agent_bench.py" config --out "$config" --points $((devices * 100)) --modbus-port "$modbus_port" \
    --mqtt-port "$cloud_port" --ring "$dir/ring.log" --ring-size 32MiB --defaults
"$python" "$helper" prepare "$config"
cp "$config" "$dir/running.json"
setsid "$agent" run --config "$config" --ota-key "$keys/test-signing-key.der" >"$dir/agent.log" 2>&1 & agent_pid=$!
groups+=("$agent_pid")
started="$(now_ms)"
if ! wait_for 30 grep -q '"thing.measurepoint.post' "$dir/record.jsonl"; then
    log "no live data within 30 s; agent log:"; tail -20 "$dir/agent.log" >&2
    exit 1
fi
sleep 5

: >"$dir/results.jsonl"
for k in $(seq 1 "$runs"); do
    mark="$(wc -l <"$dir/agent.log")"
    "$python" "$helper" apply --control "$control_port" --record "$dir/record.jsonl" --config "$dir/running.json" \
        --config-out "$dir/running.json" --key "$keys/test-signing-key.pem" --run "$k" --work "$dir" >>"$dir/results.jsonl"
    result="$(tail -1 "$dir/results.jsonl")"
    log "apply $k: $result"
    if [ "$(json 'd["reply"] and d["reply"]["code"]' <<<"$result")" != 200 ]; then
        log "apply $k not installed; agent log:"; tail -n +"$mark" "$dir/agent.log" | tail -20 >&2
        break
    fi
    # The next apply is refused while this one is on trial.
    if ! wait_for 60 bash -c "tail -n +$mark '$dir/agent.log' | grep -q 'version bench-$k passed its trial'"; then
        log "apply $k: no 'passed its trial' within 60 s"; tail -n +"$mark" "$dir/agent.log" | tail -20 >&2
        break
    fi
    called="$(json 'd["called_ms"]' <<<"$result")"
    first="$(json 'd["all_new_arrival_ms"] if d.get("all_new_arrival_ms") else d["called_ms"] + 10000' <<<"$result")"
    "$python" "$helper" steps --log "$dir/agent.log" --since "$called" --until "$first" >"$dir/steps-$k.txt"
    sleep 5
done
sleep 3   # the last samples delivered
losses="$("$python" "$helper" losses --record "$dir/record.jsonl" --devices "$devices" --since "$started")"
kill -TERM "$agent_pid" 2>/dev/null || true

"$python" - "$dir/results.jsonl" "$losses" "$runs" "$goal_ms" >"$dir/figures.txt" <<'EOF'
import json, statistics, sys
results = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
losses = json.loads(sys.argv[2]); runs = int(sys.argv[3]); goal = float(sys.argv[4])
ok = [r for r in results if r["reply"] and r["reply"]["code"] == 200 and r["first_new_arrival_ms"]]
def col(f):
    v = [f(r) for r in ok]
    return (statistics.median(v), max(v)) if v else (float("nan"), float("nan"))
rows = [
    ("call → reply received (simulator's record)", col(lambda r: r["reply_ms"] - r["called_ms"])),
    ("call → first sample of the new configuration arrives at the simulator", col(lambda r: r["first_new_arrival_ms"] - r["called_ms"])),
    ("call → that sample's own time stamp (the poll's reply)", col(lambda r: r["first_new_time_ms"] - r["called_ms"])),
    ("call → all 10 devices' first new samples arrived", col(lambda r: r["all_new_arrival_ms"] - r["called_ms"])),
    ("reply → first sample of the new configuration arrives", col(lambda r: r["first_new_arrival_ms"] - r["reply_ms"])),
]
print(f"applies {len(ok)} {runs}")
for name, (median, worst) in rows:
    print(f"row {median:.0f} {worst:.0f} {name}")
print("per-run " + ", ".join(f"{r['first_new_arrival_ms'] - r['called_ms']:.0f} ({r['first_new_method'].split('.')[2]})" for r in ok))
median = col(lambda r: r["first_new_arrival_ms"] - r["called_ms"])[0]
print(f"verdict {'met' if len(ok) == runs and median <= goal else 'MISSED'}")
print(f"lost {'met' if losses['missing'] == 0 else 'MISSED'}")
print(f"bundle {ok[0]['bundle_bytes'] if ok else 0}")
EOF
applies="$(sed -n 's/^applies \([0-9]*\) .*/\1/p' "$dir/figures.txt")"
verdict="$(sed -n 's/^verdict //p' "$dir/figures.txt")"
lost="$(sed -n 's/^lost //p' "$dir/figures.txt")"

echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), shared with other builds (noisy)"
echo "- revision: $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'), release build; $(swift --version 2>/dev/null | head -n1)"
echo "- command: \`Tools/bench.d/90-config-apply.sh\` (\`APPLY_BENCH_RUNS\`, \`AGENT_BENCH_BINARY\` to change)"
echo
echo "\`edge-agent run\` (release, host) polls 1,000 points: $devices devices × 100 holding registers every 1 s"
echo "over one Modbus TCP connection to a pymodbus slave whose register 0 numbers every read of a device;"
echo "the agent's default publishing and ring-log settings; the EnOS cloud simulator's proxy and"
echo "mosquitto on loopback. $runs times: \`thing.service.applyConfiguration\` with an inline bundle"
echo "($(sed -n 's/^bundle //p' "$dir/figures.txt") bytes, signed with the test key) whose template renames the point at register 99"
echo "(p99 → v<K>), sent through the simulator's control channel; the agent verifies, validates, writes,"
echo "replies, stops its buses and uplink and restarts on it (on trial; the next apply waits for the"
echo "trial to pass, then 5 s). Times from the call's sending; arrivals are the simulator's record times."
echo
echo "| figure ($applies of $runs applies) | median | worst |"
echo "|---|---:|---:|"
sed -n 's/^row \([^ ]*\) \([^ ]*\) \(.*\)$/| \3 | \1 ms | \2 ms |/p' "$dir/figures.txt"
echo
echo "Per apply, call → first new sample (its stream): $(sed -n 's/^per-run //p' "$dir/figures.txt") ms."
echo "Target ≤ $goal_ms ms (median): **$verdict**."
echo
echo "The sample's own time stamp is the new configuration's first poll (the device's reply). The run"
echo "restarts before its uplink is ready, so its first samples usually go through the ring log and reach"
echo "the cloud as backlog (\`thing.measurepoint.resume.batch\`, \"resume\" above) at the default resume"
echo "pace, the later devices' after the first (the \"all 10 devices\" row); when the uplink is ready"
echo "first they go live (\"post\")."
echo
json '"Samples lost across the applies: %d of %d polls numbered by the slave (%d samples arrived, %d duplicates); longest interval between a device'"'"'s consecutive samples: %d ms (poll period 1000 ms)." % (d["missing"], d["expected"], d["samples"], d["duplicates"], d["longest_interval_ms"])' <<<"$losses"
echo "Goal 0 lost: **$lost**."
echo
echo "Where the time goes in the last apply (the agent's log, ms after the call):"
echo
echo '```'
last="$(ls "$dir"/steps-*.txt 2>/dev/null | sort -V | tail -1)"
# The sub-devices' logins: the first and the last.
[ -n "$last" ] && awk '/sub-device .* logged in/ { n++; if (n > 1) { held = $0; next } } held && !/logged in/ { if (n > 2) print "   … (" n - 2 " more logins)"; print held; held = "" } { print }' "$last" | head -40
echo '```'
[ "$verdict" = met ] && [ "$lost" = met ]
