#!/usr/bin/env bash
# DL/T 645-2007 (issue 16): `edge-agent run` polling 32 meters of 8 DIs each on one 2400-baud
# line: the meter emulator (Tools/dlt645_test_meter.py --wire-baud: written from the standard, not
# from our codec) on a socat pty answers each read only once the request would have crossed a real
# 2400 8E1 wire, the meter's turnaround (20 ms, the standard's least response delay) passed and
# the reply crossed it. The round time (every meter's every DI read once) is measured from the
# emulator's time stamps of the requests and compared with the wire limit, computed like the
# Modbus bench's (Benchmarks/FieldBusBench): the characters of each request and reply, wake-up
# bytes included, at 11 bits a character, plus the turnaround, back to back. Goal: a round within
# 60 s; exit 1 when missed. Prints Markdown. Environment: AGENT_BENCH_BINARY (default: the release
# build), DLT645_BENCH_ROUNDS (measured rounds, default 1), EDGE_PYTHON.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python="${EDGE_PYTHON:-python3}"
helper="$root/Tools/bench.d/energy_bench.py"
agent="${AGENT_BENCH_BINARY:-$(swift build -c release --show-bin-path)/edge-agent}"
rounds="${DLT645_BENCH_ROUNDS:-1}"
meters=32
baud=2400
turnaround_ms=20
# The 8 DIs and their value bytes (DL/T 645-2007 appendix A): forward active energy, phase voltages,
# phase currents, total active power.
dis=(0x00010000 0x02010100 0x02010200 0x02010300 0x02020100 0x02020200 0x02020300 0x02030000)
value_bytes=(4 2 2 2 3 3 3 3)

