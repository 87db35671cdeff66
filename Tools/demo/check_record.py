#!/usr/bin/env python3
"""Checks what the demo delivered to the cloud: reads the EnOS cloud simulator's record file (one
JSON object a line, each with the MQTT "topic" and its "payload") and fails unless measurepoints of
both demo devices arrived, with values a real power meter and PV inverter could have sent.

With --limit PERCENT it also checks the write path: the cloud's measurepoint.set of the
inverter's activePowerLimit was answered with code 200, and the inverter's samples taken from 2.5 s
after that answer report that limit and an AC power within it (10 kW rated).

usage: check_record.py RECORD [--min-samples N] [--limit PERCENT]   exit 0: all good; 1: a check failed
       check_record.py --self-test                   the checker against good and bad records
"""
import argparse
import json
import sys
import time

METER = ("demoMeterPK", "demo-meter-1")
INVERTER = ("demoInverterPK", "demo-inverter-1")
DATA_METHODS = ("thing.measurepoint.post", "thing.measurepoint.post.batch",
                "thing.measurepoint.resume", "thing.measurepoint.resume.batch")

# point: (low, high) of a plausible value
METER_RANGES = {
    **{f"voltageL{k}": (200.0, 260.0) for k in (1, 2, 3)},
    **{f"currentL{k}": (0.0, 100.0) for k in (1, 2, 3)},
    **{f"activePowerL{k}": (0.0, 25_000.0) for k in (1, 2, 3)},
    **{f"reactivePowerL{k}": (0.0, 25_000.0) for k in (1, 2, 3)},
    **{f"powerFactorL{k}": (0.5, 1.0) for k in (1, 2, 3)},
    "activePower": (0.0, 75_000.0), "reactivePower": (0.0, 75_000.0), "powerFactor": (0.5, 1.0),
    "frequency": (49.5, 50.5), "importEnergy": (1_000.0, 10_000_000.0),
}
INVERTER_RANGES = {
    "status": (0, 2), "dcVoltage": (0.0, 1000.0), "dcCurrent": (0.0, 30.0), "acPower": (0.0, 10_500.0),
    "dailyEnergy": (0.0, 100.0), "totalEnergy": (1_000.0, 10_000_000.0),
    "heatSinkTemperature": (-20.0, 90.0), "activePowerLimit": (0, 100),
    "acEnergy10s": (0.0, 30.0),   # Wh in 10 s at up to 10.5 kW
}
MONOTONIC = {METER: ["importEnergy"], INVERTER: ["totalEnergy"]}
RATED_W = 10_000.0
SETTLE_MS = 2_500   # an inverter poll (2 s) and a simulator step after the write's reply


def samples(lines, refused=None):
    """(device, time ms, {point: value}) for every measurepoint entry in the record lines that the
    cloud accepted (replyCode 200 where the record has one); requests it refused are appended to
    `refused` as (method, code)."""
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        entry = json.loads(line)
        payload = entry.get("payload")
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                continue
        if not isinstance(payload, dict) or payload.get("method") not in DATA_METHODS:
            continue
        if entry.get("replyCode", 200) != 200:
            if refused is not None:
                refused.append((payload.get("method"), entry.get("replyCode")))
            continue
        topic = entry.get("topic", "").split("/")
        owner = (topic[2], topic[3]) if len(topic) > 3 else None
        params = payload.get("params")
        for p in params if isinstance(params, list) else [params]:
            if not isinstance(p, dict) or not isinstance(p.get("measurepoints"), dict):
                continue
            device = (p["productKey"], p["deviceKey"]) if "productKey" in p else owner
            points = {k: (v["value"] if isinstance(v, dict) else v) for k, v in p["measurepoints"].items()}
            out.append((device, p.get("time"), points))
    return out


