#!/usr/bin/env bash
# `make run`: the agent on this machine, end to end, with nothing but loopback and pseudo-terminals:
#   mosquitto            a local broker on a free loopback port
#   socat                a pseudo-terminal pair: the RS-485 bus (one end the agent's, one the devices')
#   sim_devices.py       pymodbus RTU slave: power meter (unit 1) and PV inverter (unit 2), values moving
#   enos_cloud.py        the EnOS cloud simulator on the broker: logs the gateway in, replies, prints data
#   edge-agent run       the agent, with Tools/demo/demo-config.json (ports and paths of this run)
# and prints what arrives in the "cloud". Ctrl-C stops all of it and removes the temporary folder.
#
# usage: Tools/demo.sh <edge-agent binary>
#   DEMO_SECONDS=N     stop by itself after N seconds (tests); exit status 0 if the agent was still
#                      running then
#   DEMO_DIR=PATH      keep this run's files (config, logs, cloud record) in PATH instead of a
#                      temporary folder that is removed at the end
#   DEMO_DAY_SECONDS=S length of a simulated day (default 600)
#   EDGE_PYTHON        the Python with pymodbus (default python3)
set -euo pipefail

agent="${1:?usage: Tools/demo.sh <edge-agent binary>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${EDGE_PYTHON:-python3}"
cloud_sim="$root/Tests/CloudSimulator/enos_cloud.py"
seconds="${DEMO_SECONDS:-0}"

if [ -n "${DEMO_DIR:-}" ]; then
    dir="$DEMO_DIR"; keep_dir=1
    mkdir -p "$dir"
else
    dir="$(mktemp -d "${TMPDIR:-/tmp}/edge-demo.XXXXXX")"; keep_dir=0
fi

say() { printf '[demo]    %s\n' "$*"; }
fail() { printf '[demo]    error: %s\n' "$*" >&2; exit 1; }

