#!/usr/bin/env bash
# The agent end to end (issue 6): `edge-agent run` polling a pymodbus TCP slave (100 registers per
# unit) and publishing through the EnOS cloud simulator's proxy to mosquitto on loopback.
#   - latency sample -> broker: the sample's own time stamp against its arrival at an independent
#     subscriber (mosquitto_sub -F %U); reference: mosquitto_pub -> mosquitto_sub on the same broker
#   - CPU per point at 1,000 points/s, beside the pymodbus slave's and mosquitto's CPU for the same points
#   - peak RSS (VmHWM) at 1,000 and 5,000 points: host build, and the aarch64 firmware under
#     qemu-aarch64 when out/qemu-aarch64/edge-agent exists (qemu's own RSS shown as a baseline)
#   - the steady state at the agent's default publishing and ring-log settings (issue 11)
#   - recovery from a 10-minute outage at 1,000 points/s at the defaults (backlog paced at the
#     default resume rate): live delivery and latency while the backlog replays
#   - replay of a one-hour backlog at 1,000 points/s (3.6 M samples, recorded with the cloud away
#     at a faster poll rate), resumed as fast as the cloud takes it, and the live latency meanwhile
# Prints Markdown. Environment: AGENT_BENCH_BINARY (default: the release build),
# AGENT_BENCH_SECONDS (steady-state window, default 20), AGENT_BENCH_BACKLOG (samples, default
# 3600000), AGENT_BENCH_OUTAGE_MINUTES (default 10), AGENT_BENCH_FIRMWARE (default out/qemu-aarch64/edge-agent), EDGE_PYTHON.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python="${EDGE_PYTHON:-python3}"
helper="$root/Tools/bench.d/agent_bench.py"
agent="${AGENT_BENCH_BINARY:-$(swift build -c release --show-bin-path)/edge-agent}"
firmware="${AGENT_BENCH_FIRMWARE:-$root/out/qemu-aarch64/edge-agent}"
window="${AGENT_BENCH_SECONDS:-20}"
backlog="${AGENT_BENCH_BACKLOG:-3600000}"
outage_minutes="${AGENT_BENCH_OUTAGE_MINUTES:-10}"
tick="$(getconf CLK_TCK)"