def check_limit(lines, found, limit):
    """Problems of the write path: the set's reply, then samples that follow the new limit."""
    replies = []
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        payload = entry.get("payload")
        if entry.get("kind") == "command_reply" and entry.get("topic", "").startswith("/sys/" + "/".join(INVERTER)) \
                and entry.get("topic", "").endswith("measurepoint/set_reply") and isinstance(payload, dict):
            replies.append((entry.get("time"), payload.get("code")))
    if not replies:
        return ["no reply to the inverter's measurepoint.set arrived"]
    when, code = replies[0]
    if code != 200:
        return [f"the inverter's measurepoint.set was answered with code {code}, not 200"]
    after = [pts for d, t, pts in found if d == INVERTER and isinstance(t, int) and t > when + SETTLE_MS]
    limits = [pts["activePowerLimit"] for pts in after if "activePowerLimit" in pts]
    powers = [pts["acPower"] for pts in after if "acPower" in pts]
    problems = []
    if not limits or not powers:
        problems.append(f"no inverter samples with activePowerLimit and acPower arrived {SETTLE_MS} ms after the write")
    if any(v != limit for v in limits):
        problems.append(f"activePowerLimit after the write: {sorted(set(limits))}, expected {limit}")
    if any(p > RATED_W * limit / 100 + 1 for p in powers):
        problems.append(f"acPower after the write up to {max(powers)} W, above the {limit} % limit")
    return problems


def check(lines, min_samples=5, now_ms=None, limit=None):
    """The problems found, as text (empty: all good)."""
    now_ms = now_ms if now_ms is not None else time.time() * 1000
    problems = []
    refused = []
    try:
        found = samples(lines, refused)
    except (ValueError, KeyError, TypeError) as e:
        return [f"record is not readable: {e}"]
    if refused:
        codes = sorted({str(code) for _, code in refused})
        problems.append(f"the cloud refused {len(refused)} data requests (codes {', '.join(codes)})")
    for device, ranges in ((METER, METER_RANGES), (INVERTER, INVERTER_RANGES)):
        name = "/".join(device)
        mine = [(t, pts) for d, t, pts in found if d == device]
        if len(mine) < min_samples:
            problems.append(f"{name}: {len(mine)} measurepoint entries arrived, expected at least {min_samples}")
            continue
        seen = set()
        for t, points in mine:
            if not isinstance(t, int) or not now_ms - 3_600_000 < t < now_ms + 60_000:
                problems.append(f"{name}: time {t!r} is not an epoch-milliseconds time of the last hour")
            for point, value in points.items():
                seen.add(point)
                if point not in ranges:
                    problems.append(f"{name}: unexpected point {point!r}")
                elif not isinstance(value, (int, float)) or isinstance(value, bool):
                    problems.append(f"{name}: {point} = {value!r} is not a number")
                elif not ranges[point][0] <= value <= ranges[point][1]:
                    problems.append(f"{name}: {point} = {value} outside {ranges[point][0]}...{ranges[point][1]}")
        missing = sorted(set(ranges) - seen)
        if missing:
            problems.append(f"{name}: points never arrived: {', '.join(missing)}")
        for point in MONOTONIC[device]:
            series = [pts[point] for t, pts in sorted(mine, key=lambda e: e[0] or 0)
                      if isinstance(pts.get(point), (int, float))]
            drops = [(a, b) for a, b in zip(series, series[1:]) if b < a]
            if drops:
                problems.append(f"{name}: {point} went down {len(drops)} times, first {drops[0][0]} -> {drops[0][1]}")
    if limit is not None:
        try:
            problems += check_limit(lines, found, limit)
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"record is not readable: {e}")
    return problems


def summary(lines):
    found = samples(lines)
    parts = []
    for device in (METER, INVERTER):
        mine = [pts for d, t, pts in found if d == device]
        parts.append(f"{'/'.join(device)}: {len(mine)} entries, {sum(len(p) for p in mine)} values")
    return "; ".join(parts)