# Every background part runs in its own session (setsid), so one kill of its process group stops
# it with all its children, and the terminal's Ctrl-C reaches only this script, which stops the
# parts in order: the agent first (SIGTERM: it syncs its ring log and disconnects), then the rest.
agent_pid=""
others=()
stop_group() {  # pid, seconds to wait before SIGKILL
    local pid="$1" wait_tenths=$(( $2 * 10 ))
    kill -TERM -- "-$pid" 2>/dev/null || return 0
    while kill -0 -- "-$pid" 2>/dev/null && [ "$wait_tenths" -gt 0 ]; do
        sleep 0.1; wait_tenths=$((wait_tenths - 1))
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
}
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    [ -n "$agent_pid" ] && stop_group "$agent_pid" 5
    local i
    for (( i=${#others[@]}-1; i>=0; i-- )); do stop_group "${others[$i]}" 2; done
    wait 2>/dev/null || true
    # A failed run keeps its files for a look at the logs.
    if [ "$keep_dir" = 1 ] || { [ "$status" != 0 ] && [ "$status" != 130 ]; }; then
        say "files of this run kept in $dir"
    else
        rm -rf "$dir"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'echo; say "stopping"; exit 130' INT TERM

# Starts "$@" in its own session with its output (stdout and stderr) prefixed by a label on our
# stdout, and kept in $dir/<name>.log; sets started_pid.
start() {  # name label command...
    local name="$1" label="$2"; shift 2
    # The labeller ignores Ctrl-C: it must outlive the part, whose last words (the agent's
    # shutdown) would otherwise go to a closed pipe. On screen, values (name=number) show at
    # most two decimals (float32 values arrive as doubles with noise digits); the log keeps all.
    setsid "$@" > >(trap '' INT; tee -a "$dir/$name.log" \
                    | sed -u -E "s/(=-?[0-9]+\.[0-9]{2})[0-9]+/\1/g; s/^/$label/") 2>&1 &
    started_pid=$!
}
# The same, its output kept in $dir/<name>.log only.
start_quietly() {  # name command...
    local name="$1"; shift
    setsid "$@" >>"$dir/$name.log" 2>&1 &
    started_pid=$!
}
# Waits up to $2 seconds for a file to contain a line matching $3.
wait_for_line() {  # file seconds pattern
    local tenths=$(( $2 * 10 ))
    until grep -q "$3" "$1" 2>/dev/null; do
        [ "$tenths" -gt 0 ] || return 1
        sleep 0.1; tenths=$((tenths - 1))
    done
}
free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

[ -x "$agent" ] || fail "no agent binary at $agent (make builds it)"
for tool in mosquitto socat setsid; do
    command -v "$tool" >/dev/null || fail "$tool is missing (Tools/install-host-deps.sh installs it)"
done
"$python" -c 'import pymodbus' 2>/dev/null || fail "pymodbus is missing for $python (Tools/install-host-deps.sh installs it)"

# 1. The broker.
port="$(free_port)"
cat > "$dir/mosquitto.conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
EOF
start_quietly mosquitto mosquitto -c "$dir/mosquitto.conf"
others+=("$started_pid")
tenths=50
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    [ "$tenths" -gt 0 ] || fail "mosquitto did not listen on 127.0.0.1:$port ($(tail -3 "$dir/mosquitto.log" 2>/dev/null))"
    sleep 0.1; tenths=$((tenths - 1))
done

# 2. The RS-485 bus: a pseudo-terminal pair; the agent opens one end, the devices the other.
start_quietly socat socat "pty,raw,echo=0,link=$dir/ttyAgent" "pty,raw,echo=0,link=$dir/ttyDevices"
others+=("$started_pid")
tenths=50
until [ -e "$dir/ttyAgent" ] && [ -e "$dir/ttyDevices" ]; do
    [ "$tenths" -gt 0 ] || fail "socat made no pty pair ($(cat "$dir/socat.log"))"
    sleep 0.1; tenths=$((tenths - 1))
done

# 3. The devices.
start devices "[devices] " "$python" "$root/Tools/demo/sim_devices.py" --rtu "$dir/ttyDevices" --baud 19200 \
    --day-seconds "${DEMO_DAY_SECONDS:-600}" --report 10
others+=("$started_pid")
wait_for_line "$dir/devices.log" 10 READY || fail "the device simulator did not start: $(tail -5 "$dir/devices.log")"

# 4. The cloud: the EnOS simulator if it exists (its proxy in front of the broker checks the
# gateway's signed CONNECT; it logs sub-devices in, replies, records and prints the data),
# otherwise the raw MQTT traffic.
cloud_port="$port"
control_port=""
if [ -f "$cloud_sim" ]; then
    start cloud "[cloud]   " "$python" "$cloud_sim" --broker-port "$port" --listen-port 0 --control-port 0 \
        --gateway demoGatewayPK:demo-gateway:demo-gateway-secret \
        --sub-device demoMeterPK:demo-meter-1:demo-meter-1-secret \
        --sub-device demoInverterPK:demo-inverter-1:demo-inverter-1-secret \
        --sub-device demoPlantPK:demo-plant:demo-plant-secret \
        --record "$dir/cloud-record.jsonl" --print
    others+=("$started_pid")
    wait_for_line "$dir/cloud.log" 10 '^READY' || fail "the cloud simulator did not start: $(tail -5 "$dir/cloud.log")"
    ready="$(grep -m1 '^READY' "$dir/cloud.log")"
    cloud_port="$(sed -n 's/.*listen=\([0-9]*\).*/\1/p' <<<"$ready")"
    control_port="$(sed -n 's/.*control=\([0-9]*\).*/\1/p' <<<"$ready")"
    cloud_what="EnOS cloud simulator on 127.0.0.1:$cloud_port (control $control_port), record $dir/cloud-record.jsonl"
    "$python" "$root/Tools/demo/set_models.py" "$root/Tools/demo/demo-config.json" "$control_port" \
        || fail "the cloud simulator did not take the demo's TSL models"
else
    say "the EnOS cloud simulator ($cloud_sim) is not there yet: showing the raw MQTT traffic instead,"
    say "and nobody answers the agent's logins (it will keep retrying)"
    start cloud "[mqtt]    " mosquitto_sub -h 127.0.0.1 -p "$port" -v -t '#'
    others+=("$started_pid")
    cloud_what="mosquitto_sub -v -t '#' (no cloud simulator yet)"
fi

# 5. The agent's configuration: the demo config with this run's port and paths.
"$python" - "$root/Tools/demo/demo-config.json" "$dir/config.json" "$cloud_port" "$dir" <<'EOF'
import json, sys
source, target, port, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
config = json.load(open(source))
config["buses"][0]["device"] = folder + "/ttyAgent"
config["cloud"]["port"] = port  # the cloud simulator's proxy (or the broker without one)
config["ringLog"]["path"] = folder + "/ring.log"
json.dump(config, open(target, "w"), indent=2)
EOF

set_command='"method":"thing.service.measurepoint.set","params":{"activePowerLimit":30}'
if [ -n "$control_port" ]; then
    write_hint="  Try a write from the cloud: cap the inverter at 30 % of its 10 kW (watch acPower and [devices]):
    echo '{\"cmd\":\"inject\",\"productKey\":\"demoInverterPK\",\"deviceKey\":\"demo-inverter-1\",$set_command}' \\
      | socat - TCP:127.0.0.1:$control_port"
else
    write_hint="  Try a write: cap the inverter at 30 % of its 10 kW (watch acPower and [devices]):
    mosquitto_pub -h 127.0.0.1 -p $port -t /sys/demoInverterPK/demo-inverter-1/thing/service/measurepoint/set \\
      -m '{\"id\":\"1\",\"version\":\"1.0\",$set_command}'"
fi
has_run=0
if "$agent" help 2>&1 | grep -qE '^ +run( |$)'; then has_run=1; fi
if [ "$has_run" = 1 ]; then
    agent_what="$agent run --config $dir/config.json (log: $dir/agent.log)"
else
    agent_what="$agent has no 'run' command yet: the devices are read once with 'modbus read'"
fi
cat <<EOF

== edge-agent demo ==========================================================================
  broker     mosquitto on 127.0.0.1:$port
  bus        RS-485 on a pty pair: agent $dir/ttyAgent <-> devices $dir/ttyDevices (19200 8N1)
  devices    Tools/demo/sim_devices.py: unit 1 power meter (SDM630-like), unit 2 PV inverter
             (a simulated day lasts ${DEMO_DAY_SECONDS:-600} s; a status line every 10 s; the
             inverter's fan fails for 20 s of every minute, from 10 s after the devices start)
  computed   plant (virtual device): totalPower = meter1.activePower + inverter1.acPower, pvShare;
             inverter1.acEnergy10s: the AC energy of each 10 s (Wh, integral of acPower);
             meter1's voltages reported only beyond a 0.5 V deadband (or every 30 s)
  alarm      inverter1-over-temperature (major): heatSinkTemperature above 70 degC for 5 s raises it,
             back to 65 degC or below for 5 s clears it; the agent logs "alarm ... raised/cleared",
             the cloud prints the TSL event "event overTemperature ... state=1/0" with its time
  cloud      $cloud_what
  agent      $agent_what
$write_hint
  Ctrl-C stops everything.
=============================================================================================

EOF

# 6. The agent.
if [ "$has_run" = 1 ]; then
    start agent "[agent]   " "$agent" run --config "$dir/config.json"
    agent_pid="$started_pid"
else
    say "this edge-agent has no 'run' command yet (issue 6, item 1): everything else runs, but no data"
    say "flows to the cloud. The bus works; here are the devices read once with 'edge-agent modbus read':"
    "$agent" modbus read --port "$dir/ttyAgent" --baud 19200 --unit 1 --input 52 --count 2 \
        | awk '$2 == "ABCD" { print "[probe]   meter: total active power (input 52, float32) " $NF " W" }' || true
    "$agent" modbus read --port "$dir/ttyAgent" --baud 19200 --unit 2 --holding 0 --count 10 \
        | awk '$1 ~ /^[0-9]+$/ && NF == 6 { v = v " " $1 ":" $3 } END { print "[probe]   inverter: holding registers" v }' || true
fi

# Runs until Ctrl-C, DEMO_SECONDS, or a part stopping on its own.
started=$SECONDS
while :; do
    sleep 0.5
    if [ "$seconds" -gt 0 ] && [ $((SECONDS - started)) -ge "$seconds" ]; then
        say "DEMO_SECONDS=$seconds reached: stopping"
        if [ -z "$agent_pid" ]; then exit 3; fi
        exit 0
    fi
    if [ -n "$agent_pid" ] && ! kill -0 "$agent_pid" 2>/dev/null; then
        status=0; wait "$agent_pid" || status=$?
        agent_pid=""
        say "the agent stopped by itself with status $status; its last log lines:"
        tail -15 "$dir/agent.log" >&2 || true
        exit 1
    fi
    for pid in "${others[@]}"; do
        kill -0 "$pid" 2>/dev/null || fail "a part of the demo stopped (pid $pid); logs in $dir"
    done
done
