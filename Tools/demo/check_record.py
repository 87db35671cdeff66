#!/usr/bin/env python3
"""Checks what the demo delivered to the cloud: reads the EnOS cloud simulator's record file (one
JSON object a line, each with the MQTT "topic" and its "payload") and fails unless measurepoints of
both demo devices arrived, with values a real power meter and PV inverter could have sent.

With --limit PERCENT it also checks the write path: the cloud's measurepoint.set of the
inverter's activePowerLimit was answered with code 200, and the inverter's samples taken from 2.5 s
after that answer report that limit and an AC power within it (10 kW rated).

With --alarms CONFIG it also checks the demo's alarm (the `high` rule on the inverter in CONFIG's
`alarms`): its TSL event arrived as a raise and then a clear (thing.event.{eventId}.post on the
inverter's topic, accepted with 200, nothing before the raise, no second raise before the clear),
each stamped with the time its condition was met or went: the raise within ALARM_TOLERANCE_MS
after the first inverter sample above the limit, the clear after the first one at or below the
limit minus the hysteresis that follows, each arriving at least its delay (onDelayMs, offDelayMs)
after that time; the raise's outputs say the temperature above the limit (and the message the
same value), level and state 1, the clear's state 0; and a gateway status sample taken while the
alarm was raised counts it (alarms{Level} = 1).

usage: check_record.py RECORD [--min-samples N] [--limit PERCENT] [--alarms CONFIG]
                                                     exit 0: all good; 1: a check failed
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
GATEWAY = ("demoGatewayPK", "demo-gateway")
RATED_W = 10_000.0
ALARM_TOLERANCE_MS = 2_500   # an inverter poll (2 s) and an evaluation's lag (the batch's newest sample)
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


def alarm_rule(config):
    """The demo's alarm: the first `high` rule on the inverter in a configuration's `alarms`."""
    devices = {d["name"]: (d.get("productKey"), d.get("deviceKey")) for d in config.get("devices", [])}
    for rule in config.get("alarms", []):
        if "high" in rule and devices.get(rule.get("device")) == INVERTER:
            return rule
    return None


def check_alarm(lines, found, rule):
    """Problems of the alarm's delivery (see the module's text)."""
    event = rule["eventId"]
    point, limit = rule["high"]["point"], float(rule["high"]["limit"])
    back = limit - float(rule["high"].get("hysteresis", 0))
    outputs = {o.get("point") or o.get("value"): o["id"] for o in rule.get("outputs", [])}
    method = f"thing.event.{event}.post"
    topic = "/sys/" + "/".join(INVERTER) + f"/thing/event/{event}/post"
    posts = []
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        payload = entry.get("payload")
        if entry.get("kind") == "request" and isinstance(payload, dict) and payload.get("method") == method:
            if entry.get("topic") != topic:
                return [f"{method} arrived on {entry.get('topic')}, not on the inverter's {topic}"]
            if entry.get("replyCode") != 200:
                return [f"the cloud answered {method} with {entry.get('replyCode')} (is the event in the inverter's TSL model?)"]
            posts.append((entry.get("time"), payload.get("params") or {}))
    if not posts:
        return [f"no {method} arrived (the alarm {rule['id']} was never raised)"]
    states = [p.get("events", {}).get(outputs.get("state")) for _, p in posts]
    if len(posts) < 2 or states[:2] != [1, 0]:
        return [f"the alarm's events did not arrive as a raise then a clear: states {states}"]
    if any(a == b for a, b in zip(states, states[1:])):
        return [f"the alarm's events were sent twice in a row: states {states}"]
    (raise_at, raised), (clear_at, cleared) = posts[0], posts[1]
    problems = []
    temps = sorted((t, pts[point]) for d, t, pts in found
                   if d == INVERTER and isinstance(t, int) and isinstance(pts.get(point), (int, float)))
    hot = next((t for t, v in temps if v > limit), None)
    cool = next((t for t, v in temps if hot is not None and t > hot and v <= back), None)
    for name, params, sample, arrival, delay in (("raise", raised, hot, raise_at, rule.get("onDelayMs", 0)),
                                                 ("clear", cleared, cool, clear_at, rule.get("offDelayMs", 0))):
        t = params.get("time")
        if not isinstance(t, int):
            problems.append(f"the {name} has no time: {params}")
        elif sample is None:
            problems.append(f"the {name} arrived but no inverter sample shows its condition ({point} vs {limit}/{back})")
        elif not sample <= t <= sample + ALARM_TOLERANCE_MS:
            problems.append(f"the {name}'s time {t} is not the condition's: the first sample of it was at {sample}")
        elif not isinstance(arrival, int) or arrival < t + delay:
            problems.append(f"the {name} (time {t}) arrived at {arrival}, before its delay of {delay} ms had passed")
    values = raised.get("events", {})
    temperature = values.get(outputs.get(point))
    if not isinstance(temperature, (int, float)) or not temperature > limit:
        problems.append(f"the raise's {outputs.get(point)} is {temperature!r}, not above {limit}")
    elif "message" in outputs and f"{temperature:.6g}" not in str(values.get(outputs["message"])):
        problems.append(f"the raise's message {values.get(outputs['message'])!r} does not say {temperature:.6g}")
    if "level" in outputs and values.get(outputs["level"]) != rule.get("level", "warning"):
        problems.append(f"the raise's level is {values.get(outputs['level'])!r}, not {rule.get('level', 'warning')}")
    cleared_temperature = cleared.get("events", {}).get(outputs.get(point))
    if isinstance(cleared_temperature, (int, float)) and cleared_temperature > back:
        problems.append(f"the clear's {outputs.get(point)} is {cleared_temperature}, above {back}")
    counter = "alarms" + rule.get("level", "warning").capitalize()
    if isinstance(raised.get("time"), int) and isinstance(clear_at, int) and not any(
            d == GATEWAY and isinstance(t, int) and raised["time"] < t < clear_at and pts.get(counter) == 1
            for d, t, pts in found):
        problems.append(f"no gateway status while the alarm was raised counted it ({counter} = 1)")
    return problems


def check(lines, min_samples=5, now_ms=None, limit=None, alarm=None):
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
    if alarm is not None:
        try:
            problems += check_alarm(lines, found, alarm)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
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

    rule = {"id": "inverter1-over-temperature", "device": "inverter1", "eventId": "overTemperature",
            "high": {"point": "heatSinkTemperature", "limit": 70, "hysteresis": 5},
            "onDelayMs": 5000, "offDelayMs": 5000, "level": "major", "message": "heat sink {heatSinkTemperature} °C",
            "outputs": [{"id": "temperature", "point": "heatSinkTemperature"}, {"id": "desc", "value": "message"},
                        {"id": "level", "value": "level"}, {"id": "state", "value": "state"}]}
    base = now - 60_000

    def with_alarm(lines, states=(1, 0), raise_time=base + 2_100, clear_time=base + 20_050, code=200,
                   message=None, status=1):
        """`lines` with the inverter heating above 70 degC at base+2 s and back to 64 at base+20 s,
        the alarm's events (arriving 5.5 s after their times) and a gateway status at base+10 s."""
        def post(t, pts, owner="/".join(GATEWAY), method="thing.measurepoint.post.batch", params=None):
            payload = {"id": "x", "version": "1.0", "method": method,
                       "params": params or [{"productKey": INVERTER[0], "deviceKey": INVERTER[1], "time": t, "measurepoints": pts}]}
            topic = f"/sys/{owner}/thing/measurepoint/post/batch" if method.startswith("thing.measurepoint") \
                else f"/sys/{owner}/thing/event/overTemperature/post"
            return json.dumps({"kind": "request", "replyCode": 200 if method.startswith("thing.measurepoint") else code,
                               "time": t + 5_500 if params and "events" in params else t + 100,
                               "topic": topic, "payload": payload})
        temps = [(0, 40.0), (2_000, 72.0), (4_000, 80.0), (18_000, 79.0), (20_000, 64.0), (22_000, 50.0)]
        out = list(lines) + [post(base + dt, {"heatSinkTemperature": v}) for dt, v in temps]
        out.append(json.dumps({"kind": "request", "replyCode": 200, "time": base + 10_100,
                               "topic": "/sys/demoGatewayPK/demo-gateway/thing/measurepoint/post",
                               "payload": {"id": "s", "version": "1.0", "method": "thing.measurepoint.post",
                                           "params": {"time": base + 10_000, "measurepoints": {"alarmsMajor": status}}}}))
        for state in states:
            t, v = (raise_time, 72.0) if state == 1 else (clear_time, 64.0)
            events = {"temperature": v, "desc": message or f"heat sink {v:.6g} °C", "level": "major", "state": state}
            out.append(post(t, None, owner="/".join(INVERTER), method="thing.event.overTemperature.post",
                            params={"events": events, "time": t}))
        return out

    good = record(meter, inverter)
    cases += [
        ("alarm raised and cleared", with_alarm(good), True, None, rule),
        ("no alarm event (the old demo)", good, False, None, rule),
        ("alarm raised, never cleared", with_alarm(good, states=(1,)), False, None, rule),
        ("clear before the raise", with_alarm(good, states=(0, 1)), False, None, rule),
        ("alarm raised twice", with_alarm(good, states=(1, 1, 0)), False, None, rule),
        ("raise stamped with its sending time", with_alarm(good, raise_time=base + 7_600), False, None, rule),
        ("clear stamped with its sending time", with_alarm(good, clear_time=base + 25_600), False, None, rule),
        ("event refused by the cloud", with_alarm(good, code=1204), False, None, rule),
        ("message without the value", with_alarm(good, message="heat sink hot"), False, None, rule),
        ("status not counting the alarm", with_alarm(good, status=0), False, None, rule),
    ]
    failed = 0
    for case in cases:
        name, lines, good = case[:3]
        problems = check(lines, now_ms=now, limit=case[3] if len(case) > 3 else None,
                         alarm=case[4] if len(case) > 4 else None)
        ok = (not problems) == good
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {problems[:1] if problems else 'no problems'}")
    return failed == 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("record", nargs="?")
    parser.add_argument("--min-samples", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="the power limit (%%) the cloud wrote")
    parser.add_argument("--alarms", metavar="CONFIG", default=None,
                        help="the demo's configuration: check its alarm on the inverter")
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
    alarm = None
    if args.alarms:
        try:
            alarm = alarm_rule(json.load(open(args.alarms)))
        except (OSError, ValueError) as e:
            print(f"check_record: {args.alarms}: {e}")
            return 1
        if alarm is None:
            print(f"check_record: {args.alarms} has no `high` alarm rule on the inverter")
            return 1
    problems = check(lines, args.min_samples, limit=args.limit, alarm=alarm)
    for p in problems:
        print(f"check_record: {p}")
    if problems:
        return 1
    print(f"check_record: ok: {summary(lines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
