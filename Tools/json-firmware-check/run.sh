#!/bin/sh
# Checks the JSON number conversions of the firmware build, run under qemu-user, against Python:
# decimal -> double must give Python's float() bits (at most 1 ULP off in rare halfway or
# subnormal cases), and the text JSONWriter writes must read back within 15 significant digits.
# This is where soft-float armv7 and aarch64 could differ from the host tests.
#   Tools/json-firmware-check/run.sh            (BOARDS="qemu-aarch64 qemu-armv7" by default)
# Builds a small probe (CShim + EdgeCore + JSONProbe.swift) with firmware.mk into build/json-probe.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=build/json-probe
src=$out/src
mkdir -p "$src/JSONProbe"
ln -sfn "$root/Sources/CShim" "$src/CShim"
ln -sfn "$root/Sources/EdgeCore" "$src/EdgeCore"
cp Tools/json-firmware-check/JSONProbe.swift "$src/JSONProbe/main.swift"
boards=${BOARDS:-qemu-aarch64 qemu-armv7}
for b in $boards; do
  make --no-print-directory -f firmware.mk FW_INNER=1 BOARD="$b" FW_SRC="$src" \
    FIRMWARE_MAIN_MODULE=JSONProbe FIRMWARE_HOST_ONLY_FILES= \
    FW_BUILD="$out/$b" FW_OUT="$out/$b/out" fw-all
done
python3 Tools/json-firmware-check/compare.py "$out" $boards
