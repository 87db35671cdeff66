#!/usr/bin/env bash
# `make bench`: runs every benchmark and writes BENCHMARKS.md (date, machine, command, figures).
# Figures from shared, noisy machines: compare ratios within one run, not absolute numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
out=BENCHMARKS.md
tmp=$(mktemp)
{
    echo "# Benchmarks"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(uname -m), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "- command: \`make bench\` (Tools/bench.sh) at revision $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo
    for b in Tools/bench.d/*.sh; do
        [ -x "$b" ] || continue
        echo "running $b" >&2
        "$b"
        echo
    done
} > "$tmp"
mv "$tmp" "$out"
cat "$out"
