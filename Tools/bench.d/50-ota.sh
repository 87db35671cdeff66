#!/usr/bin/env bash
# OTA (issue 7), printed as Markdown:
#  1. a cloud-ordered upgrade (UpgradeJob in a poll(2) loop, OTABench) over HTTP and HTTPS on
#     loopback into a file slot: throughput beside curl + md5sum + sha256sum, the heap it holds
#     at two image sizes (target: <= 64 KB beyond the TLS session, whatever the image size), the
#     longest single poll (the agent's loop is never held longer);
#  2. verification time per MB (SHA-256 + ECDSA P-256) beside sha256sum;
#  3. `edge-agent ota verify` / `ota install` from a file, whole-process peak RSS.
# OTA_BENCH_MB sets the large image size (default 64; the small one is an eighth of it).
# EDGE_AGENT_BINARY / OTA_BENCH_BINARY override the release builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bindir="$(swift build -c release --show-bin-path)"
bin="${EDGE_AGENT_BINARY:-$bindir/edge-agent}"
bench="${OTA_BENCH_BINARY:-$bindir/OTABench}"
[ -n "${EDGE_AGENT_BINARY:-}" ] || swift build -c release --product edge-agent >/dev/null
[ -n "${OTA_BENCH_BINARY:-}" ] || swift build -c release --product OTABench >/dev/null
for b in "$bin" "$bench"; do [ -x "$b" ] || { echo "ota bench: $b not built" >&2; exit 1; }; done
command -v curl >/dev/null || apt-get install -y curl >/dev/null
mb="${OTA_BENCH_MB:-64}"
small=$(( mb / 8 > 0 ? mb / 8 : 1 ))
tmp="$(mktemp -d)"
server_pids=()
cleanup() { for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp"

python3 "$root/Tools/make-image.py" keygen --private key.pem --public key.der
head -c "$((mb * 1048576))" /dev/urandom > payload.bin
head -c "$((small * 1048576))" payload.bin > small.bin
mkdir -p www
python3 "$root/Tools/make-image.py" build --key key.pem --board bench --version 9.9.9 --input payload.bin --output www/large.img
python3 "$root/Tools/make-image.py" build --key key.pem --board bench --version 9.9.9 --input small.bin --output www/small.img
head -c 16384 /dev/zero > uboot.env
printf '%s 0x0 0x2000\n%s 0x2000 0x2000\n' "$tmp/uboot.env" "$tmp/uboot.env" > fw_env.config
printf 'BOOT_ORDER=A B\nBOOT_A_LEFT=3\nBOOT_B_LEFT=3\n' > vars.txt
: > empty-default.txt
fw_setenv -c fw_env.config -f empty-default.txt -s vars.txt 2>/dev/null
printf 'A %s/slot-a\nB %s/slot-b\n' "$tmp" "$tmp" > slots.txt
: > slot-a

# Test CA and a localhost certificate for the HTTPS server.
printf 'subjectAltName=DNS:localhost\n' > san.ext
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj "/CN=ota bench ca" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext 2>/dev/null

# start_server NAME [ARGS]: the Range server in the background; its port in $port.
start_server() {
    local name=$1; shift
    python3 "$root/Tests/OTAFixtures/http-range-server.py" --dir www "$@" > "$name.port" 2>/dev/null &
    server_pids+=($!)
    for _ in $(seq 100); do grep -q '^port ' "$name.port" 2>/dev/null && break; sleep 0.05; done
    port=$(awk '/^port / { print $2 }' "$name.port")
    [ -n "$port" ] || { echo "ota bench: $name server did not start" >&2; exit 1; }
}
start_server http; http_port=$port
start_server https --cert server.crt --key server.key; https_port=$port

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
secs() { awk -v s="$1" 'BEGIN { printf "%.3f", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
mbps() { awk -v s="$1" -v m="$2" 'BEGIN { if (s > 0) printf "%.0f", m / s; else print "n/a" }'; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
now() { date +%s.%N; }

# upgrade NAME URL: one UpgradeJob run; prints its OTABench line.
upgrade() {
    local file=$1 url=$2; shift 2
    local size md5
    size=$(stat -c %s "www/$file")
    md5=$(md5sum "www/$file" | cut -d' ' -f1)
    "$bench" install --env-config fw_env.config --slots slots.txt --key key.der --url "$url" --md5 "$md5" --size "$size" "$@"
}
# reference URL [CURL ARGS]: curl downloads into a file, then md5sum (the cloud's digest) and
# sha256sum (the image's), then sync.
reference() {
    local url=$1 t0 t1; shift
    t0=$(now)
    curl -sSf "$@" -o ref.bin "$url"
    md5sum ref.bin >/dev/null; sha256sum ref.bin >/dev/null; sync ref.bin
    t1=$(now)
    cmp -s ref.bin "www/$(basename "$url")" || { echo "ota bench: curl download differs" >&2; exit 1; }
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

l_http=$(upgrade large.img "http://127.0.0.1:$http_port/large.img")
cmp -s payload.bin slot-b || { echo "ota bench: installed slot differs from the payload" >&2; exit 1; }
s_http=$(upgrade small.img "http://127.0.0.1:$http_port/small.img")
l_https=$(upgrade large.img "https://localhost:$https_port/large.img" --ca ca.crt)
s_https=$(upgrade small.img "https://localhost:$https_port/small.img" --ca ca.crt)
l_ref=$(reference "http://127.0.0.1:$http_port/large.img")
l_tls_ref=$(reference "https://localhost:$https_port/large.img" --cacert ca.crt)

v_large=$("$bench" verify --key key.der www/large.img)
v_small=$("$bench" verify --key key.der www/small.img)
t0=$(now); sha256sum www/large.img >/dev/null; t1=$(now)
sha_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

lh_s=$(secs "$(echo "$l_http" | field seconds)"); lh_heap=$(echo "$l_http" | field heap_peak)
sh_heap=$(echo "$s_http" | field heap_peak)
ls_s=$(secs "$(echo "$l_https" | field seconds)"); ls_heap=$(echo "$l_https" | field heap_peak)
ss_heap=$(echo "$s_https" | field heap_peak)
lh_poll=$(secs "$(echo "$l_http" | field longest_poll_ms)"); ls_poll=$(secs "$(echo "$l_https" | field longest_poll_ms)")
tls_heap=$(echo "$l_https" | field transport_heap)
lh_polls=$(echo "$l_http" | field polls)
vl_s=$(echo "$v_large" | field seconds); vl_heap=$(echo "$v_large" | field heap_peak); vs_heap=$(echo "$v_small" | field heap_peak)
verdict() { awk -v b="$1" 'BEGIN { print (b <= 65536 ? "within" : "OVER") }'; }

echo "## OTA: cloud-ordered upgrade of a ${mb} MB image (UpgradeJob in a poll loop, loopback, file slot)"
echo
echo "| operation | edge-agent | reference | ratio (edge-agent / reference) |"
echo "|---|---|---|---|"
echo "| download + md5 + verify (SHA-256, ECDSA) + write + fdatasync + activate, HTTP, vs curl -o + md5sum + sha256sum + sync | ${lh_s} s, $(mbps "$lh_s" "$mb") MB/s | ${l_ref} s | $(ratio "$lh_s" "$l_ref") |"
echo "| the same over HTTPS (mbedTLS, test CA) vs curl --cacert … | ${ls_s} s, $(mbps "$ls_s" "$mb") MB/s | ${l_tls_ref} s | $(ratio "$ls_s" "$l_tls_ref") |"
echo "| verification alone from a file (SHA-256 + ECDSA P-256) vs sha256sum | $(awk -v s="$vl_s" -v m="$mb" 'BEGIN { printf "%.2f", s * 1000 / m }') ms/MB | $(awk -v s="$sha_s" -v m="$mb" 'BEGIN { printf "%.2f", s * 1000 / m }') ms/MB | $(ratio "$vl_s" "$sha_s") |"
echo
echo "| heap held during the upgrade, above what was in use before it (glibc mallinfo2, sampled after every poll) | ${small} MB image | ${mb} MB image | target ≤ 64 KB beyond the TLS session |"
echo "|---|---|---|---|"
echo "| HTTP (the job alone: 16 KB chunk, 4 KB HTTP head, image reader, digest contexts, slot, environment) | $(kb "$sh_heap") KB | $(kb "$lh_heap") KB | $(verdict "$lh_heap") |"
echo "| HTTPS (the job + what the TLS session adds while connecting and reading) | $(kb "$ss_heap") KB | $(kb "$ls_heap") KB | TLS share $(kb $((ls_heap - lh_heap))) KB |"
echo "| the TLS transport itself, allocated before the upgrade (configuration, CA, contexts, record buffers of Debian's mbedTLS) | $(kb "$tls_heap") KB | | |"
echo "| verification alone (image reader, no slot) | $(kb "$vs_heap") KB | $(kb "$vl_heap") KB | |"
echo
echo "Longest single poll of the upgrade (the most the agent's loop waits on it, including the final ECDSA check and fdatasync): HTTP ${lh_poll} ms, HTTPS ${ls_poll} ms, over ${lh_polls} polls."
echo

# Whole-process figures of the CLI from a local file (edge-agent ota verify / install).
cp www/large.img image.bin
measure() { /usr/bin/time -f '%e %M' -o time.txt "$@" >/dev/null 2>&1; cat time.txt; }
read -r v_s v_kb < <(measure "$bin" ota verify --key key.der --board bench --running 1.0 image.bin)
read -r h_s h_kb < <(measure sha256sum image.bin)
read -r i_s i_kb < <(measure "$bin" ota install --env-config fw_env.config --slots slots.txt --key key.der \
    --board bench --running 1.0 --cmdline rauc.slot=A image.bin)
read -r d_s d_kb < <(measure dd if=payload.bin of=slot-copy bs=64k conv=fdatasync)
read -r s_s s_kb < <(measure "$bin" ota verify --key key.der --board bench --running 1.0 www/small.img)
cmp -s payload.bin slot-b || { echo "ota bench: installed slot differs from the payload" >&2; exit 1; }

echo "## OTA: edge-agent ota verify / install of a ${mb} MB image file (whole process)"
echo
echo "| operation | edge-agent | reference | ratio (edge-agent / reference) |"
echo "|---|---|---|---|"
echo "| ota verify (SHA-256 + ECDSA P-256) vs sha256sum | ${v_s} s, $(mbps "$v_s" "$mb") MB/s | ${h_s} s | $(ratio "$v_s" "$h_s") |"
hd_s=$(awk -v a="$h_s" -v b="$d_s" 'BEGIN { printf "%.2f", a + b }')
echo "| ota install into a file slot (verify + write + fdatasync + 3 env writes) vs sha256sum + dd conv=fdatasync | ${i_s} s, $(mbps "$i_s" "$mb") MB/s | ${hd_s} s | $(ratio "$i_s" "$hd_s") |"
echo "| peak RSS during verify | ${v_kb} KB | sha256sum ${h_kb} KB | |"
echo "| peak RSS during install | ${i_kb} KB | dd ${d_kb} KB | |"
echo "| peak RSS during verify of a ${small} MB image (bounded: same as ${mb} MB) | ${s_kb} KB | | $(ratio "$v_kb" "$s_kb") |"
echo
echo "Peak RSS is the whole process (binary, Swift runtime, libraries); the heap figures above are the"
echo "upgrade's own. Loopback on a shared machine: compare the ratios, not the absolute numbers."
