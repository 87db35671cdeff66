#!/usr/bin/env bash
# MQTT QoS 1 publishes per second to a local mosquitto, side by side with mosquitto_pub, and
# allocations per publish (issue 5). MQTTBench starts its own broker on a free loopback port.
set -euo pipefail
bin="$(swift build -c release --show-bin-path)"
swift build -c release --product MQTTBench >/dev/null
"$bin/MQTTBench" "${MQTT_BENCH_MESSAGES:-20000}"
echo
# RAM per TLS connection on the firmware build (its own mbedTLS configuration), under qemu.
"$(dirname "$0")/../firmware-bench/tls-memory.sh"
