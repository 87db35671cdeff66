#!/usr/bin/env bash
# Derived points (issue 13): CPU per point of `edge-agent run` polling 1,000 points (10 pymodbus
# units x 100 holding registers, every 1 s) and publishing them through the EnOS cloud simulator's
# proxy to mosquitto, against the same configuration plus 1,000 derived points (100 formulas a
# device over its polled points: sums, averages, scale and offset, if, abs, max, sqrt, EnOS
# built-ins; Tools/bench.d/agent_bench.py DERIVED_PATTERNS). The two run alternately in the same
# run (A B A B ...), each for a window after a warm-up; CPU is user + system time of the agent, the
# samples those that reached an independent subscriber (CPU from /proc/PID/task/*/schedstat, in ns).
# Prints Markdown. Environment:
# AGENT_BENCH_BINARY (default: the release build), DERIVED_BENCH_SECONDS (window, default 30),
# DERIVED_BENCH_ROUNDS (default 3), EDGE_PYTHON.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python="${EDGE_PYTHON:-python3}"
helper="$root/Tools/bench.d/agent_bench.py"
agent="${AGENT_BENCH_BINARY:-$(swift build -c release --show-bin-path)/edge-agent}"
window="${DERIVED_BENCH_SECONDS:-30}"
rounds="${DERIVED_BENCH_ROUNDS:-3}"

