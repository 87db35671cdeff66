#!/usr/bin/env python3
"""Helpers of the agent benchmark (Tools/bench.d/60-agent.sh):

  slave --tcp PORT --units N     pymodbus TCP slave: units 1..N, 100 holding registers each, values
                                 changing every 0.2 s (a bench stand-in for N field devices)
  config --out FILE ...          an agent config polling N*100 points from that slave (--derived K: and
                                 K formula points a device over its polled ones)
  points RECORD --since MS --until MS
                                 live samples in a `mosquitto_sub -F '%U %t %p'` record, split into
                                 derived points (ids d…) and polled ones; prints one JSON object
  latency RECORD [--since MS] [--until MS]
                                 sample-to-broker latency from a `mosquitto_sub -F '%U %t %p'` record:
                                 per stream (post = live, resume = backlog) the samples, p50/p99/max
                                 latency, first and last arrival; prints one JSON object
  replay RECORD --since MS [--quiet S] [--timeout S]
                                 waits until the backlog (resume) stream has arrived and then stayed
                                 quiet for S seconds; prints the resume figures and the live latency
                                 while the backlog was arriving, as one JSON object
  floor --port P [--count N]     reference: publish-to-receive latency of mosquitto_pub/mosquitto_sub
                                 on the same broker (the floor under any agent's latency)
"""
import argparse
import asyncio
import json
import logging
import subprocess
import sys
import time

POINTS_PER_DEVICE = 100


def run_slave(args):
    from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
    from pymodbus.server import ModbusTcpServer
    logging.basicConfig(level=logging.CRITICAL)

    def unit():
        return ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [0] * POINTS_PER_DEVICE),
                                  ir=ModbusSequentialDataBlock(0, [0]), co=ModbusSequentialDataBlock(0, [False]),
                                  di=ModbusSequentialDataBlock(0, [False]), zero_mode=True)
    context = ModbusServerContext(slaves={u: unit() for u in range(1, args.units + 1)}, single=False)

    async def change():
        tick = 0
        while True:
            tick += 1
            for u in range(1, args.units + 1):
                context[u].setValues(3, 0, [(tick + u + i) & 0xFFFF for i in range(POINTS_PER_DEVICE)])
            await asyncio.sleep(0.2)

    async def serve():
        server = ModbusTcpServer(context, address=("127.0.0.1", args.tcp), ignore_missing_slaves=True)
        asyncio.get_running_loop().create_task(change())

        async def ready():
            await asyncio.sleep(0.3)
            print("READY", flush=True)
        asyncio.get_running_loop().create_task(ready())
        await server.serve_forever()
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


# Realistic formulas over a device's polled points p0…p99 (sums, averages, scale and offset, guards,
# magnitudes, EnOS built-ins); derived point k uses pattern k % len and inputs from k on.
DERIVED_PATTERNS = [
    "p{a} + p{b}",
    "p{a} * 0.1 + 2.5",
    "if(p{a} > 30000, p{a} - 30000, p{a})",
    "abs(p{a} - p{b})",
    "(p{a} + p{b} + p{c}) / 3",
    "max(p{a}, p{b}) * 0.01",
    "sqrt(p{a} * p{a} + p{b} * p{b})",
    "sum(p{a}, p{b}, p{c}, p{d}) / 1000",
    "if(p{b} != 0, p{a} / p{b}, 0)",
    "bits_m_to_n(p{a}, 7, 4) + bit_n(p{a}, 0)",
]


def derived_points(count):
    points = []
    for k in range(count):
        inputs = {name: (k + j * 7) % POINTS_PER_DEVICE for j, name in enumerate("abcd")}
        points.append({"id": f"d{k}", "formula": DERIVED_PATTERNS[k % len(DERIVED_PATTERNS)].format(**inputs)})
    return points


