#!/usr/bin/env python3
"""Helpers of the energy protocol benchmarks (Tools/bench.d/82-dlt645.sh, 84-iec104.sh), written
from the standards and the ring log's documented format, not from the agent's codecs:

  samples RINGLOG [--values-of FILE]
        reads every data record of a ring log file (sector header and record framing as
        Sources/RingLog/SectorHeader.swift and RecordFormat.swift describe them, CRC-32 checked)
        and its samples (Sources/StoreForward/SampleRecord.swift); prints one JSON object:
        records, samples, bad CRCs, per-device sample counts. --values-of FILE also writes the
        float values of device 0's samples, one "point value" per line.
  rounds LOG --meters N --dis M
        from `dlt645_test_meter.py --stamp` READ lines: the time of each complete round (every
        meter's every DI read once), as JSON.
  outstation --port P ...
        an IEC 60870-5-104 outstation load generator over raw sockets: STARTDT/STOPDT/TESTFR,
        I frames with send and receive sequence numbers, the k window, S frames; spontaneous
        M_ME_NC_1 (short float) values at a paced rate, value i = float(i) at IOA 1 + i % points,
        so that every stored value names the value it was. An ASDU counts as confirmed when the
        master's N(R) (S or I frame) acknowledges it; ASDUs unconfirmed when a connection ends are
        sent again on the next one (an outstation's buffer). --flap-min/--flap-max cut the link
        (TCP reset, or a silent stall then a reset) every so many seconds and keep it down
        (connections refused) for --down-min..--down-max seconds. Prints READY, then once a
        second "STAT seconds sent confirmed cuts connections"; after --duration stops making
        values, waits until everything sent is confirmed, writes --confirmed FILE (one byte a
        value: 1 confirmed) and prints "DONE {json}", then keeps the link up until killed.
"""
import argparse
import json
import random
import select
import socket
import struct
import sys
import time
import zlib

# ---------------------------------------------------------------- ring log

SECTOR_HEADER = 80
MAGIC = 0x474C5245