echo "## Derived points: CPU per point beside polled ones (issue 13)"
echo
if ! "$agent" help 2>&1 | grep -qE '^ +run( |$)'; then
    echo "Not measured: \`$agent\` has no \`run\` command."
    exit 0
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/derived-bench.XXXXXX")"
groups=()
cleanup() {
    for pid in "${groups[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${groups[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
log() { echo "65-derived: $*" >&2; }
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Nanoseconds on a CPU of all the process's threads (schedstat: exact, where /proc/PID/stat counts
# 10 ms ticks and the agent uses well under 1 % of a core).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }
now_ms() { date +%s%3N; }
wait_for() {  # seconds command...: until the command succeeds
    local tenths=$(( $1 * 10 )); shift
    until "$@" 2>/dev/null; do
        [ "$tenths" -gt 0 ] || return 1
        sleep 0.1; tenths=$((tenths - 1))
    done
}
stop_pid() {
    kill -TERM -- "-$1" 2>/dev/null || return 0
    local tenths=100
    while kill -0 "$1" 2>/dev/null && [ "$tenths" -gt 0 ]; do sleep 0.1; tenths=$((tenths - 1)); done
    kill -KILL -- "-$1" 2>/dev/null || true
}
json() { "$python" -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

broker_port="$(free_port)"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nset_tcp_nodelay true\n' "$broker_port" > "$dir/mosquitto.conf"
setsid mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 & broker_pid=$!; groups+=("$broker_pid")
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$broker_port"
subs=()
for u in $(seq 1 10); do subs+=(--sub-device "benchPK:bench-dev-$u:bench-dev-$u-secret"); done
setsid "$python" "$root/Tests/CloudSimulator/enos_cloud.py" --broker-port "$broker_port" --listen-port 0 --control-port 0 \
    --gateway benchGatewayPK:bench-gateway:bench-secret "${subs[@]}" >"$dir/cloud.log" 2>&1 &
cloud_pid=$!; groups+=("$cloud_pid")
wait_for 10 grep -q '^READY' "$dir/cloud.log"
cloud_port="$(sed -n 's/^READY listen=\([0-9]*\).*/\1/p' "$dir/cloud.log")"
setsid mosquitto_sub -h 127.0.0.1 -p "$broker_port" -q 1 -t '/sys/+/+/thing/measurepoint/#' -F '%U %t %p' \
    >"$dir/arrivals.txt" 2>"$dir/sub.log" & sub_pid=$!; groups+=("$sub_pid")
modbus_port="$(free_port)"
setsid "$python" "$helper" slave --tcp "$modbus_port" --units 10 >"$dir/slave.log" 2>&1 & slave_pid=$!; groups+=("$slave_pid")
wait_for 10 grep -q READY "$dir/slave.log"

# One window of one configuration: appends "cpu_ns ms polled derived" to $dir/$label.txt.
measure() {  # label derived-per-device
    local label="$1" derived="$2"
    "$python" "$helper" config --out "$dir/$label.json" --points 1000 --modbus-port "$modbus_port" \
        --mqtt-port "$cloud_port" --ring "$dir/ring-$label.log" --ring-size 32MiB --defaults --derived "$derived"
    rm -f "$dir/ring-$label.log"
    local offset; offset="$(stat -c %s "$dir/arrivals.txt")"
    setsid "$agent" run --config "$dir/$label.json" >"$dir/agent-$label.log" 2>&1 & local pid=$!
    groups+=("$pid")
    if ! wait_for 30 bash -c "tail -c +$((offset + 1)) '$dir/arrivals.txt' | grep -q 'measurepoint.post.batch'"; then
        log "$label: no live data within 30 s; agent log:"; tail -5 "$dir/agent-$label.log" >&2
        stop_pid "$pid"; return 1
    fi
    sleep 3
    local t0 a0 t1 a1
    t0="$(now_ms)"; a0="$(cpu_ns "$pid")"
    sleep "$window"
    t1="$(now_ms)"; a1="$(cpu_ns "$pid")"
    stop_pid "$pid"
    sleep 1
    local counts; counts="$("$python" "$helper" points "$dir/arrivals.txt" --since "$t0" --until "$t1")"
    echo "$((a1 - a0)) $((t1 - t0)) $(json 'd["polled"]' <<<"$counts") $(json 'd["derived"]' <<<"$counts")" >>"$dir/$label.txt"
}

for r in $(seq 1 "$rounds"); do
    log "round $r: 1,000 polled points, ${window} s"
    measure polled 0
    log "round $r: 1,000 polled + 1,000 derived points, ${window} s"
    measure derived 100
done

"$python" - "$dir/polled.txt" "$dir/derived.txt" "$window" "$rounds" "$agent" <<'PY'
import sys
def load(path):
    rows = [list(map(float, line.split())) for line in open(path)]
    return [sum(r[i] for r in rows) for i in range(4)], rows
(a_ns, a_ms, a_polled, a_derived), a_rows = load(sys.argv[1])
(b_ns, b_ms, b_polled, b_derived), b_rows = load(sys.argv[2])
window, rounds, agent = sys.argv[3], sys.argv[4], sys.argv[5]
us = lambda ns: ns / 1000
a_cpu_s, b_cpu_s = us(a_ns) / (a_ms / 1000), us(b_ns) / (b_ms / 1000)        # µs of CPU per second
a_per = us(a_ns) / max(1, a_polled)
b_per = us(b_ns) / max(1, b_polled + b_derived)
b_rate_derived = b_derived / (b_ms / 1000)
extra = (b_cpu_s - a_cpu_s) / max(1, b_rate_derived)
print(f"Host build `{agent}`, a pymodbus TCP slave (10 units × 100 holding registers, polled every 1 s),")
print("the EnOS cloud simulator's proxy and mosquitto on loopback, at the agent's default publishing")
print(f"settings. A: 1,000 polled points; B: the same plus 100 formulas a device (1,000 derived points,")
print("each computed once a poll from fresh inputs and published like a polled point; no deadband).")
print(f"A and B alternate, {rounds} windows of {window} s each after a 3 s warm-up; CPU is the agent's")
print("time on a CPU (all its threads, /proc/PID/task/*/schedstat), samples those that reached an")
print("independent subscriber.")
print()
print("| run | windows | agent CPU, % of a core | polled samples/s | derived samples/s | CPU per point-sample |")
print("|---|---:|---:|---:|---:|---:|")
for name, rows in (("A: 1,000 polled", a_rows), ("B: + 1,000 derived", b_rows)):
    for t, ms, p, d in rows:
        print(f"| {name} | 1 | {us(t) / (ms / 1000) / 1e4:.1f} % | {p / (ms / 1000):.0f} | {d / (ms / 1000):.0f} | {us(t) / max(1, p + d):.1f} µs |")
print(f"| A, all windows | {len(a_rows)} | {a_cpu_s / 1e4:.1f} % | {a_polled / (a_ms / 1000):.0f} | {a_derived / (a_ms / 1000):.0f} | {a_per:.1f} µs |")
print(f"| B, all windows | {len(b_rows)} | {b_cpu_s / 1e4:.1f} % | {b_polled / (b_ms / 1000):.0f} | {b_rate_derived:.0f} | {b_per:.1f} µs |")
print()
print(f"Extra CPU per derived point-sample (B's CPU per second minus A's, over B's derived samples per")
print(f"second): {extra:.1f} µs, {extra / a_per:.2f}× the CPU of a polled point-sample in A ({a_per:.1f} µs,")
print(f"which includes its Modbus read, ring-log append and publishing). B per point-sample against A:")
print(f"{b_per / a_per:.2f}× (the fixed costs, publishing and the ring log's records, shared by twice the points).")
PY
