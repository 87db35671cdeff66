#!/usr/bin/env python3
"""EnOS cloud simulator: plays the EnOS IoT Hub in front of a real MQTT broker (mosquitto).

Pure Python 3 (standard library only; its own minimal MQTT 3.1.1 client). Three parts:

* A TCP proxy (--listen-port) in front of the broker (--broker-port) that checks every CONNECT
  exactly as EnOS would (enos-protocol.md section 1.2): client id
  `{id}|securemode=2,signmethod=sha256,timestamp={ms}|`, user name `{dk}&{pk}` of a known
  gateway, password = hex SHA-256 of `clientId{id}deviceKey{dk}productKey{pk}timestamp{ms}` +
  device secret (upper or lower case). A bad one gets CONNACK return code 4 (5 for a sub-device
  connecting directly, or an unknown device) and is closed; a good one is piped to the broker.
* An observer connection to the broker that sees every message: checks envelopes of device
  requests (method matches topic, id is a string, version, params shape), answers their `_reply`
  topics (200, or codes chosen per method / per sub-device; 742 for a bad sub-device sign, 705
  for an unknown sub-device, 1212 for data of a sub-device that is not logged in unless
  allowOfflineSubDevice, 1008 at 512 KiB or more, 1220/1260 for bad envelopes, 1206 for malformed
  measurepoint data), tracks sub-device
  logins (combine.login, combine.login.batch with partial success, combine.logout; all dropped
  when the gateway's connection ends), keeps the gateway's topology (thing.topo.get/add/delete;
  each added entry's sign checked like a login: 1255 for a bad sign, an unknown sub-device or a
  --topo-code; a login of a sub-device outside the topology gets 740, as EnOS answers), sends
  sub-device notices (combine.enable/disable/delete, which also take effect: a disabled
  sub-device's login gets 723, a deleted one's 705), injects commands and records command replies.
* A control channel (--control-port, loopback TCP, one JSON object per line in and out) for tests.

Everything seen is recorded (--record FILE, one JSON object a line: seq, time (ms), kind, topic,
payload (parsed JSON, or text if not JSON), and for requests problems/replyCode). With --print
it prints one line per arriving measurepoint entry: method, id, device, time, points.

Usage:
  enos_cloud.py --broker-port P [--listen-port L] [--gateway PK:DK:SECRET]
                [--sub-device PK:DK:SECRET ...] [--record FILE] [--print] [--control-port C]
                [--broker-host H] [--reply-delay-ms N] [--code METHOD=CODE ...]
                [--login-code DK=CODE ...] [--topo-code DK=CODE ...] [--preset-topology]
                [--max-message-bytes N]
                [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]]
  --port P is an alias of --broker-port. Port 0 for --listen-port/--control-port picks a free
  port. Without --listen-port there is no proxy (nothing checks CONNECT). Without --gateway any
  device's requests are answered (sub-device signs are then not checkable: accepted).
  With --tls-cert/--tls-key the proxy speaks TLS (EnOS port 18883 style) and pipes the plain
  MQTT to the broker; --tls-client-ca also requires a client certificate signed by that CA.
  The topology starts empty (the gateway must add its sub-devices, as on a real EnOS), or with
  every --sub-device in it (--preset-topology: an operator set it in the console).
  When ready it prints `READY listen=L control=C broker=P` on stdout (0 = not enabled).

Control commands (send a JSON line, get a JSON line back, {"ok":true,...} or {"ok":false,"error":...}):
  {"cmd":"inject","productKey":PK,"deviceKey":DK,"method":"thing.service.measurepoint.set",
   "params":{...}, "id":"optional"}                 publish a command on the method's topic
  {"cmd":"inject","topic":T,"raw":"not json"}        publish raw bytes (malformed-command tests)
  {"cmd":"set_code","method":M,"code":C}             reply C to every M (code null: back to normal)
  {"cmd":"refuse_data","device":"PK/DK","code":C,"names":B}
                                                     refuse every measurepoint batch carrying the
                                                     device with C, all or nothing (the message names
                                                     it as "PK&DK has error: ..." when B; code null:
                                                     accept it again); a deleted device's data gets 705
  {"cmd":"set_login_code","deviceKey":DK,"code":C}   login of that sub-device fails with C (null: ok)
  {"cmd":"set_topo_code","deviceKey":DK,"code":C}    thing.topo.add of that sub-device fails with C (null: ok)
  {"cmd":"topology"}                                 the gateway's topology ["PK/DK", ...]
  {"cmd":"set_topology","devices":["PK/DK",...]}     replace the topology
  {"cmd":"set_model","productKey":PK,"measurepoints":{ID:TYPE,...},"events":{EID:{OUT:TYPE,...}}}
                                                     the product's TSL model: thing.tsltemplate.get
                                                     answers {tslModelId, tslAttributeMap {},
                                                     tslMeasurepointMap {ID: {identifier, name,
                                                     dataType: TYPE, hasQuality}}, tslServiceMap {},
                                                     tslEventMap {EID: {identifier, name, outputData
                                                     {OUT: {identifier, name, dataType: TYPE}}}}}
                                                     (the Java SDK sample's reply shape; "events" is
                                                     optional, none: tslEventMap {}). An event post
                                                     (thing.event.EID.post) of a product with a
                                                     model is checked against its tslEventMap: an
                                                     event it does not define, an output parameter
                                                     the event does not have, or a value of another
                                                     type, refuses it with 1204. Measurepoint posts
                                                     are checked against the model too: a
                                                     point it does not define, or a value of another
                                                     type (INT/LONG/ENUM/BOOL: integer, FLOAT/DOUBLE:
                                                     number, STRING/TEXT: string), refuses the whole
                                                     request with 1204 unless skipInvalidMeasurepoints
                                                     is true (then those points are dropped: record
                                                     kind "skipped_points"). "data": X instead of
                                                     "measurepoints" answers X as it is (bad models);
                                                     neither: back to no model. Without a model the
                                                     reply's data is {} (the simulator cannot know the
                                                     product's model: no tslMeasurepointMap, which an
                                                     agent must report, not guess) and points and
                                                     events are not checked.
  {"cmd":"notice","notice":"enable"|"disable"|"delete","devices":["PK/DK",...],"id":"optional"}
                                                     the cloud enables/disables/deletes sub-devices
                                                     (takes effect, then publishes combine.{notice}
                                                     on the gateway's session topic)
  {"cmd":"pause_replies"} / {"cmd":"resume_replies"} hold replies (sent on resume)
  {"cmd":"drop_replies","on":true|false}             answer nothing (timeout tests)
  {"cmd":"allow_offline","on":true|false}            accept data of sub-devices not logged in
  {"cmd":"delay_login_replies","ms":N}               answer sub-device logins N ms late (they take
                                                     effect at once; ms null: like other replies)
  {"cmd":"records","since":N}                        records with seq >= N, and "next"
  {"cmd":"wait","match":{...},"timeout":S,"since":N} first record (seq >= N) whose fields equal
                                                     match's (dotted keys reach into payload,
                                                     e.g. "payload.id"); error on timeout
  {"cmd":"state"}                                    gateway connected?, online sub-devices, counts
  {"cmd":"kick"}                                     close the gateway's proxied connection
  {"cmd":"clear"}                                    forget records
  {"cmd":"http_broker","dir":D,...}                  start (or reconfigure) the EnOS HTTP broker:
                                                     see "EnOS HTTP broker" below; answers {"port":P}

EnOS HTTP broker (file downloads as the Java SDK's HttpConnection does them; loopback HTTP/1.1,
one request per connection): `POST /auth/{pk}/{dk}` with `{"signMethod":"sha256","lifetime":L,
"sign":S,...}`, S = hex SHA-256 of `deviceKey{dk}lifetime{L}productKey{pk}signMethod{m}` + the
device secret (either case), answered `{"code":200,"message":"","data":{"sessionId":...}}` (a bad
sign or an unknown device: `{"code":401,...}`, the simulator's choice: the real code is not public);
`GET /multipart/sys/{pk}/{dk}/file/download?sessionId=..&fileUri=..&category=ota|feature` serves
`enos-connect://NAME` as D/NAME and a relative path `/a/b` as D/a/b, with Range (206, 416), 401 for
an unknown or expired session, 404 for a missing file. Options of the command: "dropAfter": N and
"drops": K (the first K file responses close after N body bytes), "chunkedAuth": true (the auth
reply in chunked encoding), "expireSessions": K (the next K downloads get 401 as if the session
had expired). Records: kind "http_auth" (productKey, deviceKey, signOk, code, lifetime) and
"http_download" (productKey, deviceKey, fileUri, category, range, status).
"""
import argparse
import asyncio
import hashlib
import json
import os
import re
import socket
import struct
import sys
import time
import urllib.parse
import uuid

