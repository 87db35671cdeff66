#!/usr/bin/env python3
"""Gives the cloud simulator the TSL models of the demo's products, as a real EnOS tenant has them
(the agent fetches each product's model at login and leaves out of posts what the model does not
have: cloud.checkModels). Every point of the demo's templates is in its product's model, typed as
the cloud would type what the agent sends: scaled or float registers FLOAT, whole registers INT,
coils BOOL, strings STRING, derived points (formulas, the virtual plant's too) DOUBLE.

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
            s.sendall((json.dumps({"cmd": "set_model", "productKey": product, "measurepoints": model}) + "\n").encode())
            reply = json.loads(replies.readline() or "{}")
            if reply.get("ok") is not True:
                sys.exit(f"set_model {product}: {reply}")


if __name__ == "__main__":
    main()
