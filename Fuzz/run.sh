#!/bin/bash
# Fuzzes the MQTT decoder (frame reader and session included) with libFuzzer for <seconds>.
#   Fuzz/run.sh 20     # short run, for `make test`
#   Fuzz/run.sh 3600   # long run, for `make fuzz`
# Builds with the host toolchain's libFuzzer (swiftc -sanitize=fuzzer,address) into
# $FUZZ_BUILD (default build/fuzz). Exits non-zero on a crash; the crashing input is kept in
# $FUZZ_BUILD/artifacts/ (replay: $FUZZ_BUILD/fuzz-mqtt <file>). The working corpus grows in
# $FUZZ_BUILD/corpus/mqtt; the checked-in seeds are Fuzz/MQTT/seeds/.
set -euo pipefail
SECONDS_TO_RUN="${1:-20}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${FUZZ_BUILD:-$ROOT/build/fuzz}"
SWIFTC="${SWIFTC:-swiftc}"
CLANG="${CLANG:-$(dirname "$(command -v "$SWIFTC")")/clang}"
mkdir -p "$BUILD/c" "$BUILD/modules" "$BUILD/artifacts" "$BUILD/corpus/mqtt"
cd "$ROOT"

CSHIM=(-Xcc -fmodule-map-file="$ROOT/Sources/CShim/include/module.modulemap" -Xcc -I -Xcc "$ROOT/Sources/CShim/include")

echo "fuzz: building (CShim, EdgeCore, MQTT + Fuzz/MQTT)"
for c in Sources/CShim/*.c; do
    "$CLANG" -c -O1 -I Sources/CShim/include "$c" -o "$BUILD/c/$(basename "$c" .c).o"
done
"$SWIFTC" -O -wmo -parse-as-library -module-name EdgeCore -emit-module -emit-module-path "$BUILD/modules/EdgeCore.swiftmodule" \
    "${CSHIM[@]}" -c Sources/EdgeCore/*.swift -o "$BUILD/EdgeCore.o"
"$SWIFTC" -O -wmo -parse-as-library -sanitize=fuzzer,address -module-name FuzzMQTT -I "$BUILD/modules" "${CSHIM[@]}" \
    Sources/MQTT/*.swift Fuzz/MQTT/FuzzMQTT.swift "$BUILD/EdgeCore.o" "$BUILD"/c/*.o -o "$BUILD/fuzz-mqtt" 2>&1 \
    | grep -v -e "^$" -e "Cannot export local symbol '__asan" || true
test -x "$BUILD/fuzz-mqtt"

echo "fuzz: running for ${SECONDS_TO_RUN}s"
"$BUILD/fuzz-mqtt" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/" \
    "$BUILD/corpus/mqtt" Fuzz/MQTT/seeds
