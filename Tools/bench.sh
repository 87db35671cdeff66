#!/usr/bin/env bash
# `make bench`: runs every benchmark (Tools/bench.d/*.sh, in name order) and writes BENCHMARKS.md
# (date, machine, command, figures). A benchmark that fails is named in the file with the end of
# its error output, the others still run, and the exit status says it failed.
# Figures from shared, noisy machines: compare ratios within one run, not absolute numbers.
set -uo pipefail
cd "$(dirname "$0")/.."
out=BENCHMARKS.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()
start=$(date +%s)
{
    echo "# Benchmarks"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(uname -m), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); shared with other builds (noisy)"
    echo "- command: \`make bench\` (Tools/bench.sh) at revision $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "- Swift: $(swift --version 2>/dev/null | head -n1)"
    echo "- earlier runs and figures measured by hand (size cuts, before/after comparisons): Benchmarks/HISTORY.md"
    echo
} > "$tmp/head.md"
: > "$tmp/body.md"
for b in Tools/bench.d/*.sh; do
    [ -x "$b" ] || continue
    name=$(basename "$b" .sh)
    echo "running $b" >&2
    t0=$(date +%s)
    if "$b" > "$tmp/$name.md" 2> "$tmp/$name.err"; then
        cat "$tmp/$name.md" >> "$tmp/body.md"
        echo "bench: $name took $(( $(date +%s) - t0 )) s" >&2
    else
        rc=$?
        failed+=("$name")
        echo "bench: $name FAILED (exit $rc)" >&2
        tail -n 20 "$tmp/$name.err" >&2
        {
            cat "$tmp/$name.md"
            echo
            echo "## $name: FAILED (exit $rc)"
            echo
            echo '```'
            tail -n 15 "$tmp/$name.err"
            echo '```'
        } >> "$tmp/body.md"
    fi
    echo >> "$tmp/body.md"
done
{
    cat "$tmp/head.md"
    echo "- duration: $(( $(date +%s) - start )) s$([ ${#failed[@]} -gt 0 ] && echo "; FAILED: ${failed[*]}")"
    echo
    cat "$tmp/body.md"
} > "$out"
cat "$out"
[ ${#failed[@]} -eq 0 ]
