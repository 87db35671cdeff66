#!/usr/bin/env bash
# `make run`: shows the agent on this machine. Until the end-to-end agent lands (issue 6: a local
# mosquitto, a simulated Modbus RTU bus with a power meter and a PV inverter, the cloud simulator),
# this runs the parts that exist: version, and the self-test of the linked C libraries.
set -euo pipefail
agent="$1"
echo "== $agent version"
"$agent" version
echo
echo "== $agent selftest"
"$agent" selftest
