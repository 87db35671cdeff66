#!/usr/bin/env python3
"""Helpers of the remote-configuration benchmark (Tools/bench.d/90-config-apply.sh, issue 15):

  slave --tcp PORT --units N     pymodbus TCP slave: units 1..N, 100 holding registers each;
                                 register 0 of a unit counts the reads that include it (1, 2, 3, ...),
                                 so every poll of a device is numbered and a poll whose sample never
                                 reaches the cloud is a gap in that device's p0 sequence
  prepare CONFIG                 the agent benchmark's configuration (agent_bench.py config) made
                                 ready for applies: logging at info (the apply's steps, time-stamped),
                                 version "bench-0"
  apply --control PORT --record FILE --config CURRENT --key PEM --run K --work DIR [--timeout S]
                                 signs CURRENT with the template's point at register 99 renamed v<K>
                                 as version bench-<K>, calls thing.service.applyConfiguration (inline
                                 bundle) through the cloud simulator, then follows the simulator's
                                 record: the reply, and the first sample holding v<K> (the new
                                 configuration polling); prints one JSON object (times in epoch ms)
  losses --record FILE --devices N [--since MS]
                                 per device, the p0 counts that arrived (live and backlog): gaps,
                                 duplicates, and the longest interval between consecutive sample time
                                 stamps; prints one JSON object
  steps --log FILE --since MS --until MS
                                 the agent's time-stamped log lines between two instants, as
                                 "+ms line" (where an apply's time goes)
"""
import argparse
import base64
import datetime
import json
import logging
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_bench import POINTS_PER_DEVICE  # noqa: E402  (the same slave layout as the agent benchmark)

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def now_ms():
    return time.time() * 1000


def run_slave(args):
    from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
    from pymodbus.server import ModbusTcpServer
    logging.basicConfig(level=logging.CRITICAL)

    class CountingBlock(ModbusSequentialDataBlock):
        """Register 0 serves the number of reads that included it (Tools/modbus_test_slave.py's unit 5)."""
        def __init__(self, unit):
            super().__init__(0, [(unit * 1000 + i) & 0xFFFF for i in range(POINTS_PER_DEVICE)])
            self.count = 0

        def getValues(self, address, count=1):
            values = super().getValues(address, count)
            if address <= 0 < address + count:
                self.count += 1
                values = list(values)
                values[-address] = self.count & 0xFFFF
            return values

    def unit(u):
        return ModbusSlaveContext(hr=CountingBlock(u), ir=ModbusSequentialDataBlock(0, [0]),
                                  co=ModbusSequentialDataBlock(0, [False]), di=ModbusSequentialDataBlock(0, [False]),
                                  zero_mode=True)
    context = ModbusServerContext(slaves={u: unit(u) for u in range(1, args.units + 1)}, single=False)

    async def serve():
        server = ModbusTcpServer(context, address=("127.0.0.1", args.tcp), ignore_missing_slaves=True)

        async def ready():
            await asyncio.sleep(0.3)
            print("READY", flush=True)
        asyncio.get_running_loop().create_task(ready())
        await server.serve_forever()
    import asyncio
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


def prepare(args):
    with open(args.config) as f:
        config = json.load(f)
    config["logging"] = {"level": "info"}
    config["version"] = "bench-0"
    with open(args.config, "w") as f:
        json.dump(config, f, indent=1)


def record_lines(path, offset):
    """Complete JSON lines of the simulator's record from byte `offset`; and the next offset."""
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    end = data.rfind(b"\n") + 1
    out = []
    for raw in data[:end].splitlines():
        try:
            out.append(json.loads(raw))
        except ValueError:
            continue
    return out, offset + end


def entries(record):
    """(method, params entry) of a measurepoint post or resume in a record line."""
    payload = record.get("payload")
    if record.get("kind") != "request" and not (isinstance(payload, dict) and "method" in payload):
        return
    if not isinstance(payload, dict):
        return
    method = payload.get("method", "")
    if not isinstance(method, str) or not method.startswith(("thing.measurepoint.post", "thing.measurepoint.resume")):
        return
    params = payload.get("params")
    for p in params if isinstance(params, list) else [params]:
        if isinstance(p, dict) and isinstance(p.get("measurepoints"), dict):
            yield method, p


def control(port, command):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((json.dumps(command) + "\n").encode())
        return json.loads(s.makefile().readline())


