#!/usr/bin/env bash
# Report-by-exception (issue 13): uplink bytes of one point on a 1 Hz, 1,000-sample noisy trace with
# a 0.5 % deadband against sending every sample (Benchmarks/DeadbandBench: the agent's ReportFilter
# and its EnOS measurepoint encoder, each sample one MQTT QoS 1 PUBLISH), and of 1,000 points
# (10 devices x 100) at 1 Hz grouped into post.batch requests as the agent groups them. Goal: >= 80 %
# fewer bytes, every value the cloud holds within the deadband of the truth. Bytes do not depend on
# the build mode: the debug build is enough.
set -euo pipefail
cd "$(dirname "$0")/../.."
samples=${DEADBAND_BENCH_SAMPLES:-1000}
percent=${DEADBAND_BENCH_PERCENT:-0.5}
swift build --product DeadbandBench >/dev/null
fleet_seconds=${DEADBAND_BENCH_FLEET_SECONDS:-1000}
out="$("$(swift build --show-bin-path)/DeadbandBench" "$samples" "$percent" "$fleet_seconds")"
get() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' <<<"$out"; }
echo "## Report-by-exception: uplink bytes with a deadband (issue 13)"
echo
echo "DeadbandBench: a phase voltage sampled at 1 Hz for $samples s (230 V, a ±4 V swing over 10 minutes,"
echo "noise σ 0.3 V, a +8 V step for 100 s; fixed seed), each sent sample one \`thing.measurepoint.post\`"
echo "from the agent's encoder in an MQTT QoS 1 PUBLISH (fixed header, topic, packet id, payload)."
echo "The cloud holds the last value it got; every second it is compared with the true sample."
echo "Goal: ≥ 80 % fewer bytes, every held value within the deadband."
echo
echo "| | messages | uplink bytes | bytes per sample |"
echo "|---|---:|---:|---:|"
echo "| every sample | $(get everyMessages) | $(get everyBytes) | $(awk -v b="$(get everyBytes)" -v n="$samples" 'BEGIN { printf "%.1f", b / n }') |"
echo "| deadbandPercent $percent | $(get deadbandMessages) | $(get deadbandBytes) | $(awk -v b="$(get deadbandBytes)" -v n="$samples" 'BEGIN { printf "%.1f", b / n }') |"
echo
echo "Saving: $(get saving) % of the bytes. Largest difference between the held and the true value:"
echo "$(get worstErrorPercent) % of the held value; samples outside the deadband: $(get outsideDeadband)."
echo
echo "The fleet: 10 devices × 100 points at 1 Hz for $fleet_seconds s (per device 30 phase voltages"
echo "around 230 V with a slow swing, σ 0.3 V and a +6 V tap change for 120 s; 30 currents of 20-80 A"
echo "with a load switching every 2-6 minutes, σ 0.1 %; 20 powers of 50-500 kW with a 30 % ramp and a"
echo "cloud (−40 % for 60 s), σ 0.15 %; 20 temperatures of 25-65 °C drifting, σ 0.05 °C; fixed seeds),"
echo "each value quantized to its register (0.1 V, 0.01 A, 0.1 kW, 0.1 °C) and decoded as raw × scale."
echo "Sent as the agent sends at its defaults: every second each device's samples form one entry"
echo "(productKey, deviceKey, time, measurepoints) of a \`thing.measurepoint.post.batch\` on the"
echo "gateway's topic, a request taking whole devices up to 200 samples (\`batchSamples\`); bytes are the"
echo "MQTT QoS 1 PUBLISH (fixed header, topic, packet id, payload)."
echo
echo "| 1,000 points | requests | samples sent | uplink bytes | bytes per point per second |"
echo "|---|---:|---:|---:|---:|"
echo "| every sample | $(get fleetEveryMessages) | $(get fleetEverySamples) | $(get fleetEveryBytes) | $(get fleetEveryBytesPerPointSecond) |"
echo "| deadbandPercent $percent | $(get fleetDeadbandMessages) | $(get fleetDeadbandSamples) | $(get fleetDeadbandBytes) | $(get fleetDeadbandBytesPerPointSecond) |"
echo
echo "Saving: $(get fleetSaving) % of the bytes. Largest difference between the held and the true value"
echo "over all points and seconds: $(get fleetWorstErrorPercent) % of the held value; point-seconds outside"
echo "the deadband: $(get fleetOutsideDeadband)."
if [ "$(get outsideDeadband)" != 0 ] || awk -v s="$(get saving)" 'BEGIN { exit !(s < 80) }' \
        || [ "$(get fleetOutsideDeadband)" != 0 ] || awk -v s="$(get fleetSaving)" 'BEGIN { exit !(s < 80) }'; then
    echo
    echo "**Goal missed.**"
    exit 1
fi
echo