def ring_log_records(path):
    data = open(path, "rb").read()
    bad = 0
    records = {}
    if len(data) < SECTOR_HEADER:
        return records, bad
    sector_size = None
    for off in range(0, len(data), 4096):  # the first valid header names the geometry
        magic, _, _, size = struct.unpack_from("<IHHI", data, off)
        if magic == MAGIC:
            sector_size = size
            break
    if not sector_size:
        return records, bad
    for start in range(0, len(data) - sector_size + 1, sector_size):
        magic, version, hsize, _, _, unit, _, sseq, base_seq, base_wall = struct.unpack_from("<IHHIIIIQQq", data, start)
        if magic != MAGIC or zlib.crc32(data[start:start + 76]) != struct.unpack_from("<I", data, start + 76)[0]:
            continue
        o = SECTOR_HEADER
        while o + 16 <= sector_size:
            word, delta, tdelta, crc = struct.unpack_from("<IIiI", data, start + o)
            if word == 0xFFFFFFFF:
                break
            if word == 0 and unit > 4:
                o = (o // unit + 1) * unit
                continue
            kind, length = word >> 24, word & 0xFFFFFF
            size = (16 + length + 3) & ~3
            if o + size > sector_size:
                break
            seq = base_seq + delta
            payload = data[start + o + 16:start + o + 16 + length]
            if kind == 1:
                check = zlib.crc32(struct.pack("<QQ", sseq, seq) + data[start + o:start + o + 12] + payload)
                if check != crc:
                    bad += 1
                    break
                records[seq] = payload
            o += size
    return records, bad


def samples_of(payload):
    version, count = payload[0], payload[1]
    o = 14 if version == 2 else 10
    for _ in range(count):
        device, point, _, _, _, tag = struct.unpack_from("<HHiBBB", payload, o)
        o += 11
        if tag == 0:
            value = payload[o]; o += 1
        elif tag in (1, 2, 3):
            fmt = {1: "<q", 2: "<Q", 3: "<d"}[tag]
            value = struct.unpack_from(fmt, payload, o)[0]; o += 8
        else:
            n = payload[o]; value = payload[o + 1:o + 1 + n]; o += 1 + n
        yield device, point, value


def cmd_samples(args):
    records, bad = ring_log_records(args.ringlog)
    per_device = {}
    total = 0
    out = open(args.values_of, "w") if args.values_of else None
    for seq in sorted(records):
        for device, point, value in samples_of(records[seq]):
            total += 1
            per_device[device] = per_device.get(device, 0) + 1
            if out and device == 0:
                out.write("%d %r\n" % (point, value))
    if out:
        out.close()
    print(json.dumps({"records": len(records), "samples": total, "badCRC": bad,
                      "perDevice": {str(k): v for k, v in sorted(per_device.items())}}))


# ---------------------------------------------------------------- DL/T 645 rounds

def cmd_rounds(args):
    reads = []
    for line in open(args.log):
        w = line.split()
        if len(w) == 4 and w[1] == "READ":
            reads.append((float(w[0]), w[2], w[3]))
    need = args.meters * args.dis
    seen, start, rounds = set(), None, []
    for t, meter, di in reads:
        if start is None:
            start = t
        seen.add((meter, di))
        if len(seen) == need:  # the round's last read: it ends when its reply has been sent
            rounds.append({"start": start, "end": t})
            seen, start = set(), None
    # Round time: from one round's first request to the next round's first request.
    times = [rounds[i + 1]["start"] - rounds[i]["start"] for i in range(len(rounds) - 1)]
    print(json.dumps({"reads": len(reads), "rounds": len(rounds), "roundSeconds": times}))


# ---------------------------------------------------------------- IEC 104 outstation

STARTDT_ACT, STARTDT_CON, STOPDT_ACT, STOPDT_CON, TESTFR_ACT, TESTFR_CON = 0x07, 0x0B, 0x13, 0x23, 0x43, 0x83
M_ME_NC_1, C_IC_NA_1, C_CI_NA_1, C_CS_NA_1 = 13, 100, 101, 103


class Link:
    """One connection's IEC 104 state: V(S), V(R), the unconfirmed ASDUs, the input buffer."""

    def __init__(self, sock):
        self.sock = sock
        self.vs = 0
        self.vr = 0
        self.ack = 0          # the master's last N(R)
        self.unconfirmed = []  # (send sequence, asdu index or None for a reply)
        self.started = False
        self.inbuf = bytearray()
        self.out = bytearray()
        self.unacked_in = 0


class Outstation:
    def __init__(self, a):
        self.a = a
        self.values = 0      # values made so far
        self.asdus = []      # per ASDU: (first value, count)
        self.queue = []      # ASDU indices waiting to be sent (resent ones first)
        self.pending_from = 0  # first value not yet in an ASDU
        self.confirmed = bytearray()
        self.confirmed_values = 0
        self.sent_values = 0
        self.resent = 0
        self.cuts = 0
        self.connections = 0
        self.link = None
        self.down_until = 0.0
        self.stall_until = 0.0
        self.stall_then_cut = False
        self.next_cut = None
        self.fmt = struct.Struct("<BBHH")

    # -- frames
    def i_frame(self, link, asdu):
        c = struct.pack("<HH", (link.vs << 1) & 0xFFFF, (link.vr << 1) & 0xFFFF)
        link.vs = (link.vs + 1) % 32768
        link.unacked_in = 0
        return bytes([0x68, len(asdu) + 4]) + c + asdu

    def values_asdu(self, first, count):
        body = bytearray(self.fmt.pack(M_ME_NC_1, count, 3, self.a.ca))  # COT 3 spontaneous, originator 0
        for v in range(first, first + count):
            ioa = 1 + v % self.a.points
            body += struct.pack("<HBfB", ioa & 0xFFFF, ioa >> 16, float(v), 0)
        return bytes(body)

    def send_ack(self, link):
        if link.unacked_in:
            link.out += bytes([0x68, 4, 0x01, 0x00]) + struct.pack("<H", (link.vr << 1) & 0xFFFF)
            link.unacked_in = 0

    def acknowledge(self, link, nr):
        # Every unconfirmed ASDU with a send sequence before N(R) (mod 2^15) is confirmed.
        while link.unconfirmed:
            seq, index = link.unconfirmed[0]
            if (nr - seq) % 32768 == 0 or (nr - seq) % 32768 > 16384:
                break
            link.unconfirmed.pop(0)
            if index is not None:
                first, count = self.asdus[index]
                for v in range(first, first + count):
                    if not self.confirmed[v]:
                        self.confirmed[v] = 1
                        self.confirmed_values += 1
        link.ack = nr

    def handle_asdu(self, link, asdu):
        type_id, cot, ca = asdu[0], asdu[2] & 0x3F, struct.unpack_from("<H", asdu, 4)[0]
        if type_id in (C_IC_NA_1, C_CI_NA_1, C_CS_NA_1) and cot == 6:
            con = bytearray(asdu); con[2] = (con[2] & 0xC0) | 7
            self.send_i(link, bytes(con), None)
            if type_id != C_CS_NA_1:
                term = bytearray(asdu); term[2] = (term[2] & 0xC0) | 10
                self.send_i(link, bytes(term), None)
        elif cot == 6:
            neg = bytearray(asdu); neg[2] = (neg[2] & 0xC0) | 0x40 | 44  # unknown type: negative
            self.send_i(link, bytes(neg), None)

    def send_i(self, link, asdu, index):
        link.unconfirmed.append((link.vs, index))
        link.out += self.i_frame(link, asdu)

    def receive(self, link):
        while len(link.inbuf) >= 6:
            if link.inbuf[0] != 0x68:
                raise ValueError("start byte 0x%02x" % link.inbuf[0])
            n = link.inbuf[1]
            if len(link.inbuf) < 2 + n:
                return
            apdu, link.inbuf = bytes(link.inbuf[:2 + n]), link.inbuf[2 + n:]
            c1 = apdu[2]
            if c1 & 1 == 0:  # I frame
                ns = struct.unpack_from("<H", apdu, 2)[0] >> 1
                if ns != link.vr:
                    raise ValueError("I frame N(S) %d, expected %d" % (ns, link.vr))
                link.vr = (link.vr + 1) % 32768
                link.unacked_in += 1
                self.acknowledge(link, struct.unpack_from("<H", apdu, 4)[0] >> 1)
                self.handle_asdu(link, apdu[6:])
            elif c1 & 3 == 1:  # S frame
                self.acknowledge(link, struct.unpack_from("<H", apdu, 4)[0] >> 1)
            else:
                if c1 == STARTDT_ACT:
                    link.started = True
                    link.out += bytes([0x68, 4, STARTDT_CON, 0, 0, 0])
                elif c1 == STOPDT_ACT:
                    link.started = False
                    link.out += bytes([0x68, 4, STOPDT_CON, 0, 0, 0])
                elif c1 == TESTFR_ACT:
                    link.out += bytes([0x68, 4, TESTFR_CON, 0, 0, 0])
        if link.unacked_in >= self.a.w:
            self.send_ack(link)

    def drop(self, reset):
        link = self.link
        if not link:
            return
        if reset:
            link.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        link.sock.close()
        # What the master did not confirm is sent again on the next connection, in order.
        again = [index for _, index in link.unconfirmed if index is not None]
        self.resent += len(again)
        self.queue = again + self.queue
        self.link = None

    def cut(self, now):
        self.cuts += 1
        if self.cuts % 2 == 0 and self.link:
            # A silent cut: nothing crosses for a while (the master's and our frames in flight
            # are lost with the link), then the connection goes.
            self.stall_until = now + random.uniform(self.a.down_min, self.a.down_max)
            self.stall_then_cut = True
        else:
            self.drop(True)
            self.down_until = now + random.uniform(self.a.down_min, self.a.down_max)
        self.next_cut = now + random.uniform(self.a.flap_min, self.a.flap_max)

    def run(self):
        a = self.a
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", a.port))
        listener.listen(4)
        self.confirmed = bytearray(int(a.rate * (a.duration + 5)) + 100000)
        print("READY", flush=True)
        t0 = time.monotonic()
        started = None
        stopping = False
        done = False
        last_stat = t0
        while True:
            now = time.monotonic()
            if self.link and self.link.started and started is None:
                started = now  # values are made from the first STARTDT on
                if a.flap_max > 0:
                    self.next_cut = now + random.uniform(a.flap_min, a.flap_max)
            if started is not None and not stopping:
                due = int((now - started) * a.rate)
                if now - started >= a.duration:
                    stopping = True
                    due = int(a.duration * a.rate)
                while self.pending_from + a.per_asdu <= due or (stopping and self.pending_from < due):
                    count = min(a.per_asdu, due - self.pending_from)
                    self.asdus.append((self.pending_from, count))
                    self.queue.append(len(self.asdus) - 1)
                    self.pending_from += count
                self.values = self.pending_from
            if self.next_cut is not None and now >= self.next_cut and not stopping:
                self.cut(now)
            if self.stall_then_cut and now >= self.stall_until:
                self.stall_then_cut = False
                self.drop(True)
                self.down_until = now + random.uniform(a.down_min, a.down_max)
            link = self.link
            stalled = self.stall_then_cut
            if link and link.started and not stalled:
                while self.queue and len(link.unconfirmed) < a.k:
                    index = self.queue.pop(0)
                    first, count = self.asdus[index]
                    self.sent_values += count
                    self.send_i(link, self.values_asdu(first, count), index)
                if link.unacked_in and not self.queue:
                    self.send_ack(link)
            if stopping and not done and not self.queue and link and not link.unconfirmed:
                done = True
                open(a.confirmed, "wb").write(self.confirmed[:self.values])
                print("DONE " + json.dumps({"values": self.values, "confirmed": self.confirmed_values,
                                            "asdus": len(self.asdus), "sentValues": self.sent_values,
                                            "resentAsdus": self.resent, "cuts": self.cuts,
                                            "connections": self.connections,
                                            "seconds": round(now - (started or now), 3)}), flush=True)
            if now - last_stat >= 1:
                last_stat = now
                print("STAT %.3f %d %d %d %d" % (now - t0, self.sent_values, self.confirmed_values, self.cuts,
                                                 self.connections), flush=True)
            rlist = [listener]
            wlist = []
            if link and not stalled:
                rlist.append(link.sock)
                if link.out:
                    wlist.append(link.sock)
            timeout = 0.001 if (link and link.started and self.queue and len(link.unconfirmed) < a.k) else 0.002
            r, w, _ = select.select(rlist, wlist, [], timeout)
            if listener in r:
                s, _ = listener.accept()
                if self.link or time.monotonic() < self.down_until:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    s.close()  # the link is down (or taken): refused
                else:
                    s.setblocking(False)
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.link = Link(s)
                    self.connections += 1
            link = self.link
            if not link or stalled:
                continue
            try:
                if link.sock in r:
                    data = link.sock.recv(65536)
                    if not data:
                        self.drop(False)
                        continue
                    link.inbuf += data
                    self.receive(link)
                if link.out:
                    n = link.sock.send(link.out)
                    del link.out[:n]
            except (OSError, ValueError) as e:
                print("LINK %s" % e, file=sys.stderr, flush=True)
                self.drop(False)


def cmd_outstation(args):
    Outstation(args).run()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("samples")
    s.add_argument("ringlog")
    s.add_argument("--values-of")
    r = sub.add_parser("rounds")
    r.add_argument("log")
    r.add_argument("--meters", type=int, required=True)
    r.add_argument("--dis", type=int, required=True)
    o = sub.add_parser("outstation")
    o.add_argument("--port", type=int, required=True)
    o.add_argument("--ca", type=int, default=1)
    o.add_argument("--points", type=int, default=100)
    o.add_argument("--rate", type=float, default=10000)
    o.add_argument("--per-asdu", type=int, default=30)
    o.add_argument("--k", type=int, default=12)
    o.add_argument("--w", type=int, default=8)
    o.add_argument("--duration", type=float, default=30)
    o.add_argument("--flap-min", type=float, default=0)
    o.add_argument("--flap-max", type=float, default=0)
    o.add_argument("--down-min", type=float, default=1)
    o.add_argument("--down-max", type=float, default=3)
    o.add_argument("--confirmed", required=True)
    a = p.parse_args()
    {"samples": cmd_samples, "rounds": cmd_rounds, "outstation": cmd_outstation}[a.cmd](a)


if __name__ == "__main__":
    main()