echo "## Agent end to end (issue 6)"
echo
if ! "$agent" help 2>&1 | grep -qE '^ +run( |$)'; then
    echo "Not measured: \`$agent\` has no \`run\` command yet."
    exit 0
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/agent-bench.XXXXXX")"
groups=()
cleanup() {
    for pid in "${groups[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${groups[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
log() { echo "60-agent: $*" >&2; }
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# CPU ticks (user + system) of a process; 0 once it is gone.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
peak_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# Under qemu-user, the guest's resident memory: qemu maps the guest at its own addresses (the
# static firmware at 0x200000, its mmap area at 0x5500000000), below 1 TiB, far from qemu's own
# binary, heap, libraries and translation cache (0x55.../0x7f... in 48-bit space), so the Rss of
# the mappings that start below 1 TiB is what the firmware itself holds (its text pages included,
# as on a device). Current, not peak: everything is sized at start-up.
guest_kib() { awk '/^[0-9a-f]+-[0-9a-f]+ / { split($1, a, "-"); guest = (length(a[1]) <= 10) }
                   /^Rss:/ { if (guest) s += $2 } END { print s + 0 }' "/proc/$1/smaps" 2>/dev/null || echo 0; }
now_ms() { date +%s%3N; }
wait_for() {  # seconds command...: until the command succeeds
    local tenths=$(( $1 * 10 )); shift
    until "$@" 2>/dev/null; do
        [ "$tenths" -gt 0 ] || return 1
        sleep 0.1; tenths=$((tenths - 1))
    done
}
stop_pid() {  # pid: SIGTERM its group, wait at most 10 s
    kill -TERM -- "-$1" 2>/dev/null || return 0
    local tenths=100
    while kill -0 "$1" 2>/dev/null && [ "$tenths" -gt 0 ]; do sleep 0.1; tenths=$((tenths - 1)); done
    kill -KILL -- "-$1" 2>/dev/null || true
}
json() { "$python" -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# The fixed parts: broker, cloud simulator (proxy + observer), subscriber with receive times, slave.
broker_port="$(free_port)"
# set_tcp_nodelay: mosquitto leaves Nagle on by default, and its forwarding of back-to-back requests
# to the subscriber then waits for delayed ACKs (~40 ms at p50 that is not the agent's).
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nset_tcp_nodelay true\n' "$broker_port" > "$dir/mosquitto.conf"
setsid mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 & broker_pid=$!; groups+=("$broker_pid")
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$broker_port"

subs=()
for u in $(seq 1 50); do subs+=(--sub-device "benchPK:bench-dev-$u:bench-dev-$u-secret"); done
setsid "$python" "$root/Tests/CloudSimulator/enos_cloud.py" --broker-port "$broker_port" --listen-port 0 --control-port 0 \
    --gateway benchGatewayPK:bench-gateway:bench-secret "${subs[@]}" >"$dir/cloud.log" 2>&1 &
cloud_pid=$!; groups+=("$cloud_pid")
wait_for 10 grep -q '^READY' "$dir/cloud.log"
cloud_port="$(sed -n 's/^READY listen=\([0-9]*\).*/\1/p' "$dir/cloud.log")"
control_port="$(sed -n 's/^READY.* control=\([0-9]*\).*/\1/p' "$dir/cloud.log")"

setsid mosquitto_sub -h 127.0.0.1 -p "$broker_port" -q 1 -t '/sys/+/+/thing/measurepoint/#' -F '%U %t %p' \
    >"$dir/arrivals.txt" 2>"$dir/sub.log" & sub_pid=$!; groups+=("$sub_pid")

modbus_port="$(free_port)"
setsid "$python" "$helper" slave --tcp "$modbus_port" --units 50 >"$dir/slave.log" 2>&1 & slave_pid=$!; groups+=("$slave_pid")
wait_for 10 grep -q READY "$dir/slave.log"

# One steady-state run: prints "points/s p50 p99 agent_us slave_us broker_us peak_kib guest_kib" (run it
# in this shell, not in a subshell, so that the cleanup knows its agent).
steady() {  # label points command...
    local label="$1" points="$2"; shift 2
    local ring="$dir/ring-$label.log"
    "$python" "$helper" config --out "$dir/$label.json" --points "$points" --modbus-port "$modbus_port" \
        --mqtt-port "$cloud_port" --ring "$ring" --ring-size 32MiB --defaults
    setsid "$@" run --config "$dir/$label.json" >"$dir/agent-$label.log" 2>&1 & local pid=$!
    groups+=("$pid")
    local offset; offset="$(stat -c %s "$dir/arrivals.txt")"
    if ! wait_for 30 bash -c "tail -c +$((offset + 1)) '$dir/arrivals.txt' | grep -q 'measurepoint.post.batch'"; then
        log "$label: no live data within 30 s; agent log:"; tail -5 "$dir/agent-$label.log" >&2
        stop_pid "$pid"; echo "- - - - - - - -"; return
    fi
    sleep 3
    local t0 a0 s0 b0 t1 a1 s1 b1 peak guest
    t0="$(now_ms)"; a0="$(ticks "$pid")"; s0="$(ticks "$slave_pid")"; b0="$(ticks "$broker_pid")"
    sleep "$window"
    t1="$(now_ms)"; a1="$(ticks "$pid")"; s1="$(ticks "$slave_pid")"; b1="$(ticks "$broker_pid")"
    peak="$(peak_kib "$pid")"; guest="$(guest_kib "$pid")"
    stop_pid "$pid"
    local figures; figures="$("$python" "$helper" latency "$dir/arrivals.txt" --since "$t0" --until "$t1")"
    local samples; samples="$(json 'd["post"]["samples"]' <<<"$figures")"
    [ "$samples" -gt 0 ] || samples=1
    "$python" - "$figures" "$samples" "$t0" "$t1" "$a0" "$a1" "$s0" "$s1" "$b0" "$b1" "$tick" "$peak" "$guest" <<'EOF'
import json, sys
f = json.loads(sys.argv[1]); n = int(sys.argv[2]); t0, t1 = float(sys.argv[3]), float(sys.argv[4])
a0, a1, s0, s1, b0, b1, tick = map(float, sys.argv[5:12]); peak = int(sys.argv[12]); guest = int(sys.argv[13])
us = lambda d: (d / tick) * 1e6 / n
print(f"{n / ((t1 - t0) / 1000):.0f} {f['post']['p50_ms']:.0f} {f['post']['p99_ms']:.0f} "
      f"{us(a1 - a0):.1f} {us(s1 - s0):.1f} {us(b1 - b0):.1f} {peak} {guest}")
EOF
}

log "latency floor (mosquitto_pub -> mosquitto_sub)"
floor="$("$python" "$helper" floor --port "$broker_port" --count 20)"
floor_p50="$(json '"%.1f" % d["p50_ms"]' <<<"$floor")"

log "host build, 1,000 points/s for ${window} s"
steady host-1000 1000 "$agent" >"$dir/host-1000.txt"
read -r h1_rate h1_p50 h1_p99 h1_cpu h1_slave h1_broker h1_peak _ <"$dir/host-1000.txt"
log "host build, 5,000 points"
steady host-5000 5000 "$agent" >"$dir/host-5000.txt"
read -r h5_rate h5_p50 h5_p99 h5_cpu h5_slave h5_broker h5_peak _ <"$dir/host-5000.txt"
# CPU with a silent cloud: connected, the broker takes the requests, no replies come (the
# in-flight window fills). The loop used to spin then (poll(2) with timeout 0, 86 % of a core).
# Beside the same agent 10 s earlier with the cloud answering.
cloud_ctl() {
    "$python" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall((sys.argv[2] + "\n").encode())
print(s.makefile().readline().strip())' "$control_port" "$1" >/dev/null
}
log "host build, 1,000 points: CPU with the cloud answering, then silent"
"$python" "$helper" config --out "$dir/silent.json" --points 1000 --modbus-port "$modbus_port" \
    --mqtt-port "$cloud_port" --ring "$dir/ring-silent.log" --ring-size 32MiB --defaults
offset="$(stat -c %s "$dir/arrivals.txt")"
setsid "$agent" run --config "$dir/silent.json" >"$dir/agent-silent.log" 2>&1 & silent_pid=$!; groups+=("$silent_pid")
wait_for 30 bash -c "tail -c +$((offset + 1)) '$dir/arrivals.txt' | grep -q 'measurepoint.post.batch'" || log "silent: no live data"
sleep 3
c0="$(ticks "$silent_pid")"; sleep 10; c1="$(ticks "$silent_pid")"
cloud_ctl '{"cmd": "drop_replies", "on": true}'
sleep 5
c2="$(ticks "$silent_pid")"; sleep 10; c3="$(ticks "$silent_pid")"
cloud_ctl '{"cmd": "drop_replies", "on": false}'
stop_pid "$silent_pid"
cpu_answering="$("$python" -c "print('%.1f' % (($c1 - $c0) / $tick / 10 * 100))")"
cpu_silent="$("$python" -c "print('%.1f' % (($c3 - $c2) / $tick / 10 * 100))")"

fw_rows=""
if [ -x "$firmware" ] && command -v qemu-aarch64 >/dev/null \
        && qemu-aarch64 "$firmware" help 2>&1 | grep -qE '^ +run( |$)'; then
    qemu_base="$( { /usr/bin/time -f '%M' qemu-aarch64 "$firmware" version >/dev/null; } 2>&1 | tail -1)"
    log "firmware under qemu-aarch64, 1,000 and 5,000 points"
    steady fw-1000 1000 qemu-aarch64 "$firmware" >"$dir/fw-1000.txt"
    steady fw-5000 5000 qemu-aarch64 "$firmware" >"$dir/fw-5000.txt"
    read -r f1_rate f1_p50 f1_p99 f1_cpu f1_slave f1_broker f1_peak f1_guest <"$dir/fw-1000.txt"
    read -r f5_rate f5_p50 f5_p99 f5_cpu f5_slave f5_broker f5_peak f5_guest <"$dir/fw-5000.txt"
    verdict="$([ "${f1_guest:-0}" -gt 0 ] && [ "$f1_guest" -le 1953 ] && echo "target ≤ 2 MB (1953 KiB) at 1,000 points: met" || echo "target ≤ 2 MB (1953 KiB) at 1,000 points: MISSED")"
    fw_rows="| RSS of the aarch64 firmware itself under qemu-aarch64 (guest mappings, text included) | $f1_guest KiB | $f5_guest KiB | $verdict |
| peak RSS of qemu-aarch64 running it (qemu + guest; qemu running \`version\`: $((qemu_base / 1024)) MiB) | $((f1_peak / 1024)) MiB | $((f5_peak / 1024)) MiB | |
| firmware under qemu: points/s, latency p50 / p99, CPU per point (emulated) | $f1_rate, $f1_p50 / $f1_p99 ms, $f1_cpu µs | $f5_rate, $f5_p50 / $f5_p99 ms, $f5_cpu µs | |"
else
    fw_rows="| peak RSS, aarch64 firmware | not measured | not measured | no firmware with \`run\` at $firmware: \`make firmware BOARD=qemu-aarch64\` |"
fi

# Replay: record the backlog with the cloud unreachable (5,000 points every 50 ms over 5
# connections, as fast as the slave answers) until the ring log holds about $2 samples
# (~21 bytes each), then start the agent against the cloud with 5,000 points every 5 s (1,000
# points/s live) and follow the resume stream until it goes quiet. Sets r_samples, r_seconds,
# r_rate, l_p50, l_p99, l_max, l_rate (live samples/s while the backlog replayed), scaled,
# fill_seconds and fill_note.
backlog_replay() {  # label samples [config options for the replaying agent...]
    local label="$1" want="$2"; shift 2
    log "replay ($label): recording a backlog of $want samples with the cloud away"
    local dead_port; dead_port="$(free_port)"
    "$python" "$helper" config --out "$dir/fill-$label.json" --points 5000 --interval-ms 50 --buses 5 --modbus-port "$modbus_port" \
        --mqtt-port "$dead_port" --ring "$dir/ring-$label.log" --ring-size 256MiB --live-ms 100
    setsid "$agent" run --config "$dir/fill-$label.json" >"$dir/agent-fill-$label.log" 2>&1 & fill_pid=$!; groups+=("$fill_pid")
    local fill_started=$SECONDS target_bytes=$((want * 21)) used=0 last_used=0 still=0
    while [ "$used" -lt "$target_bytes" ] && [ "$still" -lt 10 ] && [ $((SECONDS - fill_started)) -lt 900 ]; do
        sleep 1
        used="$("$agent" log info --device "$dir/ring-$label.log" 2>/dev/null | sed -n 's/.*used \([0-9]*\).*/\1/p')"
        used="${used:-0}"
        if [ "$used" -gt "$last_used" ]; then still=0; else still=$((still + 1)); fi
        last_used="$used"
    done
    stop_pid "$fill_pid"
    fill_seconds=$((SECONDS - fill_started))
    fill_note=""
    if [ "$still" -ge 10 ]; then
        fill_note=" The recording STALLED: the ring log stopped growing at $used bytes while the agent kept running."
        log "replay ($label): the ring log stopped growing at $used bytes"
    fi
    "$python" "$helper" config --out "$dir/replay-$label.json" --points 5000 --interval-ms 5000 --modbus-port "$modbus_port" \
        --mqtt-port "$cloud_port" --ring "$dir/ring-$label.log" --ring-size 256MiB "$@"
    log "replay ($label): the agent meets the cloud"
    local since; since="$(now_ms)"
    setsid "$agent" run --config "$dir/replay-$label.json" >"$dir/agent-replay-$label.log" 2>&1 & replay_pid=$!; groups+=("$replay_pid")
    local replay; replay="$("$python" "$helper" replay "$dir/arrivals.txt" --since "$since" --quiet 5 --timeout 1800)"
    stop_pid "$replay_pid"
    r_samples="$(json 'd["resume"]["samples"]' <<<"$replay")"
    r_seconds="$(json '"%.1f" % ((d["resume"]["last_ms"] - '"$since"') / 1000) if d["resume"]["last_ms"] else "-"' <<<"$replay")"
    r_rate="$(json '"%.0f" % (d["resume"]["samples"] / max(1, (d["resume"]["last_ms"] - d["resume"]["first_ms"]) / 1000)) if d["resume"]["last_ms"] else "-"' <<<"$replay")"
    l_p50="$(json '"%.0f" % d["live_during"]["p50_ms"] if d["live_during"]["p50_ms"] is not None else "-"' <<<"$replay")"
    l_p99="$(json '"%.0f" % d["live_during"]["p99_ms"] if d["live_during"]["p99_ms"] is not None else "-"' <<<"$replay")"
    l_max="$(json '"%.0f" % d["live_during"]["max_ms"] if d["live_during"]["max_ms"] is not None else "-"' <<<"$replay")"
    l_rate="$(json '"%.0f" % (d["live_during"]["samples"] / max(1, (d["live_during"]["last_ms"] - d["live_during"]["first_ms"]) / 1000)) if d["live_during"]["last_ms"] else "-"' <<<"$replay")"
    scaled="$(json '"%.1f" % ((d["resume"]["last_ms"] - '"$since"') / 1000 * '"$want"' / max(1, d["resume"]["samples"])) if d["resume"]["last_ms"] else "-"' <<<"$replay")"
}

# At the defaults: a 10-minute outage at 1,000 points/s, replayed at the default pace.
outage=$((outage_minutes * 60 * 1000))
backlog_replay defaults "$outage" --defaults
o_samples=$r_samples o_seconds=$r_seconds o_rate=$r_rate o_p50=$l_p50 o_p99=$l_p99 o_max=$l_max o_live=$l_rate
o_fill=$fill_seconds o_note=$fill_note
# Tuned for speed: a one-hour backlog, resumed as fast as the cloud takes it.
backlog_replay fast "$backlog" --live-ms 100

cat <<EOF
Host build \`$agent\` and a pymodbus TCP slave (100 holding registers a unit), the EnOS cloud
simulator's proxy and mosquitto on loopback, at the agent's default settings (no \`publishing\`
section: liveIntervalMs 50, batchSamples 200, inFlightRequests 4; ring log syncIntervalMs 100).
Latency: the sample's time stamp (taken when the device's reply arrived) to its arrival at an
independent \`mosquitto_sub\` (through the simulator's Python proxy and mosquitto, with TCP_NODELAY). CPU: user + system time over a ${window} s window, divided by the points that arrived.

| figure | 1,000 points | 5,000 points | reference |
|---|---|---|---|
| points/s delivered (polled: 1,000 and 5,000 every 1 s) | $h1_rate | $h5_rate | polled rate: 1,000 / 5,000 |
| latency sample → broker, p50 / p99 | $h1_p50 / $h1_p99 ms | $h5_p50 / $h5_p99 ms | mosquitto_pub → mosquitto_sub: $floor_p50 ms |
| CPU of the agent, % of a core, 1,000 points: cloud answering / cloud silent (connected, no replies) | $cpu_answering % / $cpu_silent % | | before: the loop spun at 86 % with a silent cloud |
| CPU per point: edge-agent | $h1_cpu µs | $h5_cpu µs | |
| CPU per point: pymodbus slave serving them | $h1_slave µs | $h5_slave µs | edge-agent / pymodbus: $("$python" -c "print('%.2f' % ($h1_cpu / max(0.01, $h1_slave)))") |
| CPU per point: mosquitto forwarding them (2 subscribers) | $h1_broker µs | $h5_broker µs | |
| peak RSS (VmHWM), host build | $((h1_peak / 1024)) MiB | $((h5_peak / 1024)) MiB | |
$fw_rows

Recovery from a ${outage_minutes}-minute outage at 1,000 points/s, at the defaults (resume paced
at 2,000 samples/s): a backlog of $o_samples samples (recorded in ${o_fill} s with the cloud
unreachable), then the agent started against the cloud with 1,000 points/s live.$o_note

| figure | value | reference |
|---|---|---|
| backlog replayed (resume samples) | $o_samples | $outage |
| time from agent start to the last resume sample | $o_seconds s | $outage samples at 2,000/s: $((outage / 2000)) s |
| resume rate | $o_rate samples/s | default pace: 2,000 |
| live delivery while the backlog replayed | $o_live points/s | polled: 1,000 |
| live latency while the backlog replayed, p50 / p99 / max | $o_p50 / $o_p99 / $o_max ms | |

Replay, tuned for speed (liveIntervalMs 100, batchSamples 1000, inFlightRequests 8, resume
unpaced): a backlog of $r_samples samples (target: $backlog, one hour at 1,000 points/s; recorded in
${fill_seconds} s, as fast as the slave answered, with the cloud unreachable), then the agent started
against the cloud with 1,000 points/s live.$fill_note

| figure | value | target |
|---|---|---|
| backlog replayed (resume samples) | $r_samples | $backlog |
| time from agent start to the last resume sample | $r_seconds s (scaled to $backlog samples: $scaled s) | ≤ 60 s |
| resume rate | $r_rate samples/s | |
| live latency during the replay, p50 / p99 / max | $l_p50 / $l_p99 / $l_max ms | ≤ 1,000 ms |
EOF
