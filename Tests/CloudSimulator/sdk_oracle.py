#!/usr/bin/env python3
"""The official EnOS Python SDK (PyPI enos-mqtt-sdk-python 0.1.1) as a gateway against the cloud
simulator: the oracle that checks enos_cloud.py against the SDK and not only against our code.

Run by EnOSTests.SimulatorOracleTests with a simulator (enos_cloud.py --listen-port L
--control-port C --gateway gwPK:gwDK:gwSecret --sub-device sPK:s1:sec1 ...) in front of mosquitto.
Each step sends what the SDK sends (its own builders, its own sign and clientId) and checks that
the SDK matched the simulator's reply to its request (same reply topic, string id) and parsed it,
and that the reply's code and data are what EnOS answers. Prints one JSON line per step
({"step", "code", "data", "ok", "why"}); exits 1 if any step failed, 2 if the SDK is not
installed (Tools/install-host-deps.sh installs it: the test must not pass without it).

Usage: sdk_oracle.py --port L --control-port C --gateway PK:DK:SECRET --sub-device PK:DK:SECRET ...
(the first three sub-devices are used: two are added to the topology, the third is left out).
"""
import argparse
import json
import socket
import sys
import threading
import time

try:
    from enos.core.MqttClient import MqttClient
    from enos.message.downstream.device.SubDeviceDisableCommand import SubDeviceDisableCommand
    from enos.message.downstream.device.SubDeviceDisableReply import SubDeviceDisableReply
    from enos.message.upstream.resume.MeasurepointResumeBatchRequest import MeasurepointResumeBatchRequest
    from enos.message.upstream.resume.MeasurepointResumeRequest import MeasurepointResumeRequest
    from enos.message.upstream.status.SubDeviceLoginBatchRequest import SubDeviceLoginBatchRequest
    from enos.message.upstream.status.SubDeviceLoginRequest import SubDeviceLoginRequest
    from enos.message.upstream.status.SubDeviceLogoutRequest import SubDeviceLogoutRequest
    from enos.message.upstream.topo.SubDeviceInfo import SubDeviceInfo
    from enos.message.upstream.topo.TopoAddRequest import TopoAddRequest
    from enos.message.upstream.topo.TopoGetRequest import TopoGetRequest
    from enos.message.upstream.tsl.MeasurepointPostBatchRequest import MeasurepointPostBatchRequest
    from enos.message.upstream.tsl.MeasurepointPostRequest import MeasurepointPostRequest
    import importlib.metadata
except ImportError as e:
    print(json.dumps({"step": "import", "ok": False,
                      "why": f"the official EnOS SDK is not installed ({e}): run Tools/install-host-deps.sh"}))
    sys.exit(2)

SDK_VERSION = "0.1.1"