MAX_MESSAGE_BYTES = 512 * 1024

# Upstream (device -> cloud) request topic suffixes after /sys/{pk}/{dk}/, and their methods.
SYS_REQUESTS = {
    "thing/measurepoint/post": "thing.measurepoint.post",
    "thing/measurepoint/post/batch": "thing.measurepoint.post.batch",
    "thing/measurepoint/resume": "thing.measurepoint.resume",
    "thing/measurepoint/resume/batch": "thing.measurepoint.resume.batch",
    "connection/state/post": "connection.state.post",
    "ota/device/inform": "ota.device.inform",
    "ota/device/progress": "ota.device.progress",
    "ota/device/getversion": "ota.device.getversion",
    "thing/attribute/update": "thing.attribute.update",
    "thing/attribute/query": "thing.attribute.query",
    "thing/attribute/delete": "thing.attribute.delete",
    "thing/tag/update": "thing.tag.update",
    "thing/tag/query": "thing.tag.query",
    "thing/tag/delete": "thing.tag.delete",
    "thing/topo/add": "thing.topo.add",
    "thing/topo/delete": "thing.topo.delete",
    "thing/topo/get": "thing.topo.get",
    "thing/device/register": "thing.device.register",
    "thing/tsltemplate/get": "thing.tsltemplate.get",
    "thing/log/post": "thing.log.post",
    "network/status/report": "network.status.report",
}
SESSION_REQUESTS = {
    "combine/login": "combine.login",
    "combine/login/batch": "combine.login.batch",
    "combine/logout": "combine.logout",
}
SESSION_COMMANDS = {"combine/enable", "combine/disable", "combine/delete"}
DATA_METHODS = ("thing.measurepoint.post", "thing.measurepoint.post.batch",
                "thing.measurepoint.resume", "thing.measurepoint.resume.batch")
EVENT_RE = re.compile(r"^thing/event/([^/]+)/post$")
SERVICE_RE = re.compile(r"^thing/service/(.+)$")


def sign(client_id, pk, dk, timestamp, secret):
    content = f"clientId{client_id}deviceKey{dk}productKey{pk}timestamp{timestamp}{secret}"
    return hashlib.sha256(content.encode()).hexdigest().upper()


def now_ms():
    return int(time.time() * 1000)


# ---------------------------------------------------------------------------------------------
# Minimal MQTT 3.1.1 packet handling

def encode_length(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def mqtt_string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def packet(first, body):
    return bytes([first]) + encode_length(len(body)) + body


async def read_packet(reader):
    """(first byte, body bytes, raw packet bytes) or raises IncompleteReadError."""
    first = await reader.readexactly(1)
    raw = bytearray(first)
    mult, length = 1, 0
    for _ in range(4):
        b = await reader.readexactly(1)
        raw += b
        length += (b[0] & 0x7F) * mult
        mult *= 128
        if not b[0] & 0x80:
            break
    else:
        raise ValueError("malformed remaining length")
    body = await reader.readexactly(length) if length else b""
    raw += body
    return first[0], body, bytes(raw)


def parse_connect(body):
    """client id, username, password (bytes or None) of a CONNECT body."""
    def take_string(i):
        n = struct.unpack("!H", body[i:i + 2])[0]
        return body[i + 2:i + 2 + n], i + 2 + n
    name, i = take_string(0)
    if name != b"MQTT" or body[i] != 4:
        raise ValueError("not MQTT 3.1.1")
    flags = body[i + 1]
    i += 4  # level, flags, keepalive
    client_id, i = take_string(i)
    if flags & 0x04:  # will
        _, i = take_string(i)
        _, i = take_string(i)
    username = password = None
    if flags & 0x80:
        username, i = take_string(i)
    if flags & 0x40:
        password, i = take_string(i)
    return client_id.decode("utf-8", "replace"), \
        username.decode("utf-8", "replace") if username is not None else None, password


def type_fits(tsl_type, value):
    """Whether a posted value fits a TSL data type (INT/LONG/ENUM/BOOL: integer, FLOAT/DOUBLE:
    number, STRING/TEXT: string; other types are not checked)."""
    ok = {"INT": lambda x: isinstance(x, int) and not isinstance(x, bool),
          "FLOAT": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
          "STRING": lambda x: isinstance(x, str)}
    kind = {"LONG": "INT", "ENUM": "INT", "BOOL": "INT", "INTEGER": "INT", "DOUBLE": "FLOAT", "TEXT": "STRING"}.get(tsl_type, tsl_type)
    return kind not in ok or ok[kind](value)


class MQTTObserverClient:
    """Connects to the broker, subscribes to '#', hands every PUBLISH to a callback, publishes."""

    def __init__(self, host, port, on_message, client_id="enos-cloud-simulator"):
        self.host, self.port, self.on_message, self.client_id = host, port, on_message, client_id
        self.writer = None
        self.next_id = 1

    async def connect(self):
        reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = mqtt_string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60) + mqtt_string(self.client_id)
        self.writer.write(packet(0x10, body))
        first, body, _ = await read_packet(reader)
        if first >> 4 != 2 or body[1] != 0:
            raise RuntimeError(f"broker refused the observer: {body!r}")
        pid = self.take_id()
        self.writer.write(packet(0x82, struct.pack("!H", pid) + mqtt_string("#") + bytes([1])))
        await self.writer.drain()
        self.reader = reader

    def take_id(self):
        pid = self.next_id
        self.next_id = self.next_id % 65535 + 1
        return pid

    async def run(self):
        async def pinger():
            while True:
                await asyncio.sleep(30)
                self.writer.write(bytes([0xC0, 0]))
        ping = asyncio.ensure_future(pinger())
        try:
            while True:
                first, body, _ = await read_packet(self.reader)
                kind = first >> 4
                if kind == 3:
                    qos = (first >> 1) & 3
                    n = struct.unpack("!H", body[:2])[0]
                    topic = body[2:2 + n].decode("utf-8", "replace")
                    i = 2 + n
                    if qos:
                        pid = body[i:i + 2]
                        i += 2
                        self.writer.write(packet(0x40, pid))
                    self.on_message(topic, body[i:])
        finally:
            ping.cancel()

    def publish(self, topic, payload):
        if isinstance(payload, str):
            payload = payload.encode()
        self.writer.write(packet(0x30, mqtt_string(topic) + payload))


