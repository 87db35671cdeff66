#!/usr/bin/env bash
# RAM per MQTT-over-TLS connection on the firmware build (issue 5 targets: <= 48 KB with 16 KB
# records, <= 24 KB with 4 KB records), as a Markdown section for BENCHMARKS.md. Builds
# Tools/firmware-bench/TLSMemory.swift for each board (make firmware-bench), starts a local
# mosquitto with a TLS listener (require_certificate, RSA-2048 certificates made here with openssl)
# and a plain one (for the retained 12 KB message), and runs the program under qemu-user.
#   TLS_MEMORY_BOARDS="qemu-aarch64 qemu-armv7" (default), TLS_MEMORY_RUNS=3;
#   TLS_MEMORY_BUILD_DIR if firmware.mk's FW_BUILD is moved (default build/firmware).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
boards="${TLS_MEMORY_BOARDS:-qemu-aarch64 qemu-armv7}"
runs="${TLS_MEMORY_RUNS:-3}"
command -v mosquitto >/dev/null || { echo "tls-memory: mosquitto is not installed" >&2; exit 1; }
tmp="$(mktemp -d)"
broker=""
cleanup() { [ -n "$broker" ] && kill "$broker" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cd "$tmp"
printf 'subjectAltName=DNS:localhost\n' > san.ext
{
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=bench CA"
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext
  openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=bench client"
  openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2
} >/dev/null 2>&1
chmod 644 ./*; chmod 755 "$tmp"
tls_port=$(free_port); plain_port=$(free_port)
cat > mosquitto.conf <<CONF
per_listener_settings true
listener $tls_port 127.0.0.1
allow_anonymous true
cafile $tmp/ca.crt
certfile $tmp/server.crt
keyfile $tmp/server.key
require_certificate true
tls_version tlsv1.2
listener $plain_port 127.0.0.1
allow_anonymous true
CONF
mosquitto -c mosquitto.conf > mosquitto.log 2>&1 &
broker=$!
for _ in $(seq 50); do mosquitto_pub -p "$plain_port" -t bench/ping -m x 2>/dev/null && break; sleep 0.1; done
head -c 9000 /dev/urandom | base64 -w0 | head -c 12000 > retained.txt
mosquitto_pub -p "$plain_port" -t bench/retained -r -f retained.txt

echo "## MQTT TLS: RAM per connection on the firmware (qemu-user)"
echo
echo "The firmware's mbedTLS (Toolchain/mbedtls-firmware.conf: 16 KB record buffers shrunk after the"
echo "handshake to the negotiated max_fragment_length, no kept peer certificate, TLS 1.2 client only)."
echo "Tools/firmware-bench/TLSMemory.swift over the firmware modules, heap counted by wrapping musl's"
echo "malloc (bytes requested by live blocks): TLSStream created (CA, RSA-2048 client certificate"
echo "and key, RNG), TCP + TLS 1.2 handshake with mosquitto (\`require_certificate\`), MQTT CONNECT,"
echo "SUBSCRIBE and a retained 12 KB message received (in records of up to 16 KB, or 4 KB if negotiated),"
echo "a 200-byte PUBLISH sent; then the heap held. Least of $runs connects."
echo
echo "| board | records (max_fragment_length asked) | held by the connection, bytes | target | peak during the handshake, bytes | after init (certificates, key, buffers), bytes | handshake ms (qemu) |"
echo "|---|---|---:|---|---:|---:|---:|"
for board in $boards; do
    make -s -C "$root" firmware-bench BOARD="$board" >/dev/null
    bin="${TLS_MEMORY_BUILD_DIR:-$root/build/firmware}/$board/bench/TLSMemory"
    qemu=$(sed -n 's/^QEMU[[:space:]]*:=[[:space:]]*//p' "$root/Toolchain/$(sed -n 's/.*"toolchain"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$root/Board/$board/board.json" | head -n1)/toolchain.mk")
    for fragment in 0 4096; do
        out=$($qemu "$bin" "$tmp/ca.crt" "$tmp/client.crt" "$tmp/client.key" localhost "$tls_port" "$fragment" "$runs" bench/retained) || {
            echo "tls-memory: $board fragment $fragment failed: $out" >&2; exit 1; }
        echo "$out" | grep -q '^tls-memory: run=' || { echo "tls-memory: $board: $out" >&2; exit 1; }
        # key=value fields; the least held/peak over the runs, the mean handshake time.
        read -r held peak init ms received < <(echo "$out" | awk '/^tls-memory: run=/ {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            if (n == 0 || v["held"] < held) held = v["held"]
            if (n == 0 || v["handshake_peak"] < peak) peak = v["handshake_peak"]
            if (n == 0 || v["configuration"] < init) init = v["configuration"]
            us += v["handshake_us"]; received = v["received"]; n++ }
            END { printf "%d %d %d %.1f %d\n", held, peak, init, us / n / 1000, received }')
        # PUBLISH body: topic length (2) + "bench/retained" (14) + 12000 bytes.
        [ "$received" = 12016 ] || { echo "tls-memory: $board fragment $fragment: retained PUBLISH body $received bytes, expected 12016" >&2; exit 1; }
        if [ "$fragment" = 0 ]; then label="16 KB (none)"; limit=49152; target="<= 48 KB"; else label="4 KB (4096)"; limit=24576; target="<= 24 KB"; fi
        verdict=$([ "$held" -le "$limit" ] && echo "met" || echo "MISSED")
        echo "| $board | $label | $held ($(( (held + 512) / 1024 )) KB) | $target: $verdict | $peak | $init | $ms |"
    done
done
echo
echo "The peak during the handshake is the same for both record sizes: the record buffers are 16 KB"
echo "each until the broker has accepted max_fragment_length (a broker that ignores it keeps the"
echo "16 KB buffers). The host build (Debian's libmbedtls, table above) cannot shrink them."