dir="$(mktemp -d "${TMPDIR:-/tmp}/dlt645-bench.XXXXXX")"
groups=()
cleanup() {
    for pid in "${groups[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${groups[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
log() { echo "82-dlt645: $*" >&2; }
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

addresses=()
for m in $(seq 1 $meters); do addresses+=("$(printf '%012d' "$m")"); done
meter_args=()
for a in "${addresses[@]}"; do meter_args+=(--meter "$a"); done

# One configuration on a fresh line, emulator and agent: prints "measured_json stored_json".
measure() {  # label interFrameGapUs ("" for the default)
    local label="$1" gap="$2" d="$dir/$1"
    mkdir -p "$d"
    setsid socat "pty,raw,echo=0,link=$d/master" "pty,raw,echo=0,link=$d/meter" 2>"$d/socat.log" & local spid=$!
    groups+=("$spid")
    wait_for 5 test -e "$d/master" -a -e "$d/meter"
    setsid "$python" "$root/Tools/dlt645_test_meter.py" "$d/meter" --wire-baud "$baud" --turnaround-ms "$turnaround_ms" \
        --stamp "${meter_args[@]}" >"$d/meter.log" 2>&1 & local mpid=$!
    groups+=("$mpid")
    wait_for 10 grep -q READY "$d/meter.log"
    "$python" - "$d/config.json" "$d/master" "$d/ring.log" "$gap" "${dis[*]}" "${addresses[@]}" <<'PY'
import json, sys
out, device, ring, gap, dis, addresses = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(), sys.argv[6:]
bus = {"name": "meters", "type": "serial", "protocol": "dlt645", "device": device, "baud": 2400, "parity": "E",
       "responseTimeoutMs": 1000, "retries": 0}
if gap:
    bus["interFrameGapUs"] = int(gap)
json.dump({
  "buses": [bus],
  # intervalMs 1 s: shorter than a round can be, so the line never idles (the round is the wire's).
  "templates": [{"name": "meter", "protocol": "dlt645", "intervalMs": 1000,
                 "points": [{"id": "p%d" % i, "di": di} for i, di in enumerate(dis)]}],
  "devices": [{"name": "m%d" % i, "template": "meter", "bus": "meters", "address": a, "productKey": "pk", "deviceKey": "meter%d" % i}
              for i, a in enumerate(addresses)],
  "cloud": {"host": "127.0.0.1", "port": 9, "gateway": {"productKey": "gwPK", "deviceKey": "gw1", "deviceSecret": "gateway-secret"},
            "subDevices": [{"device": "m%d" % i, "deviceSecret": "meter-secret"} for i in range(len(addresses))]},
  "ringLog": {"path": ring, "size": "8MiB"}}, open(out, "w"), indent=1)
PY
    setsid "$agent" run --config "$d/config.json" >"$d/agent.log" 2>&1 & local apid=$!
    groups+=("$apid")
    # A round time needs the next round's start: rounds + 1 complete rounds. The line is saturated
    # from the first read on (every device is due), so the first round is already the steady state.
    local need=$((rounds + 1))
    rounds_done() { "$python" "$helper" rounds "$d/meter.log" --meters $meters --dis ${#dis[@]} | "$python" -c "import json, sys; sys.exit(0 if json.load(sys.stdin)['rounds'] >= $need else 1)"; }
    if ! wait_for $(( need * 120 )) rounds_done; then
        log "$label: the rounds did not complete; the agent's log:"; tail -5 "$d/agent.log" >&2
    fi
    sleep 1
    stop_pid "$apid"; stop_pid "$mpid"; stop_pid "$spid"
    echo "$("$python" "$helper" rounds "$d/meter.log" --meters $meters --dis ${#dis[@]}) $("$python" "$helper" samples "$d/ring.log")"
}

log "32 meters x 8 DIs at $baud baud, the bus's default (no gap): $rounds measured round(s), about a minute each"
default="$(measure default "")"
rtu_gap_us=$(( (35 * 11 * 1000000 / baud + 5) / 10 ))
log "the same with interFrameGapUs $rtu_gap_us (Modbus RTU's 3.5 characters: the default before 6d0999b)"
nogap="$(measure rtugap "$rtu_gap_us")"

"$python" - "$default" "$nogap" "$agent" "$rounds" "$baud" "$turnaround_ms" "${value_bytes[*]}" <<'PY'
import json, sys
def parse(line):
    decoder = json.JSONDecoder()
    measured, end = decoder.raw_decode(line)
    stored, _ = decoder.raw_decode(line[end:].strip())
    return measured, stored
default, nogap = parse(sys.argv[1]), parse(sys.argv[2])
agent, rounds, baud, td = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]) / 1000
value_bytes = [int(b) for b in sys.argv[7].split()]
meters = 32
reads = meters * len(value_bytes)
wake = 4                          # FE FE FE FE before every frame, both ways
request = wake + 16               # 68 A0..A5 68 11 04 DI0..DI3 CS 16
replies = [wake + 16 + b for b in value_bytes]  # 68 A0..A5 68 91 L DI0..DI3 value CS 16
chars = meters * (len(value_bytes) * request + sum(replies))
limit = chars * 11 / baud + reads * td
modbus_gap = 3.5 * 11 / baud
print("## DL/T 645: 32 meters × 8 DIs at 2400 baud, one round (issue 16)")
print()
print(f"Host build `{agent}` polling 32 meters of the emulator (Tools/dlt645_test_meter.py --wire-baud 2400, one")
print("socat pty for the line) for 8 DIs each (forward active energy, 3 phase voltages, 3 phase currents, total")
print("active power: 4, 2, 2, 2, 3, 3, 3, 3 value bytes), the template's intervalMs 1 s so the line never idles.")
print(f"The emulator answers as a 2400 8E1 wire would: a reply leaves once the request's characters (4 wake-up")
print(f"bytes included) have crossed at 11 bits each, the meter's turnaround ({td * 1000:.0f} ms, DL/T 645's least")
print("response delay) has passed and the reply's characters have crossed. Round: from one round's first request")
print("to the next round's first request, by the emulator's clock.")
print()
print(f"Wire limit, computed like the Modbus bench's: {reads} reads back to back, each request {request} characters")
print(f"and its reply {min(replies)}-{max(replies)} ({chars:,} characters a round) at 11 bits / {baud} baud, plus the {td * 1000:.0f} ms")
print(f"turnaround per read (DL/T 645 frames are delimited by their length: no silent interval): {limit:.2f} s.")
print(f"A DL/T 645 bus keeps no gap between frames by default (since 6d0999b); the second row sets Modbus RTU's")
print(f"3.5-character gap ({modbus_gap * 1000:.1f} ms at {baud} baud, {reads * modbus_gap:.1f} s a round), the default before, for comparison.")
print("Shared, noisy machine (the emulator is a Python process on the same 2 cores).")
print()
print("| bus | round | seconds | / wire limit | goal (≤ 60 s) | samples stored | meters |")
print("|---|---|---:|---:|---|---:|---:|")
failed = []
for name, (measured, stored), goal in (("default (no gap)", default, True), ("Modbus RTU gap", nogap, False)):
    times = measured["roundSeconds"][:rounds]
    per = stored["perDevice"]
    for i, t in enumerate(times):
        ok = t <= 60
        print(f"| {name} | {i + 1} | {t:.2f} | {t / limit:.3f}× | {'met' if ok else 'MISSED'} | {stored['samples']:,} | {len(per)} |")
        if goal and not ok:
            failed.append(f"a round took {t:.2f} s at the bus's defaults")
    if len(times) < rounds:
        failed.append(f"{name}: only {len(times)} of {rounds} rounds measured")
    if len(per) != meters:
        failed.append(f"{name}: samples of {len(per)} meters stored, not {meters}")
if failed:
    print()
    print("**Goal missed:** " + "; ".join(failed) + ".")
    sys.exit(1)
PY