# ---------------------------------------------------------------------------------------------

class Device:
    def __init__(self, spec):
        parts = spec.split(":", 2)
        if len(parts) != 3 or not all(parts[:2]):
            raise argparse.ArgumentTypeError(f"expected PK:DK:SECRET, got {spec!r}")
        self.pk, self.dk, self.secret = parts


class Cloud:
    def __init__(self, args):
        self.args = args
        self.gateway = args.gateway
        self.subs = {(d.pk, d.dk): d for d in args.sub_device}
        self.record_file = open(args.record, "a", buffering=1) if args.record else None
        self.records = []
        self.seq = 0
        self.method_codes = dict(args.code_overrides)
        self.login_codes = dict(args.login_overrides)
        self.topo_codes = dict(args.topo_overrides)
        # productKey -> the `data` of its thing.tsltemplate.get reply (set_model).
        self.models = {}
        self.topology = set(self.subs) if args.preset_topology else set()
        self.disabled = set()
        self.deleted = set()
        # (pk, dk) -> (code, whether the message names the device): batches carrying it are refused.
        self.refused_data = {}
        self.online = set()
        self.gateway_connections = set()  # proxy connections (writer objects) of the gateway
        self.paused = False
        self.held = []
        self.dropping = False
        self.allow_offline = False
        self.login_reply_delay_ms = None  # None: like every reply (--reply-delay-ms)
        self.observer = None
        self.waiters = []
        self.injected = 0

    # -- recording --------------------------------------------------------------------------
    def record(self, kind, topic=None, payload=None, **extra):
        self.seq += 1
        entry = {"seq": self.seq, "time": now_ms(), "kind": kind}
        if topic is not None:
            entry["topic"] = topic
        if payload is not None:
            entry["payload"] = payload
        entry.update(extra)
        self.records.append(entry)
        if self.record_file:
            self.record_file.write(json.dumps(entry, separators=(",", ":")) + "\n")
        for w in list(self.waiters):
            w(entry)
        return entry

    def log(self, text):
        print(text, flush=True)

    # -- CONNECT check (proxy) --------------------------------------------------------------
    def check_connect(self, client_id, username, password):
        """(return code, reason): 0 accepted."""
        m = re.fullmatch(r"(.*)\|securemode=(\d+),signmethod=([A-Za-z0-9]+),timestamp=([0-9.]+)\|", client_id or "")
        if not m:
            return 4, f"client id {client_id!r} is not '{{id}}|securemode=2,signmethod=sha256,timestamp={{ms}}|'"
        cid, mode, method, ts = m.groups()
        if mode != "2":
            return 4, f"securemode {mode} not supported by the simulator (2 only)"
        if method.lower() not in ("sha256", "hmacsha256"):
            return 4, f"signmethod {method} not supported by the simulator (sha256)"
        if not username or "&" not in username:
            return 4, f"user name {username!r} is not '{{deviceKey}}&{{productKey}}'"
        dk, pk = username.split("&", 1)
        if (pk, dk) in self.subs:
            return 5, f"{pk}/{dk} is a sub-device: it cannot connect directly (771)"
        if self.gateway is None:
            return 0, "accepted (no --gateway given: sign not checked)"
        if (pk, dk) != (self.gateway.pk, self.gateway.dk):
            return 5, f"unknown device {pk}/{dk}"
        expected = sign(cid, pk, dk, ts, self.gateway.secret)
        got = (password or b"").decode("ascii", "replace")
        if got.upper() != expected:
            return 4, f"password is not the sign of clientId{cid}deviceKey{dk}productKey{pk}timestamp{ts}+secret (expected {expected}, got {got})"
        return 0, "accepted"

    # -- observer ---------------------------------------------------------------------------
    def on_message(self, topic, payload_bytes):
        text = payload_bytes.decode("utf-8", "replace")
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        parts = topic.split("/")
        if topic.startswith("/sys/") and len(parts) >= 5:
            session, pk, dk, suffix = False, parts[2], parts[3], "/".join(parts[4:])
        elif topic.startswith("/ext/session/") and len(parts) >= 6:
            session, pk, dk, suffix = True, parts[3], parts[4], "/".join(parts[5:])
        else:
            self.record("other", topic, payload if payload is not None else text)
            return
        shown = payload if payload is not None else text
        if suffix.endswith("_reply"):
            base = suffix[:-6]
            if (not session and (base in SYS_REQUESTS or EVENT_RE.match(base))) or (session and base in SESSION_REQUESTS):
                self.record("cloud_reply", topic, shown)
            else:
                self.record("command_reply", topic, shown, problems=self.check_reply(payload))
            return
        if session and suffix in SESSION_COMMANDS or not session and (SERVICE_RE.match(suffix) or suffix == "ota/device/upgrade"):
            self.record("command", topic, shown)
            return
        method = SESSION_REQUESTS.get(suffix) if session else SYS_REQUESTS.get(suffix)
        if method is None and not session:
            ev = EVENT_RE.match(suffix)
            if ev:
                method = f"thing.event.{ev.group(1)}.post"
        if method is None:
            self.record("other", topic, shown)
            return
        self.handle_request(topic, pk, dk, method, payload, text, len(payload_bytes))

    @staticmethod
    def check_reply(payload):
        problems = []
        if not isinstance(payload, dict):
            return ["reply is not a JSON object"]
        if not isinstance(payload.get("id"), str):
            problems.append("id is not a string")
        code = payload.get("code")
        # The official Python SDK's own 1101 reply (no handler for a command) has the code as a
        # string of digits; EnOS takes it.
        if not (isinstance(code, int) and not isinstance(code, bool)) and not (isinstance(code, str) and code.isdigit()):
            problems.append("code is not an integer")
        if "data" not in payload:
            problems.append("data is missing")
        return problems

    def handle_request(self, topic, pk, dk, method, payload, text, size):
        problems, code, message, data = [], 200, "", {}
        rid = payload.get("id") if isinstance(payload, dict) else None
        if size >= MAX_MESSAGE_BYTES or size > self.args.max_message_bytes:
            problems.append(f"message of {size} bytes: EnOS takes less than {MAX_MESSAGE_BYTES} bytes"
                            f" (and at most --max-message-bytes {self.args.max_message_bytes})")
            code, message = 1008, "Msg size is too large, discard the message"
        elif not isinstance(payload, dict):
            problems.append("payload is not a JSON object")
            code, message = 1220, "Payload format error"
        else:
            if not isinstance(rid, str):
                problems.append(f"id is {type(rid).__name__}, not a string")
            if "version" not in payload:
                problems.append("version is missing")
            if payload.get("method") != method:
                problems.append(f"method {payload.get('method')!r} does not match the topic ({method})")
                code, message = 1260, "Methods not consistent"
            else:
                shape = self.check_params(method, payload.get("params"), payload)
                if shape:
                    problems += shape
                    if method in DATA_METHODS:
                        code, message = 1206, "Measurepoint post data format error: " + "; ".join(shape)
                    else:
                        code, message = 1220, "Payload format error: " + "; ".join(shape)
            if code == 200 and problems:
                code, message = 1220, "Payload format error: " + "; ".join(problems)
        if self.gateway and code == 200 and (method.startswith("combine.") or method in (
                "thing.measurepoint.post.batch", "thing.measurepoint.resume.batch", "connection.state.post")):
            if (pk, dk) != (self.gateway.pk, self.gateway.dk):
                code, message = 1009, "Publish to topic with no write permission"
        if code == 200 and not (method.startswith("thing.topo.") and method in self.method_codes):
            code, message, data = self.apply(method, pk, dk, payload)
        if code == 200 and method in self.method_codes:
            code, message = self.method_codes[method], f"simulated error {self.method_codes[method]}"
        self.record("request", topic, payload if payload is not None else text, method=method,
                    problems=problems, replyCode=code)
        if method in DATA_METHODS and self.args.print:
            self.print_data(method, rid, pk, dk, payload, code)
        elif method.startswith("thing.event.") and self.args.print and isinstance(payload, dict):
            self.print_event(method, rid, pk, dk, payload, code)
        reply = {"id": rid if rid is not None else "unknown", "code": code, "message": message, "data": data}
        late = self.login_reply_delay_ms if method in ("combine.login", "combine.login.batch") else None
        self.send_reply(topic + "_reply", reply, delay_ms=late)

    def check_params(self, method, params, payload):
        p = []
        if method in ("thing.measurepoint.post", "thing.measurepoint.resume"):
            entries = [params]
        elif method in ("thing.measurepoint.post.batch", "thing.measurepoint.resume.batch"):
            if not isinstance(params, list):
                return ["params must be an array"]
            entries = params
            for flag in ("allowOfflineSubDevice", "skipInvalidMeasurepoints"):
                # The official Python SDK sends "" for a flag its user did not set (false).
                if flag in payload and not isinstance(payload[flag], bool) and payload[flag] != "":
                    p.append(f"{flag} must be a boolean (or \"\", the Python SDK's unset value)")
        elif method == "combine.login.batch":
            if not isinstance(params, dict):
                return ["params must be an object"]
            for k in ("clientId", "timestamp", "signMethod"):
                if not isinstance(params.get(k), (str, int)) or isinstance(params.get(k), bool):
                    p.append(f"params.{k} missing")
            if not isinstance(params.get("subDevices"), list):
                p.append("params.subDevices must be an array")
            return p
        elif method == "combine.login":
            if not isinstance(params, dict):
                return ["params must be an object"]
            for k in ("productKey", "deviceKey", "clientId", "timestamp", "signMethod", "sign"):
                if k not in params:
                    p.append(f"params.{k} missing")
            return p
        elif method == "combine.logout":
            if not isinstance(params, dict) or not isinstance(params.get("productKey"), str) or not isinstance(params.get("deviceKey"), str):
                return ["params must be {productKey, deviceKey}"]
            return p
        elif method == "thing.topo.add":
            if not isinstance(params, list):
                return ["params must be an array"]
            for e in params:
                if not isinstance(e, dict):
                    p.append("an entry is not an object")
                    continue
                for k in ("productKey", "deviceKey", "clientId", "timestamp", "signMethod", "sign"):
                    if not isinstance(e.get(k), str):
                        p.append(f"params[].{k} missing or not a string")
            return p
        elif method == "thing.topo.get":
            if not isinstance(params, dict):
                return ["params must be an object"]
            return p
        elif method == "thing.topo.delete":
            if not isinstance(params, list) or not all(isinstance(e, dict) and isinstance(e.get("productKey"), str)
                                                       and isinstance(e.get("deviceKey"), str) for e in params):
                return ["params must be [{productKey, deviceKey}]"]
            return p
        elif method == "connection.state.post":
            if not isinstance(params, dict) or not isinstance(params.get("nodes"), list) or not isinstance(params.get("isFull"), bool):
                return ["params must have isFull and nodes"]
            for n in params["nodes"]:
                if not isinstance(n, dict) or "nodeId" not in n or n.get("state") not in (1, 2, 3):
                    p.append(f"bad node {n!r}")
            if params["isFull"] is False and "relations" in params:
                p.append("a delta (isFull false) must not carry relations")
            return p
        elif method == "ota.device.inform":
            if not isinstance(params, dict) or not isinstance(params.get("version"), str):
                return ["params.version must be a string"]
            return p
        elif method == "ota.device.progress":
            if not isinstance(params, dict) or not isinstance(params.get("step"), str):
                return ["params.step must be a string"]
            try:
                int(params["step"])
            except ValueError:
                p.append("params.step is not an integer string")
            return p
        elif method.startswith("thing.event."):
            if not isinstance(params, dict) or not isinstance(params.get("events"), dict):
                return ["params.events must be an object"]
            return p
        else:
            return p
        for e in entries:
            if not isinstance(e, dict) or not isinstance(e.get("measurepoints"), dict):
                p.append("an entry has no measurepoints object")
                continue
            if ("productKey" in e) != ("deviceKey" in e):
                p.append("an entry has only one of productKey/deviceKey")
            t = e.get("time")
            if t is not None and (not isinstance(t, int) or isinstance(t, bool) or t < 10 ** 12):
                p.append(f"time {t!r} is not epoch milliseconds")
            for k, v in e["measurepoints"].items():
                if isinstance(v, dict):
                    if "value" not in v or not isinstance(v.get("quality"), int) or not 0 <= v["quality"] <= 9:
                        p.append(f"point {k}: object value must be {{value, quality 0..9}}")
                elif v is None:
                    p.append(f"point {k}: null")
        return p

    def apply(self, method, pk, dk, payload):
        """Effects of a well-formed request: (code, message, data)."""
        params = payload.get("params")
        if method == "combine.login":
            return self.login_one(params, params.get("clientId"), params.get("timestamp"))
        if method == "combine.login.batch":
            logined, failed, first_error, texts = [], [], None, ""
            for sub in params.get("subDevices", []):
                entry = dict(sub, clientId=params.get("clientId"), timestamp=params.get("timestamp"))
                code, message, data = self.login_one(entry, params.get("clientId"), params.get("timestamp"))
                if code == 200:
                    logined.append(data)
                else:
                    failed.append({"productKey": sub.get("productKey"), "deviceKey": sub.get("deviceKey")})
                    first_error = first_error or code
                    texts += f"{sub.get('productKey')}&{sub.get('deviceKey')} has error: {message};"
            return (first_error or 200), texts, {"loginedSubDevices": logined, "failedSubDevices": failed}
        if method == "thing.tsltemplate.get":
            return 200, "", self.models.get(pk, {})
        if method == "thing.topo.get":
            return 200, "", [{"productKey": pk_, "deviceKey": dk_} for pk_, dk_ in sorted(self.topology)]
        if method == "thing.topo.add":
            return self.add_topology(params)
        if method == "thing.topo.delete":
            for e in params:
                dev = (e["productKey"], e["deviceKey"])
                if dev in self.online:
                    return 1256, f"Remove topo failure: {dev[0]}/{dev[1]} is online", {}
            for e in params:
                self.topology.discard((e["productKey"], e["deviceKey"]))
            return 200, "", {}
        if method == "combine.logout":
            self.online.discard((params["productKey"], params["deviceKey"]))
            self.record("logout", device=f"{params['productKey']}/{params['deviceKey']}")
            return 200, "", {"productKey": params["productKey"], "deviceKey": params["deviceKey"]}
        if method in DATA_METHODS:
            allow = self.allow_offline or payload.get("allowOfflineSubDevice") is True
            gateway = (self.gateway.pk, self.gateway.dk) if self.gateway else (pk, dk)
            entries = params if isinstance(params, list) else [params]
            for e in entries:
                dev = (e["productKey"], e["deviceKey"]) if "productKey" in e else (pk, dk)
                # All or nothing, the first error met (as EnOS answers a batch).
                if dev in self.refused_data:
                    code, names = self.refused_data[dev]
                    text = {705: "not existed this device", 723: "Device is disable",
                            740: "Sub device not belong the gateway"}.get(code, f"simulated error {code}")
                    return code, (f"{dev[0]}&{dev[1]} has error: {text};" if names else text), {}
                if dev in self.deleted:
                    return 705, "not existed this device", {}
                if dev != gateway and dev not in self.online and not allow:
                    return 1212, f"No sub-device permission: {dev[0]}/{dev[1]} is not logged in", {}
            invalid = self.invalid_points(entries, pk)
            if invalid:
                if payload.get("skipInvalidMeasurepoints") is not True:
                    return 1204, "Model validate failed: " + "; ".join(why for _, _, why in invalid), {}
                for e, k, why in invalid:   # dropped by the cloud (the request is recorded as sent)
                    self.record("skipped_points", point=k, reason=why)
            return 200, "", {}
        if method.startswith("thing.event.") and method.endswith(".post"):
            why = self.invalid_event(pk, method[len("thing.event."):-len(".post")], params.get("events"))
            if why:
                return 1204, "Model validate failed: " + why, {}
        return 200, "", {}

    def invalid_event(self, pk, event, outputs):
        """Why the product's model (set_model) refuses an event post, or None (no model: unchecked)."""
        model = self.models.get(pk)
        events = model.get("tslEventMap") if isinstance(model, dict) else None
        if not isinstance(events, dict):
            return None
        d = events.get(event)
        if not isinstance(d, dict):
            return f"{event} is not an event of product {pk}"
        declared = d.get("outputData") if isinstance(d.get("outputData"), dict) else {}
        for k, value in outputs.items():
            o = declared.get(k)
            if not isinstance(o, dict):
                return f"{k} is not an output parameter of event {event} of product {pk}"
            t = str(o.get("dataType", "")).upper()
            if not type_fits(t, value):
                return f"{k} of event {event} is {t} in the model, got {value!r}"
        return None

    def invalid_points(self, entries, pk):
        """Points of `entries` the product's model (set_model) refuses: (entry, id, why)."""
        found = []
        for e in entries:
            model = self.models.get(e.get("productKey", pk))
            points = model.get("tslMeasurepointMap") if isinstance(model, dict) else None
            if not isinstance(points, dict):
                continue
            for k, v in list(e["measurepoints"].items()):
                d = points.get(k)
                if not isinstance(d, dict):
                    found.append((e, k, f"{k} is not a measurepoint of product {e.get('productKey', pk)}"))
                    continue
                t = str(d.get("dataType", "")).upper()
                value = v.get("value") if isinstance(v, dict) else v
                if not type_fits(t, value):
                    found.append((e, k, f"{k} is {t} in the model, got {value!r}"))
        return found

    def add_topology(self, params):
        """thing.topo.add: every entry checked (the sub-device exists, its sign over its own
        clientId/timestamp with its secret, as the SDK computes it); all added, or none (1255)."""
        errors = []
        for e in params:
            pk, dk = e["productKey"], e["deviceKey"]
            if self.topo_codes.get(dk) is not None:
                return self.topo_codes[dk], f"add topo failure, simulated error {self.topo_codes[dk]} for {pk}/{dk}", {}
            if self.gateway is None:
                continue
            sub = self.subs.get((pk, dk))
            if sub is None or (pk, dk) in self.deleted:
                errors.append(f"{pk}/{dk} does not exist")
            elif str(e["sign"]).upper() != sign(e["clientId"], pk, dk, e["timestamp"], sub.secret):
                errors.append(f"{pk}/{dk} sign check failed")
        if errors:
            return 1255, "add topo failure, " + "; ".join(errors), {}
        for e in params:
            self.topology.add((e["productKey"], e["deviceKey"]))
            self.record("topo_add", device=f"{e['productKey']}/{e['deviceKey']}")
        return 200, "", {}

    def login_one(self, p, client_id, timestamp):
        pk, dk = p.get("productKey"), p.get("deviceKey")
        if dk in self.login_codes and self.login_codes[dk] is not None:
            return self.login_codes[dk], f"simulated login error {self.login_codes[dk]}", {}
        if self.gateway is not None:
            sub = self.subs.get((pk, dk))
            if sub is None or (pk, dk) in self.deleted:
                return 705, "sub-device does not exist", {}
            expected = sign(client_id, pk, dk, timestamp, sub.secret)
            if str(p.get("sign", "")).upper() != expected:
                return 742, "Sign check failed", {}
            if (pk, dk) not in self.topology:
                return 740, "Sub device not belong the gateway", {}
            if (pk, dk) in self.disabled:
                return 723, "Device is disable", {}
        self.online.add((pk, dk))
        self.record("login", device=f"{pk}/{dk}")
        return 200, "", {"assetId": f"asset-{dk}", "productKey": pk, "deviceKey": dk}

    def print_data(self, method, rid, pk, dk, payload, code):
        params = payload.get("params")
        entries = params if isinstance(params, list) else [params]
        short = method.replace("thing.measurepoint.", "")
        for e in entries:
            if not isinstance(e, dict) or not isinstance(e.get("measurepoints"), dict):
                continue
            dev = f"{e['productKey']}/{e['deviceKey']}" if "productKey" in e else f"{pk}/{dk}"
            t = e.get("time")
            when = time.strftime("%H:%M:%S", time.localtime(t / 1000)) + f".{t % 1000:03d}" if isinstance(t, int) else "no time"
            points = []
            for k, v in e["measurepoints"].items():
                if isinstance(v, dict):
                    points.append(f"{k}={v.get('value')}(q{v.get('quality')})")
                else:
                    points.append(f"{k}={v}")
            status = "" if code == 200 else f" -> code {code}"
            self.log(f"{short} id={rid} {dev} @{when} " + " ".join(points) + status)

    def print_event(self, method, rid, pk, dk, payload, code):
        params = payload.get("params") if isinstance(payload.get("params"), dict) else {}
        t = params.get("time")
        when = time.strftime("%H:%M:%S", time.localtime(t / 1000)) + f".{t % 1000:03d}" if isinstance(t, int) else "no time"
        outputs = params.get("events") if isinstance(params.get("events"), dict) else {}
        shown = " ".join(f"{k}={json.dumps(v, ensure_ascii=False) if isinstance(v, str) else v}" for k, v in outputs.items())
        status = "" if code == 200 else f" -> code {code}"
        self.log(f"event {method[len('thing.event.'):-len('.post')]} id={rid} {pk}/{dk} @{when} {shown}{status}")

    def send_reply(self, topic, reply, delay_ms=None):
        if self.dropping:
            return
        if self.paused:
            self.held.append((topic, reply))
            return
        delay = (self.args.reply_delay_ms if delay_ms is None else delay_ms) / 1000.0
        if delay > 0:
            asyncio.get_event_loop().call_later(delay, self._publish, topic, reply)
        else:
            self._publish(topic, reply)

    def _publish(self, topic, obj):
        text = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
        self.observer.publish(topic, text)

    # -- control ----------------------------------------------------------------------------
    async def control(self, reader, writer):
        while True:
            line = await reader.readline()
            if not line:
                break
            try:
                request = json.loads(line)
                answer = await self.run_command(request)
                answer.setdefault("ok", True)
            except Exception as e:  # noqa: BLE001 - every failure goes back to the test
                answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            writer.write((json.dumps(answer, separators=(",", ":")) + "\n").encode())
            await writer.drain()
        writer.close()

    async def run_command(self, r):
        cmd = r.get("cmd")
        if cmd == "inject":
            return self.inject(r)
        if cmd == "set_code":
            if r.get("code") is None:
                self.method_codes.pop(r["method"], None)
            else:
                self.method_codes[r["method"]] = int(r["code"])
            return {}
        if cmd == "refuse_data":
            dev = tuple(r["device"].split("/", 1))
            if r.get("code") is None:
                self.refused_data.pop(dev, None)
            else:
                self.refused_data[dev] = (int(r["code"]), bool(r.get("names", False)))
            return {}
        if cmd == "set_login_code":
            self.login_codes[r["deviceKey"]] = r.get("code")
            return {}
        if cmd == "set_topo_code":
            self.topo_codes[r["deviceKey"]] = r.get("code")
            return {}
        if cmd == "topology":
            return {"topology": sorted(f"{pk}/{dk}" for pk, dk in self.topology)}
        if cmd == "set_model":
            pk = r["productKey"]
            if "data" in r:
                self.models[pk] = r["data"]
            elif isinstance(r.get("measurepoints"), dict):
                events = r.get("events") if isinstance(r.get("events"), dict) else {}
                self.models[pk] = {
                    "tslModelId": f"model-{pk}", "tslAttributeMap": {}, "tslServiceMap": {},
                    "tslEventMap": {e: {"identifier": e, "name": e,
                                        "outputData": {k: {"identifier": k, "name": k, "dataType": t}
                                                       for k, t in (outputs or {}).items()}}
                                    for e, outputs in events.items()},
                    "tslMeasurepointMap": {k: {"identifier": k, "name": k, "dataType": t, "hasQuality": False}
                                           for k, t in r["measurepoints"].items()}}
            else:
                self.models.pop(pk, None)
            return {}
        if cmd == "set_topology":
            self.topology = {tuple(d.split("/", 1)) for d in r.get("devices", [])}
            return {}
        if cmd == "notice":
            return self.notice(r)
        if cmd == "pause_replies":
            self.paused = True
            return {}
        if cmd == "resume_replies":
            self.paused = False
            held, self.held = self.held, []
            for topic, reply in held:
                self._publish(topic, reply)
            return {"released": len(held)}
        if cmd == "drop_replies":
            self.dropping = bool(r.get("on", True))
            return {}
        if cmd == "delay_login_replies":
            # The cloud answers sub-device logins late (the login takes effect at once).
            ms = r.get("ms")
            self.login_reply_delay_ms = None if ms is None else int(ms)
            return {}
        if cmd == "allow_offline":
            self.allow_offline = bool(r.get("on", True))
            return {}
        if cmd == "records":
            since = int(r.get("since", 0))
            return {"records": [e for e in self.records if e["seq"] >= since], "next": self.seq + 1}
        if cmd == "wait":
            return {"record": await self.wait_for(r.get("match", {}), float(r.get("timeout", 5)), int(r.get("since", 0)))}
        if cmd == "state":
            return {"gatewayConnected": bool(self.gateway_connections),
                    "online": sorted(f"{pk}/{dk}" for pk, dk in self.online), "records": self.seq,
                    "held": len(self.held)}
        if cmd == "kick":
            for w in list(self.gateway_connections):
                w.close()
            return {"kicked": len(self.gateway_connections)}
        if cmd == "clear":
            self.records = []
            return {}
        if cmd == "http_broker":
            return await self.start_http_broker(r)
        raise ValueError(f"unknown cmd {cmd!r}")

    def inject(self, r):
        if "topic" in r:
            topic = r["topic"]
        else:
            method, pk, dk = r["method"], r["productKey"], r["deviceKey"]
            if method.startswith("combine."):
                topic = f"/ext/session/{pk}/{dk}/" + method.replace(".", "/")
            else:
                topic = f"/sys/{pk}/{dk}/" + method.replace(".", "/")
        self.injected += 1
        if "raw" in r:
            body = r["raw"]
            rid = None
        else:
            rid = str(r.get("id", f"cmd-{self.injected}"))
            body = json.dumps({"id": rid, "version": "1.0", "method": r["method"], "params": r.get("params", {})},
                              separators=(",", ":"))
        self._publish(topic, body)
        return {"id": rid, "topic": topic}

    def notice(self, r):
        """The cloud enables, disables or deletes sub-devices: the change takes effect (logins
        refused while disabled or deleted; a deleted one leaves the topology and is logged out),
        then combine.{notice} goes to the gateway."""
        kind = r["notice"]
        if kind not in ("enable", "disable", "delete"):
            raise ValueError(f"notice must be enable, disable or delete, not {kind!r}")
        if self.gateway is None:
            raise ValueError("notice needs --gateway")
        devices = [tuple(d.split("/", 1)) for d in r.get("devices", [])]
        for dev in devices:
            if kind == "enable":
                self.disabled.discard(dev)
            elif kind == "disable":
                self.disabled.add(dev)
            else:
                self.deleted.add(dev)
                self.topology.discard(dev)
        params = [{"productKey": pk, "deviceKey": dk} for pk, dk in devices]
        return self.inject({"method": f"combine.{kind}", "productKey": self.gateway.pk, "deviceKey": self.gateway.dk,
                            "params": params, **({"id": r["id"]} if "id" in r else {})})

    async def wait_for(self, match, timeout, since):
        def matches(entry):
            if entry["seq"] < since:
                return False
            for key, want in match.items():
                value = entry
                for part in key.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if value != want:
                    return False
            return True
        for e in self.records:
            if matches(e):
                return e
        future = asyncio.get_event_loop().create_future()

        def waiter(entry):
            if not future.done() and matches(entry):
                future.set_result(entry)
        self.waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no record matching {match} within {timeout} s") from None
        finally:
            self.waiters.remove(waiter)

    # -- proxy ------------------------------------------------------------------------------
    async def proxy(self, client_reader, client_writer):
        peer = client_writer.get_extra_info("peername")
        try:
            first, body, raw = await asyncio.wait_for(read_packet(client_reader), 30)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
            client_writer.close()
            return
        if first >> 4 != 1:
            self.record("connect_refused", reason="first packet is not CONNECT")
            client_writer.close()
            return
        try:
            client_id, username, password = parse_connect(body)
        except (ValueError, IndexError, struct.error) as e:
            self.record("connect_refused", reason=f"malformed CONNECT: {e}")
            client_writer.write(packet(0x20, bytes([0, 2])))
            client_writer.close()
            return
        rc, reason = self.check_connect(client_id, username, password)
        if rc != 0:
            self.record("connect_refused", clientId=client_id, username=username, returnCode=rc, reason=reason)
            self.log(f"CONNECT refused ({rc}): {reason}")
            client_writer.write(packet(0x20, bytes([0, rc])))
            await client_writer.drain()
            client_writer.close()
            return
        try:
            broker_reader, broker_writer = await asyncio.open_connection(self.args.broker_host, self.args.broker_port)
        except OSError as e:
            self.record("connect_refused", clientId=client_id, reason=f"broker unreachable: {e}")
            client_writer.write(packet(0x20, bytes([0, 3])))
            client_writer.close()
            return
        extra = {}
        cert = client_writer.get_extra_info("peercert")
        if cert:
            extra["clientCertificate"] = dict(x[0] for x in cert.get("subject", ()))
        if client_writer.get_extra_info("sslcontext") is not None:
            extra["tls"] = True
        self.record("connect", clientId=client_id, username=username, reason=reason, **extra)
        self.log(f"gateway connected: {username} ({peer[0]}:{peer[1]})")
        self.gateway_connections.add(client_writer)
        broker_writer.write(raw)

        async def pipe(src, dst):
            try:
                while True:
                    data = await src.read(65536)
                    if not data:
                        break
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                try:
                    dst.close()
                except Exception:  # noqa: BLE001
                    pass
        await asyncio.gather(pipe(client_reader, broker_writer), pipe(broker_reader, client_writer))
        self.gateway_connections.discard(client_writer)
        if not self.gateway_connections:
            self.online.clear()
        self.record("disconnect", clientId=client_id)
        self.log(f"gateway disconnected: {username}")

    async def start_http_broker(self, r):
        if getattr(self, "http_broker", None) is None:
            self.http_broker = HTTPBroker(self)
            await self.http_broker.start()
        self.http_broker.configure(r)
        return {"port": self.http_broker.port}