class Control:
    """The simulator's control channel: one JSON object a line each way."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buffer = b""

    def __call__(self, **command):
        self.sock.sendall((json.dumps(command) + "\n").encode())
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("simulator closed its control channel")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise RuntimeError(f"simulator: {answer.get('error')}")
        return answer


class Oracle:
    def __init__(self):
        self.failed = 0

    def report(self, step, ok, why="", **fields):
        if not ok:
            self.failed += 1
        print(json.dumps({"step": step, "ok": ok, "why": why, **fields}, default=str), flush=True)

    def exchange(self, step, client, request, code, check=None):
        """Publishes with the SDK's synchronous publish (it waits for the reply on the request's
        `_reply` topic with the request's id); the reply must carry `code`, and `check(data)`
        returns what is wrong with the data ("" if nothing)."""
        try:
            response = client.publish(request)
        except Exception as e:  # noqa: BLE001 - the SDK reports a missing or unmatched reply this way
            self.report(step, False, f"the SDK got no reply it could match: {e}")
            return None
        got, data = response.get_code(), response.get_data()
        why = "" if got == code else f"code {got!r}, expected {code}"
        if not why and check is not None:
            why = check(data)
        self.report(step, not why, why, code=got, data=data, message=response.get_message())
        return response


def device(spec):
    pk, dk, secret = spec.split(":", 2)
    return pk, dk, secret


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--control-port", type=int, required=True)
    ap.add_argument("--gateway", type=device, required=True)
    ap.add_argument("--sub-device", type=device, action="append", default=[])
    args = ap.parse_args()
    version = importlib.metadata.version("enos-mqtt-sdk-python")
    if version != SDK_VERSION:
        print(json.dumps({"step": "import", "ok": False, "why": f"enos-mqtt-sdk-python {version}, expected {SDK_VERSION}"}))
        sys.exit(2)
    (gpk, gdk, gsecret), subs = args.gateway, args.sub_device
    (pk1, dk1, sec1), (pk2, dk2, sec2), (pk3, dk3, sec3) = subs[:3]
    control = Control(args.control_port)
    oracle = Oracle()

    # Connect: the SDK's clientId, user name and sign (its own timestamp, signmethod hmacsha256).
    client = MqttClient(f"tcp://127.0.0.1:{args.port}", gpk, gdk, gsecret)
    client.get_profile().set_auto_reconnect(False)
    # The asynchronous connect: the synchronous one can miss a quick CONNACK (it starts waiting
    # after paho's thread has already signalled) and then waits its full 10 s.
    connection = threading.Event()

    class Callback:
        def on_connect(self):
            connection.set()

        def on_disconnect(self):
            pass

        def on_connect_failed(self):
            pass
    client.connect(Callback())
    connected = connection.wait(10) and client.is_connected()
    oracle.report("connect", connected, "" if connected else "the simulator refused the SDK's CONNECT",
                  clientId=client.get_profile().get_client_id())
    if not connected:
        sys.exit(1)
    # EnOS subscribes a device to its downstream topics itself; the SDK relies on that and never
    # subscribes to them. The simulator sits in front of a plain broker, so the oracle does it,
    # topic by topic: a wildcard would also match the SDK's own `…_reply` topics, which the SDK
    # would take for commands and answer, on and on.
    paho = client._MqttClient__connection._MqttConnection__paho_client
    subscribed = threading.Event()
    paho.on_subscribe = lambda *_: subscribed.set()
    paho.subscribe([(f"/ext/session/{gpk}/{gdk}/combine/{notice}", 1) for notice in ("enable", "disable", "delete")]
                   + [(f"/sys/{gpk}/{gdk}/thing/service/reboot", 1)])
    if not subscribed.wait(10):
        oracle.report("subscribe", False, "no SUBACK for the downstream topics")
        sys.exit(1)

    def keys(entries):
        return sorted(f"{e.get('productKey')}/{e.get('deviceKey')}" for e in entries or [])

    def topology_is(expected):
        return lambda data: "" if isinstance(data, list) and keys(data) == expected else f"topology {data!r}, expected {expected}"

    oracle.exchange("topo.get empty", client, TopoGetRequest.builder().build(), 200, topology_is([]))
    # EnOS refuses a sub-device login outside the gateway's topology.
    login1 = SubDeviceLoginRequest.builder().set_sub_device_info(pk1, dk1, sec1).build()
    oracle.exchange("login outside the topology", client, login1, 740)
    add = TopoAddRequest.builder().add_sub_devices([SubDeviceInfo(pk1, dk1, sec1), SubDeviceInfo(pk2, dk2, sec2)]).build()
    oracle.exchange("topo.add", client, add, 200)
    bad = TopoAddRequest.builder().add_sub_device(SubDeviceInfo(pk3, dk3, "wrong-secret")).build()
    oracle.exchange("topo.add badly signed", client, bad, 1255)
    oracle.exchange("topo.get", client, TopoGetRequest.builder().build(), 200, topology_is(sorted([f"{pk1}/{dk1}", f"{pk2}/{dk2}"])))

    def login_data(data):
        ok = isinstance(data, dict) and data.get("productKey") == pk1 and data.get("deviceKey") == dk1
        return "" if ok else f"login data {data!r} lacks the sub-device's productKey/deviceKey"
    login1 = SubDeviceLoginRequest.builder().set_sub_device_info(pk1, dk1, sec1).build()
    response = oracle.exchange("login", client, login1, 200, login_data)
    if response is not None and response.is_success():
        oracle.report("login accessors", response.get_sub_device_key() == dk1, code=200, data=response.get_sub_device_key())
    # Batch login: s2 in the topology, s3 not: partial success, the failed one listed.
    batch = SubDeviceLoginBatchRequest.builder().add_sub_device_info(pk2, dk2, sec2).add_sub_device_info(pk3, dk3, sec3).build()

    def batch_data(data):
        if not isinstance(data, dict):
            return f"batch data {data!r} is not an object"
        logined, failed = keys(data.get("loginedSubDevices")), keys(data.get("failedSubDevices"))
        if logined != [f"{pk2}/{dk2}"] or failed != [f"{pk3}/{dk3}"]:
            return f"logined {logined}, failed {failed}"
        return ""
    oracle.exchange("login.batch partial", client, batch, 740, batch_data)

    # Measurepoints, built and encoded by the SDK.
    post = MeasurepointPostRequest.builder().add_measurepoint("power", 12.5).add_measurepoint("state", 1).build()
    oracle.exchange("measurepoint.post", client, post, 200)
    malformed = MeasurepointPostRequest.builder().add_measurepoint("power", 1.0).set_timestamp("yesterday").build()
    oracle.exchange("measurepoint.post malformed time", client, malformed, 1206)
    own = MeasurepointPostRequest.builder().set_product_key(gpk).set_device_key(gdk).add_measurepoint("power", 1.5).build()
    sub = MeasurepointPostRequest.builder().set_product_key(pk1).set_device_key(dk1).add_measurepoint("voltage", 230).build()
    # The SDK leaves allowOfflineSubDevice and skipInvalidMeasurepoints as "" unless set.
    oracle.exchange("post.batch default flags", client, MeasurepointPostBatchRequest.builder().add_requests([own, sub]).build(), 200)
    flagged = MeasurepointPostBatchRequest.builder().add_request(sub).set_skip_invalid_measurepoints(True).set_allow_offline_sub_device(False).build()
    oracle.exchange("post.batch flags", client, flagged, 200)
    offline = MeasurepointPostRequest.builder().set_product_key(pk3).set_device_key(dk3).add_measurepoint("voltage", 1).build()
    oracle.exchange("post.batch offline sub-device", client, MeasurepointPostBatchRequest.builder().add_request(offline).build(), 1212)
    allowed = MeasurepointPostBatchRequest.builder().add_request(offline).set_allow_offline_sub_device(True).build()
    oracle.exchange("post.batch offline allowed", client, allowed, 200)
    resume = MeasurepointResumeRequest.builder().add_measure_point("power", 3.0) \
        .add_measure_point_with_quality("temp", 21.5, 9).set_timestamp(int(time.time() * 1000) - 60000).build()
    oracle.exchange("measurepoint.resume", client, resume, 200)
    old = MeasurepointResumeRequest.builder().set_product_key(pk1).set_device_key(dk1).add_measure_point("voltage", 229).build()
    oracle.exchange("resume.batch", client, MeasurepointResumeBatchRequest.builder().add_request(old).build(), 200)

    # Sub-device notices: the simulator sends combine.disable, the SDK's handler replies 200.
    def on_disable(command, path):
        return SubDeviceDisableReply.builder().set_code(200).set_data({}).build()
    client.register_arrived_message_handler(SubDeviceDisableCommand.get_class(), on_disable)
    since = control(cmd="records", since=0)["next"]
    sent = control(cmd="notice", notice="disable", devices=[f"{pk2}/{dk2}"], id="oracle-disable")
    record = control(cmd="wait", match={"kind": "command_reply", "payload.id": sent["id"]}, since=since, timeout=10)["record"]
    ok = record.get("payload", {}).get("code") == 200 and not record.get("problems")
    oracle.report("combine.disable reply", ok, "" if ok else f"simulator recorded {record}", code=record.get("payload", {}).get("code"), data=record.get("problems"))
    login2 = SubDeviceLoginRequest.builder().set_sub_device_info(pk2, dk2, sec2).build()
    oracle.exchange("login of a disabled sub-device", client, login2, 723)
    # A service the SDK has no handler for: it answers 1101 by itself (its code as a string).
    since = control(cmd="records", since=0)["next"]
    sent = control(cmd="inject", productKey=gpk, deviceKey=gdk, method="thing.service.reboot", params={})
    record = control(cmd="wait", match={"kind": "command_reply", "payload.id": sent["id"]}, since=since, timeout=10)["record"]
    code = record.get("payload", {}).get("code")
    ok = str(code) == "1101" and not record.get("problems")
    oracle.report("unhandled service reply", ok, "" if ok else f"simulator recorded {record}", code=code, data=record.get("problems"))

    logout = SubDeviceLogoutRequest.builder().set_sub_product_key(pk1).set_sub_device_key(dk1).build()
    oracle.exchange("logout", client, logout, 200)
    oracle.exchange("post.batch after logout", client, MeasurepointPostBatchRequest.builder().add_request(sub).build(), 1212)
    client.close()
    print(json.dumps({"passed": 0 if oracle.failed else 1, "failed": oracle.failed}), flush=True)
    sys.exit(1 if oracle.failed else 0)


if __name__ == "__main__":
    main()
