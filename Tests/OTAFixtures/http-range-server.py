#!/usr/bin/env python3
"""A small HTTP/1.1 file server for download tests, with Range support and fault injection.

usage: http-range-server.py --dir DIR [--drop-after N] [--drops K] [--ignore-range] [--stall]
                            [--rate BYTES_PER_SECOND]
                            [--cert CHAIN.pem --key KEY.pem]   (HTTPS)
Prints "port P" on stdout once listening on 127.0.0.1 (an ephemeral port), then serves until
killed. Faults:
  --drop-after N --drops K   the first K responses close the connection after N body bytes
                             (with --stall: stop sending and keep the connection open instead)
  --ignore-range             answer every request with 200 and the whole file
  --rate B                   send bodies at about B bytes per second (a slow link: the agent must
                             keep polling and publishing while it downloads)
Each request is logged on stderr as "GET path range".
"""
import argparse
import os
import re
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state = {"drops_left": 0}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        path = os.path.join(self.server.root, self.path.lstrip("/").split("?")[0])
        rng = self.headers.get("Range")
        sys.stderr.write(f"GET {self.path} {rng}\n")
        sys.stderr.flush()
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(path, "rb").read()
        start, end = 0, len(data) - 1
        status = 200
        m = re.match(r"bytes=(\d+)-(\d*)$", rng or "")
        if m and not self.server.ignore_range:
            start = int(m.group(1))
            if m.group(2):
                end = min(int(m.group(2)), len(data) - 1)
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:end + 1]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.end_headers()
        with lock:
            drop = state["drops_left"] > 0
            if drop:
                state["drops_left"] -= 1
        if drop:
            self.wfile.write(body[:self.server.drop_after])
            self.wfile.flush()
            if self.server.stall:
                time.sleep(5)
            self.close_connection = True
            return
        rate = self.server.rate
        if rate <= 0:
            self.wfile.write(body)
            return
        chunk = max(1, rate // 20)
        for i in range(0, len(body), chunk):
            self.wfile.write(body[i:i + chunk])
            self.wfile.flush()
            time.sleep(chunk / rate)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--drop-after", type=int, default=0)
    p.add_argument("--drops", type=int, default=0)
    p.add_argument("--ignore-range", action="store_true")
    p.add_argument("--stall", action="store_true")
    p.add_argument("--rate", type=int, default=0)
    p.add_argument("--cert", help="serve HTTPS with this certificate chain (PEM)")
    p.add_argument("--key", help="the certificate's private key (PEM)")
    a = p.parse_args()
    state["drops_left"] = a.drops
    # The test runner may have spawned us with SIGTERM blocked (inherited mask): unblock it.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.root = a.dir
    server.drop_after = a.drop_after
    server.ignore_range = a.ignore_range
    server.stall = a.stall
    server.rate = a.rate
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