# ---------------------------------------------------------------------------------------------
# EnOS HTTP broker (file download through a session, as the Java SDK's HttpConnection does it)

class HTTPBroker:
    """The EnOS HTTP broker's authentication and file download (see the module doc)."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.port = 0
        self.root = None
        self.sessions = {}  # sessionId -> (pk, dk, expiry ms)
        self.drop_after = 0
        self.drops_left = 0
        self.chunked_auth = False
        self.expire_left = 0

    async def start(self):
        server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self.server = server

    def configure(self, r):
        if "dir" in r:
            self.root = os.path.realpath(r["dir"])
        self.drop_after = int(r.get("dropAfter", self.drop_after))
        self.drops_left = int(r.get("drops", self.drops_left))
        self.chunked_auth = bool(r.get("chunkedAuth", self.chunked_auth))
        self.expire_left = int(r.get("expireSessions", self.expire_left))

    def secret_of(self, pk, dk):
        gw = self.cloud.gateway
        if gw is not None and (gw.pk, gw.dk) == (pk, dk):
            return gw.secret
        sub = self.cloud.subs.get((pk, dk))
        return sub.secret if sub else None

    async def serve(self, reader, writer):
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = b""
            if "content-length" in headers:
                body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 15)
            path, _, query = target.partition("?")
            parts = path.split("/")
            if method == "POST" and len(parts) == 4 and parts[1] == "auth":
                await self.auth(writer, parts[2], parts[3], body)
            elif method == "GET" and len(parts) == 7 and parts[1:3] == ["multipart", "sys"] and parts[5:] == ["file", "download"]:
                await self.download(writer, parts[3], parts[4], urllib.parse.parse_qs(query), headers.get("range"))
            else:
                await self.respond(writer, 404, b"")
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.LimitOverrunError, ValueError,
                ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass

    async def respond(self, writer, status, body, extra=(), chunked=False):
        reason = {200: "OK", 206: "Partial Content", 401: "Unauthorized", 404: "Not Found",
                  416: "Range Not Satisfiable"}.get(status, "Error")
        head = [f"HTTP/1.1 {status} {reason}", "Connection: close"] + list(extra)
        if chunked:
            head.append("Transfer-Encoding: chunked")
            half = len(body) // 2
            body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:half], body[half:]) if c) + b"0\r\n\r\n"
        else:
            head.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()

    async def auth(self, writer, pk, dk, body):
        code, lifetime, sign_ok = 401, None, False
        try:
            request = json.loads(body)
            lifetime, method, given = request["lifetime"], request["signMethod"], request["sign"]
            secret = self.secret_of(pk, dk)
            if secret is not None and isinstance(lifetime, int) and method == "sha256":
                content = f"deviceKey{dk}lifetime{lifetime}productKey{pk}signMethod{method}{secret}"
                sign_ok = hashlib.sha256(content.encode()).hexdigest() == str(given).lower()
        except (ValueError, KeyError, TypeError):
            request = None
        if sign_ok:
            code = 200
            session = uuid.uuid4().hex
            self.sessions[session] = (pk, dk, now_ms() + lifetime)
            reply = {"code": 200, "message": "", "data": {"sessionId": session}}
        else:
            reply = {"code": 401, "message": "auth failed: bad sign or unknown device", "data": None}
        self.cloud.record("http_auth", productKey=pk, deviceKey=dk, signOk=sign_ok, code=code, lifetime=lifetime)
        await self.respond(writer, 200, json.dumps(reply).encode(), ["Content-Type: application/json;charset=UTF-8"],
                           chunked=self.chunked_auth)

    async def download(self, writer, pk, dk, query, rng):
        session = (query.get("sessionId") or [""])[0]
        uri = (query.get("fileUri") or [""])[0]
        category = (query.get("category") or [""])[0]

        def record(status):
            self.cloud.record("http_download", productKey=pk, deviceKey=dk, fileUri=uri, category=category,
                              range=rng, status=status)
        known = self.sessions.get(session)
        if known is None or known[:2] != (pk, dk) or known[2] < now_ms() or self.expire_left > 0:
            if known is not None and self.expire_left > 0:
                self.expire_left -= 1
                del self.sessions[session]
            record(401)
            return await self.respond(writer, 401, b'{"code":401,"message":"session expired"}')
        name = uri[len("enos-connect://"):] if uri.startswith("enos-connect://") else uri.lstrip("/")
        path = os.path.realpath(os.path.join(self.root or ".", name))
        if category not in ("ota", "feature") or not path.startswith((self.root or ".") + os.sep) or not os.path.isfile(path):
            record(404)
            return await self.respond(writer, 404, b"")
        data = open(path, "rb").read()
        start, end, status = 0, len(data) - 1, 200
        m = re.match(r"bytes=(\d+)-(\d*)$", rng or "")
        if m:
            start = int(m.group(1))
            if m.group(2):
                end = min(int(m.group(2)), len(data) - 1)
            if start >= len(data):
                record(416)
                return await self.respond(writer, 416, b"", [f"Content-Range: bytes */{len(data)}"])
            status = 206
        body = data[start:end + 1]
        record(status)
        extra = ["Accept-Ranges: bytes", "Content-Type: application/octet-stream"]
        if status == 206:
            extra.append(f"Content-Range: bytes {start}-{end}/{len(data)}")
        if self.drops_left > 0:
            self.drops_left -= 1
            head = [f"HTTP/1.1 {status} OK", "Connection: close", f"Content-Length: {len(body)}"] + extra
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body[:self.drop_after])
            await writer.drain()
            return
        await self.respond(writer, status, body, extra)


def parse_code(text, what):
    key, _, value = text.partition("=")
    if not key or not value.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"{what}: expected KEY=CODE, got {text!r}")
    return key, int(value)


async def main_async(args):
    cloud = Cloud(args)
    cloud.observer = MQTTObserverClient(args.broker_host, args.broker_port, cloud.on_message)
    deadline = time.time() + 10
    while True:
        try:
            await cloud.observer.connect()
            break
        except OSError:
            if time.time() > deadline:
                raise
            await asyncio.sleep(0.1)
    listen_port = control_port = 0
    servers = []
    if args.listen_port is not None:
        context = None
        if args.tls_cert:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(args.tls_cert, args.tls_key)
            if args.tls_client_ca:
                context.verify_mode = ssl.CERT_REQUIRED
                context.load_verify_locations(args.tls_client_ca)
        server = await asyncio.start_server(cloud.proxy, "127.0.0.1", args.listen_port, ssl=context)
        listen_port = server.sockets[0].getsockname()[1]
        servers.append(server)
    if args.control_port is not None:
        server = await asyncio.start_server(cloud.control, "127.0.0.1", args.control_port, limit=16 * 1024 * 1024)
        control_port = server.sockets[0].getsockname()[1]
        servers.append(server)
    print(f"READY listen={listen_port} control={control_port} broker={args.broker_port}", flush=True)
    await cloud.observer.run()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--broker-port", "--port", type=int, required=True, dest="broker_port")
    ap.add_argument("--broker-host", default="127.0.0.1")
    ap.add_argument("--listen-port", type=int, default=None)
    ap.add_argument("--control-port", type=int, default=None)
    ap.add_argument("--gateway", type=Device, default=None)
    ap.add_argument("--sub-device", type=Device, action="append", default=[])
    ap.add_argument("--record", default=None)
    ap.add_argument("--print", action="store_true")
    ap.add_argument("--reply-delay-ms", type=int, default=0)
    ap.add_argument("--tls-cert", default=None)
    ap.add_argument("--tls-key", default=None)
    ap.add_argument("--tls-client-ca", default=None)
    ap.add_argument("--max-message-bytes", type=int, default=MAX_MESSAGE_BYTES)
    ap.add_argument("--code", action="append", default=[], type=lambda s: parse_code(s, "--code"),
                    dest="code_overrides", help="METHOD=CODE: reply CODE to every METHOD")
    ap.add_argument("--login-code", action="append", default=[], type=lambda s: parse_code(s, "--login-code"),
                    dest="login_overrides", help="DEVICEKEY=CODE: that sub-device's login fails with CODE")
    ap.add_argument("--topo-code", action="append", default=[], type=lambda s: parse_code(s, "--topo-code"),
                    dest="topo_overrides", help="DEVICEKEY=CODE: thing.topo.add of that sub-device fails with CODE")
    ap.add_argument("--preset-topology", action="store_true",
                    help="every --sub-device starts in the gateway's topology (an operator set it)")
    args = ap.parse_args()
    try:
        asyncio.run(main_async(args))
    except (KeyboardInterrupt, asyncio.IncompleteReadError, ConnectionError):
        pass


if __name__ == "__main__":
    main()