def write_config(args):
    devices = args.points // POINTS_PER_DEVICE
    # Several buses (connections, each with its own bus thread) to the same slave: parallel round
    # trips for the fast backlog recording.
    config = {
        "buses": [{"name": f"bench-{b}", "type": "tcp", "host": "127.0.0.1", "port": args.modbus_port,
                   "responseTimeoutMs": 1000} for b in range(args.buses)],
        "templates": [{"name": "block", "intervalMs": args.interval_ms,
                       "points": [{"id": f"p{i}", "table": "holding", "address": i, "type": "uint16"}
                                  for i in range(POINTS_PER_DEVICE)] + derived_points(args.derived)}],
        "devices": [{"name": f"dev-{u}", "template": "block", "unit": u, "bus": f"bench-{u % args.buses}",
                     "productKey": "benchPK", "deviceKey": f"bench-dev-{u}"} for u in range(1, devices + 1)],
        "cloud": {"host": "127.0.0.1", "port": args.mqtt_port, "keepAliveSeconds": 30,
                  "reconnectMinMs": 200, "reconnectMaxMs": 1000,
                  "gateway": {"productKey": "benchGatewayPK", "deviceKey": "bench-gateway", "deviceSecret": "bench-secret"},
                  "subDevices": [{"device": f"dev-{u}", "deviceSecret": f"bench-dev-{u}-secret"}
                                 for u in range(1, devices + 1)]},
        "ringLog": {"path": args.ring, "size": args.ring_size, "sectorSize": "64KiB", "syncIntervalMs": 100},
        "publishing": {"liveIntervalMs": args.live_ms, "batchSamples": 1000, "maxPayloadBytes": "256KiB",
                       "resumeSamplesPerSecond": args.resume_rate, "inFlightRequests": 8},
    }
    if args.defaults:
        # The agent's own defaults for the data path: no publishing section, the ring log's sync
        # interval left alone.
        del config["publishing"]
        del config["ringLog"]["syncIntervalMs"]
    config |= {
        "status": {"intervalMs": 60000},
        "logging": {"level": "warning"},
    }
    with open(args.out, "w") as f:
        json.dump(config, f, indent=1)


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def read_streams(path, since, until, start=0):
    """Per stream (post, resume): [(received ms, latency ms, samples)] from byte offset `start`;
    and the offset after the last complete line."""
    streams = {"post": [], "resume": []}
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read()
    end = data.rfind(b"\n") + 1
    for raw in data[:end].splitlines():
        parts = raw.decode("utf-8", "replace").split(" ", 2)
        if len(parts) < 3:
            continue
        try:
            received_ms = float(parts[0]) * 1000
            payload = json.loads(parts[2])
        except ValueError:
            continue
        method = payload.get("method", "") if isinstance(payload, dict) else ""
        kind = "resume" if method.startswith("thing.measurepoint.resume") else \
            "post" if method.startswith("thing.measurepoint.post") else None
        if kind is None or not since <= received_ms <= until:
            continue
        params = payload.get("params")
        for p in params if isinstance(params, list) else [params]:
            if isinstance(p, dict) and isinstance(p.get("time"), (int, float)):
                n = len(p.get("measurepoints", {}))
                streams[kind].append((received_ms, received_ms - p["time"], n))
    return streams, start + end


def figures(entries):
    lat = [l for r, l, n in entries]
    arrivals = [r for r, l, n in entries]
    return {
        "entries": len(entries), "samples": sum(n for r, l, n in entries),
        "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99), "max_ms": max(lat) if lat else None,
        "first_ms": min(arrivals) if arrivals else None, "last_ms": max(arrivals) if arrivals else None,
    }


def latency(args):
    streams, _ = read_streams(args.record, args.since, args.until)
    print(json.dumps({kind: figures(entries) for kind, entries in streams.items()}))


def replay(args):
    """Follows the record until the resume stream went quiet; live latency while it ran."""
    streams = {"post": [], "resume": []}
    offset = 0
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        more, offset = read_streams(args.record, args.since, float("inf"), offset)
        for kind in streams:
            streams[kind] += more[kind]
        last = max((r for r, l, n in streams["resume"]), default=None)
        if last is not None and time.time() * 1000 - last > args.quiet * 1000:
            break
        time.sleep(1)
    resume = figures(streams["resume"])
    first, last = resume["first_ms"], resume["last_ms"]
    during = [e for e in streams["post"] if first is not None and first <= e[0] <= last]
    print(json.dumps({"resume": resume, "live_during": figures(during), "timed_out": time.time() >= deadline}))