def self_test():
    now = int(time.time() * 1000)
    meter = {**{k: (lo + hi) / 2 for k, (lo, hi) in METER_RANGES.items()}}
    inverter = {k: (lo + hi) / 2 for k, (lo, hi) in INVERTER_RANGES.items()}

    def record(meter_points, inverter_points, count=6, energy_step=1.0, code=200):
        lines = []
        for i in range(count):
            m = dict(meter_points, importEnergy=meter_points.get("importEnergy", 5000.0) + i * energy_step)
            params = [{"productKey": METER[0], "deviceKey": METER[1], "measurepoints": m, "time": now - 1000 * (count - i)},
                      {"productKey": INVERTER[0], "deviceKey": INVERTER[1],
                       "measurepoints": {k: {"value": v, "quality": 0} for k, v in inverter_points.items()},
                       "time": now - 1000 * (count - i)}]
            payload = {"id": str(i), "version": "1.0", "method": "thing.measurepoint.post.batch", "params": params}
            lines.append(json.dumps({"kind": "request", "replyCode": code if i == 3 else 200,
                                     "topic": "/sys/demoGatewayPK/demo-gateway/thing/measurepoint/post/batch",
                                     "payload": payload}))
        return lines

    cases = [
        ("good record", record(meter, inverter), True),
        ("no inverter data", [l for l in record(meter, {})], False),
        ("too few samples", record(meter, inverter, count=2), False),
        ("voltage out of range", record(dict(meter, voltageL2=12.0), inverter), False),
        ("energy going down", record(meter, inverter, energy_step=-0.5), False),
        ("point missing", record({k: v for k, v in meter.items() if k != "frequency"}, inverter), False),
        ("value not a number", record(dict(meter, frequency="50"), inverter), False),
        ("empty record", [], False),
        ("a request refused by the cloud", record(meter, inverter, count=7, code=1212), False),
    ]
    def with_write(lines, code=200, limit=30, power=2999.0):
        reply = {"kind": "command_reply", "time": now - 3000,
                 "topic": "/sys/demoInverterPK/demo-inverter-1/thing/service/measurepoint/set_reply",
                 "payload": {"id": "cmd-1", "code": code, "message": "", "data": {}}}
        after = {"kind": "request", "replyCode": 200,
                 "topic": "/sys/demoGatewayPK/demo-gateway/thing/measurepoint/post/batch",
                 "payload": {"id": "99", "version": "1.0", "method": "thing.measurepoint.post.batch",
                             "params": [{"productKey": INVERTER[0], "deviceKey": INVERTER[1], "time": now - 200,
                                         "measurepoints": dict(inverter, activePowerLimit=limit, acPower=power)}]}}
        return lines + [json.dumps(reply), json.dumps(after)]

    inverter = dict(inverter, activePowerLimit=100)
    cases += [
        ("write obeyed", with_write(record(meter, inverter)), True, 30),
        ("write never answered", record(meter, inverter), False, 30),
        ("write refused", with_write(record(meter, inverter), code=2001), False, 30),
        ("limit not read back", with_write(record(meter, inverter), limit=100), False, 30),
        ("power above the limit", with_write(record(meter, inverter), power=8000.0), False, 30),
    ]
    failed = 0
    for case in cases:
        name, lines, good = case[:3]
        problems = check(lines, now_ms=now, limit=case[3] if len(case) > 3 else None)
        ok = (not problems) == good
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {problems[:1] if problems else 'no problems'}")
    return failed == 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("record", nargs="?")
    parser.add_argument("--min-samples", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="the power limit (%%) the cloud wrote")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return 0 if self_test() else 1
    if not args.record:
        parser.error("give a record file (or --self-test)")
    try:
        with open(args.record) as f:
            lines = f.readlines()
    except OSError as e:
        print(f"check_record: {e}")
        return 1
    problems = check(lines, args.min_samples, limit=args.limit)
    for p in problems:
        print(f"check_record: {p}")
    if problems:
        return 1
    print(f"check_record: ok: {summary(lines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
