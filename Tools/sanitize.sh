#!/usr/bin/env bash
# The host tests under a sanitizer (`make sanitize`): builds the package with it into its own
# scratch path, runs each filter in its own `swift test` (a sanitizer that stops a process hides
# what later suites would report), the end-to-end suites with the same build of edge-agent, and
# fails on a failed suite or on any sanitizer report, in the test process or any child.
#
# usage: Tools/sanitize.sh asan|tsan [filter...]
#   asan  AddressSanitizer (with LeakSanitizer) over Swift and C, UndefinedBehaviorSanitizer over
#         the C targets (swiftc has no -sanitize=undefined on Linux; Swift checks overflow and
#         bounds itself)
#   tsan  ThreadSanitizer
#   filter  swift test --filter patterns (default: every test module)
#   SANITIZE_SKIP_BUILD=1  use the existing build
#   SANITIZE_SKIP  swift test --skip pattern (default: AgentRunAllocationTests, which preloads its
#         own counting malloc into edge-agent: the sanitizer owns malloc there; the in-process
#         allocation tests still run, counting through the sanitizer's allocation hooks)
# Reports go to build/sanitize/<kind>/ (one file per process); suppressions, one reason each, are
# in Tools/sanitizers/.
set -uo pipefail
cd "$(dirname "$0")/.."
kind="${1:?usage: Tools/sanitize.sh asan|tsan [filter...]}"; shift
swift="${SWIFT:-swift}"
supp="$PWD/Tools/sanitizers"
logs="$PWD/${BUILD_DIR:-build}/sanitize/$kind"
case "$kind" in
  asan) flags=(--sanitize=address -Xcc -fsanitize=undefined); scratch=.build-asan ;;
  tsan) flags=(--sanitize=thread); scratch=.build-tsan ;;
  *) echo "sanitize: unknown sanitizer '$kind' (asan or tsan)" >&2; exit 2 ;;
esac
filters=("$@")
skip="${SANITIZE_SKIP-AgentRunAllocationTests}"
skip_args=(); [ -z "$skip" ] || skip_args=(--skip "$skip")
if [ ${#filters[@]} -eq 0 ]; then
  filters=(EdgeCoreTests EdgeCryptoTests ConsoleTests BoardConfigTests RingLogTests EdgeComputeTests
           FieldBusTests MQTTTests EnOSTests OTATests AgentTests EdgeAgentTests)
fi

start=$(date +%s)
if [ "${SANITIZE_SKIP_BUILD:-0}" != 1 ]; then
  "$swift" build --build-tests "${flags[@]}" --scratch-path "$scratch" || { echo "sanitize: $kind build failed"; exit 1; }
fi
built=$(date +%s)
bin="$("$swift" build "${flags[@]}" --scratch-path "$scratch" --show-bin-path)"
rm -rf "$logs"; mkdir -p "$logs"

# halt_on_error: UBSan and TSan would otherwise go on after a report; every report fails the run
# anyway, and stopping there keeps the first report the one to read.
export ASAN_OPTIONS="log_path=$logs/asan:suppressions=$supp/asan.supp:print_suppressions=0:detect_leaks=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="log_path=$logs/ubsan:suppressions=$supp/ubsan.supp:print_suppressions=0:print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="log_path=$logs/tsan:suppressions=$supp/tsan.supp:print_suppressions=0:halt_on_error=1:second_deadlock_stack=1"
export EDGE_AGENT_BINARY="$bin/edge-agent"

failed=()
for f in "${filters[@]}"; do
  t0=$(date +%s)
  "$swift" test --skip-build "${flags[@]}" --scratch-path "$scratch" --filter "$f" "${skip_args[@]}" > "$logs/$f.log" 2>&1
  rc=$?
  echo "sanitize $kind: $f rc=$rc $(( $(date +%s) - t0 )) s ($(grep -E '^. Test run with' "$logs/$f.log" | tail -n1))"
  [ $rc -eq 0 ] || failed+=("$f")
done

reports=$(grep -lE 'ERROR: (Address|Leak|Thread)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$logs"/asan.* "$logs"/ubsan.* "$logs"/tsan.* 2>/dev/null)
for r in $reports; do
  echo "sanitize $kind: report in $r:"
  grep -m1 -E 'SUMMARY|runtime error:' "$r" | sed 's/^/  /'
done
echo "sanitize $kind: build $(( built - start )) s, tests $(( $(date +%s) - built )) s"
if [ -n "$reports" ] || [ ${#failed[@]} -gt 0 ]; then
  echo "sanitize $kind: FAILED (suites: ${failed[*]:-none}; reports: $(echo $reports | wc -w))"
  exit 1
fi
echo "sanitize $kind: 0 reports"