def apply(args):
    with open(args.config) as f:
        config = json.load(f)
    point = f"v{args.run}"
    for template in config["templates"]:
        for p in template["points"]:
            if p.get("address") == POINTS_PER_DEVICE - 1:
                p["id"] = point
    version = f"bench-{args.run}"
    config["version"] = version
    source = os.path.join(args.work, f"{version}.json")
    bundle = os.path.join(args.work, f"{version}.cfgb")
    with open(source, "w") as f:
        json.dump(config, f, indent=1)
    subprocess.run([sys.executable, os.path.join(ROOT, "Tools/make-config-bundle.py"), "build", "--key", args.key,
                    "--config", source, "--version", version, "--output", bundle], check=True, stdout=subprocess.DEVNULL)
    with open(bundle, "rb") as f:
        signed = base64.b64encode(f.read()).decode()

    _, offset = record_lines(args.record, 0)
    rid = f"apply-{args.run}"
    gateway = config["cloud"]["gateway"]
    called = now_ms()
    answer = control(args.control, {"cmd": "inject", "productKey": gateway["productKey"], "deviceKey": gateway["deviceKey"],
                                    "method": "thing.service.applyConfiguration", "params": {"bundle": signed}, "id": rid})
    if not answer.get("ok"):
        raise SystemExit(f"config_apply_bench: the simulator refused the call: {answer}")
    result = {"run": args.run, "version": version, "point": point, "bundle_bytes": os.path.getsize(bundle),
              "called_ms": called, "delivered_ms": None, "reply_ms": None, "reply": None,
              "first_new_arrival_ms": None, "first_new_time_ms": None, "first_new_method": None,
              "first_new_device": None}
    devices = {d["deviceKey"] for d in config["devices"]}
    first_new = {}
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        lines, offset = record_lines(args.record, offset)
        for r in lines:
            payload = r.get("payload")
            if r.get("kind") == "command" and isinstance(payload, dict) and payload.get("id") == rid:
                result["delivered_ms"] = r["time"]
            if r.get("kind") == "command_reply" and isinstance(payload, dict) and payload.get("id") == rid:
                result["reply_ms"] = r["time"]
                result["reply"] = {k: payload.get(k) for k in ("code", "message", "data")}
            for method, e in entries(r):
                if point in e["measurepoints"]:
                    dk = e.get("deviceKey")
                    if dk not in first_new or e["time"] < first_new[dk][1]:
                        first_new[dk] = (r["time"], e["time"])
                    if result["first_new_arrival_ms"] is None:
                        result["first_new_arrival_ms"] = r["time"]
                        result["first_new_time_ms"] = e["time"]
                        result["first_new_device"] = dk
                        result["first_new_method"] = method
        if result["reply"] is not None and result["reply"].get("code") != 200:
            break
        if result["reply_ms"] is not None and devices <= set(first_new):
            break
        time.sleep(0.05)
    if first_new:
        result["all_new_arrival_ms"] = max(a for a, t in first_new.values())
        result["all_new_time_ms"] = max(t for a, t in first_new.values())
        result["devices_new"] = len(first_new)
    with open(args.config_out, "w") as f:
        json.dump(config, f, indent=1)
    print(json.dumps(result))


def losses(args):
    counts = {}
    times = {}
    offset = 0
    lines, offset = record_lines(args.record, offset)
    for r in lines:
        if r.get("time", 0) < args.since:
            continue
        for method, e in entries(r):
            dk = e.get("deviceKey")
            value = e["measurepoints"].get("p0")
            if isinstance(value, dict):  # {"value": v, "quality": q}
                value = value.get("value")
            if isinstance(value, (int, float)):
                counts.setdefault(dk, []).append(int(value))
            times.setdefault(dk, []).append(e["time"])
    devices = {}
    for u in range(1, args.devices + 1):
        dk = f"bench-dev-{u}"
        seen = counts.get(dk, [])
        unique = set(seen)
        first, last = (min(unique), max(unique)) if unique else (0, -1)
        missing = [c for c in range(first, last + 1) if c not in unique]
        stamps = sorted(set(times.get(dk, [])))
        intervals = [b - a for a, b in zip(stamps, stamps[1:])]
        devices[dk] = {"samples": len(seen), "first": first, "last": last, "missing": len(missing),
                       "missing_counts": missing[:20], "duplicates": len(seen) - len(unique),
                       "longest_interval_ms": max(intervals) if intervals else None}
    print(json.dumps({
        "devices": devices,
        "samples": sum(d["samples"] for d in devices.values()),
        "expected": sum(d["last"] - d["first"] + 1 for d in devices.values()),
        "missing": sum(d["missing"] for d in devices.values()),
        "duplicates": sum(d["duplicates"] for d in devices.values()),
        "longest_interval_ms": max((d["longest_interval_ms"] or 0) for d in devices.values()),
    }))


def log_time_ms(line):
    """The epoch ms of an agent log line (`2026-12-07T15:08:27.123Z severity subsystem: …`)."""
    stamp = line.split(" ", 1)[0]
    try:
        return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp() * 1000
    except ValueError:
        return None


def steps(args):
    with open(args.log, errors="replace") as f:
        for line in f:
            t = log_time_ms(line)
            if t is not None and args.since - 50 <= t <= args.until:
                print(f"+{t - args.since:6.0f} ms  {line.rstrip()[:200]}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("slave")
    s.add_argument("--tcp", type=int, required=True)
    s.add_argument("--units", type=int, required=True)
    p = sub.add_parser("prepare")
    p.add_argument("config")
    a = sub.add_parser("apply")
    a.add_argument("--control", type=int, required=True)
    a.add_argument("--record", required=True)
    a.add_argument("--config", required=True, help="the configuration the agent runs")
    a.add_argument("--config-out", required=True, help="where the applied configuration is written")
    a.add_argument("--key", required=True)
    a.add_argument("--run", type=int, required=True)
    a.add_argument("--work", required=True)
    a.add_argument("--timeout", type=float, default=60.0)
    lo = sub.add_parser("losses")
    lo.add_argument("--record", required=True)
    lo.add_argument("--devices", type=int, required=True)
    lo.add_argument("--since", type=float, default=0.0)
    st = sub.add_parser("steps")
    st.add_argument("--log", required=True)
    st.add_argument("--since", type=float, required=True)
    st.add_argument("--until", type=float, required=True)
    args = parser.parse_args()
    {"slave": run_slave, "prepare": prepare, "apply": apply, "losses": losses, "steps": steps}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