def points(args):
    """Live samples between --since and --until, derived (ids d…) and polled."""
    derived = polled = 0
    with open(args.record, "rb") as f:
        for raw in f:
            parts = raw.decode("utf-8", "replace").split(" ", 2)
            if len(parts) < 3:
                continue
            try:
                received_ms = float(parts[0]) * 1000
                payload = json.loads(parts[2])
            except ValueError:
                continue
            if not isinstance(payload, dict) or not payload.get("method", "").startswith("thing.measurepoint.post") \
                    or not args.since <= received_ms <= args.until:
                continue
            params = payload.get("params")
            for p in params if isinstance(params, list) else [params]:
                for key in (p.get("measurepoints", {}) if isinstance(p, dict) else {}):
                    if key.startswith("d"):
                        derived += 1
                    else:
                        polled += 1
    print(json.dumps({"derived": derived, "polled": polled}))


def floor(args):
    """mosquitto_pub -> mosquitto_sub latency for a small payload on the same broker (reference):
    one publisher connection (mosquitto_pub -l, a line a message), its send time in the payload."""
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(args.port), "-t", "bench/floor", "-q", "1",
                            "-C", str(args.count), "-F", "%U %p"], stdout=subprocess.PIPE, text=True)
    pub = subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(args.port), "-t", "bench/floor", "-q", "1",
                            "-l"], stdin=subprocess.PIPE, text=True)
    time.sleep(0.5)
    for _ in range(args.count):
        pub.stdin.write(repr(time.time()) + "\n")
        pub.stdin.flush()
        time.sleep(0.05)
    out, _ = sub.communicate(timeout=10)
    pub.stdin.close()
    pub.wait(timeout=5)
    lat = []
    for line in out.splitlines():
        received, sent = line.split(" ", 1)
        lat.append((float(received) - float(sent)) * 1000)
    print(json.dumps({"p50_ms": percentile(lat, 50), "max_ms": max(lat) if lat else None, "count": len(lat)}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("slave")
    s.add_argument("--tcp", type=int, required=True)
    s.add_argument("--units", type=int, required=True)
    c = sub.add_parser("config")
    c.add_argument("--out", required=True)
    c.add_argument("--points", type=int, required=True)
    c.add_argument("--interval-ms", type=int, default=1000)
    c.add_argument("--buses", type=int, default=1)
    c.add_argument("--modbus-port", type=int, required=True)
    c.add_argument("--mqtt-port", type=int, required=True)
    c.add_argument("--ring", required=True)
    c.add_argument("--ring-size", default="16MiB")
    c.add_argument("--live-ms", type=int, default=100)
    c.add_argument("--resume-rate", type=int, default=200_000)
    c.add_argument("--defaults", action="store_true", help="the agent's default publishing and ring-log sync settings")
    c.add_argument("--derived", type=int, default=0, help="formula points a device, over its polled points")
    pts = sub.add_parser("points")
    pts.add_argument("record")
    pts.add_argument("--since", type=float, required=True)
    pts.add_argument("--until", type=float, required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("record")
    lat.add_argument("--since", type=float, default=0.0, help="ignore arrivals before this epoch ms")
    lat.add_argument("--until", type=float, default=float("inf"), help="ignore arrivals after this epoch ms")
    r = sub.add_parser("replay")
    r.add_argument("record")
    r.add_argument("--since", type=float, required=True)
    r.add_argument("--quiet", type=float, default=5.0)
    r.add_argument("--timeout", type=float, default=600.0)
    f = sub.add_parser("floor")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    {"slave": run_slave, "config": write_config, "latency": latency, "replay": replay,
     "floor": floor, "points": points}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
