#!/usr/bin/env bash
# Formulas (issue 13): evaluations per second of EdgeCompute's compiled formulas beside the Lua 5.4
# interpreter (Debian lua5.4) evaluating the same expressions (Benchmarks/FormulaBench/formulas.tsv)
# in the same run; the goal is ≥ 3× Lua's rate with 0 allocations per evaluation.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v lua5.4 >/dev/null || apt-get install -y lua5.4 >/dev/null
n=${FORMULA_BENCH_EVALUATIONS:-2000000}
swift build -c release --product FormulaBench >/dev/null
bin="$(swift build -c release --show-bin-path)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin/FormulaBench" Benchmarks/FormulaBench/formulas.tsv "$n" > "$tmp/swift.tsv"
lua5.4 Benchmarks/FormulaBench/bench.lua Benchmarks/FormulaBench/formulas.tsv "$n" > "$tmp/lua.tsv"
echo "## Formulas (issue 13)"
echo
echo "FormulaBench: $n evaluations per formula with the inputs changing each time, compiled EdgeCompute"
echo "code (release build) beside \`lua5.4\` running the same expressions as Lua functions of an input"
echo "table; both sides time processor time (clock(), os.clock()); the checksums (sum of results) must"
echo "agree. Goal: ≥ 3× Lua, 0 allocations."
echo
echo "| formula | EdgeCompute evaluations/s | Lua 5.4 evaluations/s | ratio | allocations | checksums agree |"
echo "|---|---:|---:|---:|---:|---|"
join -t $'\t' <(sort "$tmp/swift.tsv") <(sort "$tmp/lua.tsv") | sort -t $'\t' -k1,1 | \
  awk -F'\t' '{ same = ($3 + 0 == $6 + 0 || ($3 - $6) / ($6 == 0 ? 1 : $6) < 1e-9 && ($6 - $3) / ($6 == 0 ? 1 : $6) < 1e-9) ? "yes" : "NO (" $3 " vs " $6 ")";
               printf "| %s | %d | %d | %.1f× | %d | %s |\n", $1, $2, $5, $2 / $5, $4, same;
               s += $2; l += $5; k++ }
       END { printf "| (mean) | %d | %d | %.1f× | | |\n", s / k, l / k, s / l }'
