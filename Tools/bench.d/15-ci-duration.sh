#!/usr/bin/env bash
# How long CI takes on a fresh clone (issue 2: "fits comfortably in CI's 90 minutes on 2 cores"):
# `bash .ci/run` (= `make test`: host build and tests, the firmware toolchains built from Debian's
# source packages, both qemu boards, the end-to-end tests under qemu, the demo, a short fuzz run) in
# a fresh `git clone` of this checkout's HEAD, timed.
#   BENCH_CI_LOG=FILE      report a run already made: FILE is the output of
#                          `time bash .ci/run` in a fresh clone (its `ci: make test took N s` line)
#   BENCH_CLEAN_CLONE=1    make the run now (about 30-60 minutes on 2 cores); the clone is removed
# Without either, the section says it was not measured. Prints Markdown.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

echo "## CI on a fresh clone (issue 2)"
echo
log="${BENCH_CI_LOG:-}"
how="an earlier run (\`$log\`)"
if [ -z "$log" ] && [ "${BENCH_CLEAN_CLONE:-0}" = 1 ]; then
    clone="$(mktemp -d "${TMPDIR:-/tmp}/ci-bench.XXXXXX")"
    trap 'rm -rf "$clone"' EXIT
    git clone -q "$root" "$clone/repo"
    log="$clone/ci.log"
    how="this run"
    echo "15-ci-duration: bash .ci/run in a fresh clone of $(git rev-parse --short=12 HEAD) (long)" >&2
    start=$(date +%s)
    if ! (cd "$clone/repo" && CI=true bash .ci/run) >"$log" 2>&1 </dev/null; then
        echo "15-ci-duration: .ci/run FAILED after $(( $(date +%s) - start )) s; its last lines:" >&2
        tail -30 "$log" >&2
        exit 1
    fi
fi
if [ -z "$log" ]; then
    echo "Not measured in this run (it takes a full \`bash .ci/run\` in a fresh clone): set"
    echo "\`BENCH_CLEAN_CLONE=1\`, or \`BENCH_CI_LOG=FILE\` with the output of such a run."
    exit 0
fi
[ -f "$log" ] || { echo "15-ci-duration: no file $log" >&2; exit 1; }
took="$(sed -n 's/^ci: make test took \([0-9]*\) s$/\1/p' "$log" | tail -1)"
[ -n "$took" ] || { echo "15-ci-duration: no 'ci: make test took N s' line in $log (a failed run?)" >&2; exit 1; }
revision="$(sed -n 's/^ci: revision \(.*\)$/\1/p' "$log" | head -1)"
echo "\`bash .ci/run\` (\`make test\`) in a fresh \`git clone\`${revision:+ of $revision}, from $how, on this machine ($(nproc) cores,"
echo "shared with other work while it ran): **$((took / 60)) min $((took % 60)) s** of CI's 90-minute budget"
echo "($(( took * 100 / 5400 )) %). It includes building the firmware toolchains' dependencies from Debian's source"
echo "packages, unless a cached \`build/toolchain\` was there (a fresh clone has none)."
# What took how long, from the log's own markers where they are there.
if grep -q '^firmware: .* bytes$' "$log"; then
    echo
    echo "Firmware built in that run:"
    echo
    grep '^firmware: .* bytes$' "$log" | sed 's/^/- /'
fi
