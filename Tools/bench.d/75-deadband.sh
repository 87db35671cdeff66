#!/usr/bin/env bash
# Report-by-exception (issue 13): uplink bytes of one point on a 1 Hz, 1,000-sample noisy trace with
# a 0.5 % deadband against sending every sample (Benchmarks/DeadbandBench: the agent's ReportFilter
# and its EnOS measurepoint encoder, each sample one MQTT QoS 1 PUBLISH). Goal: >= 80 % fewer bytes,
# every value the cloud holds within the deadband of the truth. Bytes do not depend on the build
# mode: the debug build is enough.
set -euo pipefail
cd "$(dirname "$0")/../.."
samples=${DEADBAND_BENCH_SAMPLES:-1000}
percent=${DEADBAND_BENCH_PERCENT:-0.5}
swift build --product DeadbandBench >/dev/null
out="$("$(swift build --show-bin-path)/DeadbandBench" "$samples" "$percent")"
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
if [ "$(get outsideDeadband)" != 0 ] || awk -v s="$(get saving)" 'BEGIN { exit !(s < 80) }'; then
    echo
    echo "**Goal missed.**"
    exit 1
fi
echo
