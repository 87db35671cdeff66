#!/usr/bin/env python3
"""Gives the cloud simulator the TSL models of the demo's products, as a real EnOS tenant has them
(the agent fetches each product's model at login and leaves out of posts what the model does not
have: cloud.checkModels). Every point of the demo's templates is in its product's model, typed as
the cloud would type what the agent sends: scaled or float registers FLOAT, whole registers INT,
coils BOOL, strings STRING, derived points (formulas, the virtual plant's too) DOUBLE.
Each alarm rule's TSL event (`alarms`: eventId) is in its device's product model too, with the
rule's output parameters: a point's output typed as the point, `state` INT, `message`, `level`
and `rule` STRING (the cloud simulator refuses an event post its product's model does not have,
with 1204, as EnOS does).

usage: set_models.py DEMO_CONFIG CONTROL_PORT
"""
import json
import socket
import sys

# The demo's devices and the product keys the simulator is started with (Tools/demo.sh).
PRODUCTS = {"meter1": "demoMeterPK", "inverter1": "demoInverterPK", "plant": "demoPlantPK"}


def tsl_type(point):
    if "formula" in point:
        return "DOUBLE"   # a derived point is a double (Sources/Configuration/CONFIG.md)
    kind = str(point.get("type", "uint16"))
    if kind in ("bool", "coil", "bit"):
        return "BOOL"
    if kind.startswith("string"):
        return "STRING"
    if kind.startswith("float") or point.get("scale") not in (None, 1):
        return "FLOAT"
    return "INT"


# The types of an alarm output's named values (Sources/Configuration/CONFIG.md, `alarms`).
OUTPUT_VALUE_TYPES = {"message": "STRING", "level": "STRING", "rule": "STRING", "state": "INT"}


def events(config, device, points):
    """{eventId: {output: TSL type}} of the alarm rules of `device`."""
    by_id = {p["id"]: p for p in points}
    found = {}
    for rule in config.get("alarms", []):
        if rule.get("device") != device["name"]:
            continue
        outputs = found.setdefault(rule["eventId"], {})
        for o in rule.get("outputs", []):
            outputs[o["id"]] = tsl_type(by_id[o["point"]]) if "point" in o else OUTPUT_VALUE_TYPES[o["value"]]
    return found


def main():
    config = json.load(open(sys.argv[1]))
    templates = config["templates"]
    if not isinstance(templates, dict):
        templates = {t["name"]: t for t in templates}
    with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5) as s:
        replies = s.makefile()
        for device in config["devices"]:
            product = PRODUCTS[device["name"]]
            # A virtual device has its points itself, a polled one its template's.
            points = device["points"] if device.get("type") == "virtual" else templates[device["template"]]["points"]
            model = {p["id"]: tsl_type(p) for p in points}
            request = {"cmd": "set_model", "productKey": product, "measurepoints": model,
                       "events": events(config, device, points)}
            s.sendall((json.dumps(request) + "\n").encode())
            reply = json.loads(replies.readline() or "{}")
            if reply.get("ok") is not True:
                sys.exit(f"set_model {product}: {reply}")


if __name__ == "__main__":
    main()
