#!/usr/bin/env python3
"""DL/T 645-2007 meter emulator for FieldBus' integration tests: one or more meters on one serial
line (e.g. one end of a socat pty pair), answering "read data" (control 0x11) as the standard
describes it, written from the standard's frame layout and data-format tables (not from the
agent's codec):

  frame: FE... 68 A0..A5 68 C L DATA CS 16, address low byte first, DATA bytes + 0x33,
  CS = sum of the bytes from the first 68 to the end of DATA, modulo 256.
  normal reply C = 0x91 with DI + value; error reply C = 0xD1 with one error byte
  (bit 1: no requested data); broadcast time sync C = 0x08 to 999999999999 (no reply).

Values (BCD, low byte first, sign in the top bit where the format is signed) are the same for every
meter except the forward active energy 0x00010000 = 12345.67 + the meter's last two digits; the
communication address 0x04000401 answers with the meter's own address (its discovery, sent to
the wildcard AAAAAAAAAAAA).

usage: dlt645_test_meter.py DEVICE [--quiet] [--wire-baud BAUD [--turnaround-ms MS]] [--stamp]
                           --meter ADDRESS[:FAULT] [--meter ...]
FAULT: checksum (CS + 1), error (every read gets error reply 0x01), silent (never answers),
       fe (11 wake-up bytes, reply written in two pieces), wrongaddr (answers as address + 1),
       wrongdi (echoes another DI).
--wire-baud BAUD: answer as a real line at BAUD would (the benchmark's wire-speed meters): a reply
leaves once the request would have crossed the wire (its bytes, wake-up bytes included, at 11 bits
a character, 8E1), the meter's turnaround (--turnaround-ms, default 20: the standard's least
response delay) and the reply's own bytes have passed. --stamp prefixes each READ line with the
monotonic time in seconds.
Prints READY when serving, then one line per request: "READ <address> <DI hex>" and
"TIMESYNC <YYMMDDhhmmss>" (with --quiet only READY, for a reader that stops reading).
"""
import os
import select
import sys
import termios
import time
import tty

# DI: (bytes, decimals, signed, value)
TABLE = {
    0x00000000: (4, 2, True, 1500.25),
    0x00010000: (4, 2, False, 12345.67),
    0x00010100: (4, 2, False, 2345.60),
    0x0001000C: (4, 2, False, 111.11),
    0x00020000: (4, 2, False, 12.34),
    0x00030000: (4, 2, True, -56.78),
    0x01010000: (8, 4, False, 12.3456),
    0x02010100: (2, 1, False, 220.1),
    0x02010200: (2, 1, False, 221.2),
    0x02010300: (2, 1, False, 219.9),
    0x02020100: (3, 3, True, 5.123),
    0x02020200: (3, 3, True, -0.456),
    0x02020300: (3, 3, True, 10.0),
    0x02030000: (3, 4, True, 3.21),
    0x02030100: (3, 4, True, 1.05),
    0x02030200: (3, 4, True, -0.5),
    0x02030300: (3, 4, True, 2.66),
    0x02040000: (3, 4, True, 0.8765),
    0x02050000: (3, 4, True, 3.3333),
    0x02060000: (2, 3, True, 0.985),
    0x02060100: (2, 3, True, -0.95),
    0x02060200: (2, 3, True, 1.0),
    0x02060300: (2, 3, True, 0.5),
    0x02800001: (3, 3, True, 0.012),
    0x02800002: (2, 2, False, 49.98),
    0x02800003: (3, 4, True, 3.1),
    0x02800004: (3, 4, True, 3.2),
    0x02800005: (3, 4, True, -0.4),
    0x02800006: (3, 4, True, 3.5),
    0x02800007: (2, 1, True, 35.5),
}
ADDRESS_DI = 0x04000401  # communication address: 6 bytes, the address itself
DEMAND_TIME = bytes([0x30, 0x12, 0x07, 0x12, 0x26])  # mm hh DD MM YY: 2026-12-07 12:30


def bcd_value(nbytes, decimals, signed, value, vbytes=None):
    vbytes = vbytes or nbytes
    digits = "%0*d" % (2 * vbytes, round(abs(value) * 10 ** decimals))
    out = bytearray(int(digits[i:i + 2], 16) for i in range(0, 2 * vbytes, 2))[::-1]
    if signed and value < 0:
        out[-1] |= 0x80
    return bytes(out)


def frame(address, control, data):
    body = bytes([0x68]) + address + bytes([0x68, control, len(data)]) + bytes((b + 0x33) & 0xFF for b in data)
    return body + bytes([sum(body) & 0xFF, 0x16])


def address_bytes(text):
    return bytes(int(text[i:i + 2], 16) for i in range(0, 12, 2))[::-1]


class Meter:
    def __init__(self, spec):
        text, _, fault = spec.partition(":")
        self.text = text
        self.address = address_bytes(text)
        self.fault = fault

    def value(self, di):
        nbytes, decimals, signed, value = TABLE[di]
        if di == 0x00010000:
            value += int(self.text[-2:])
        if nbytes == 8:
            return bcd_value(3, decimals, signed, value) + DEMAND_TIME
        return bcd_value(nbytes, decimals, signed, value)

    def answer(self, di):
        if self.fault == "silent":
            return None
        address = self.address
        if self.fault == "wrongaddr":
            address = bytes([address[0] ^ 0x01]) + address[1:]
        if self.fault == "error":
            reply = frame(address, 0xD1, bytes([0x01]))
        elif di == ADDRESS_DI:
            reply = frame(address, 0x91, di.to_bytes(4, "little") + self.address)
        elif di not in TABLE:
            reply = frame(address, 0xD1, bytes([0x02]))
        else:
            echoed = di ^ 0x100 if self.fault == "wrongdi" else di
            reply = frame(address, 0x91, echoed.to_bytes(4, "little") + self.value(di))
        if self.fault == "checksum":
            reply = reply[:-2] + bytes([(reply[-2] + 1) & 0xFF, 0x16])
        wake = 11 if self.fault == "fe" else 4
        return b"\xFE" * wake + reply


def matches(asked, meter):
    for i in range(6):
        for shift in (0, 4):
            a = (asked[i] >> shift) & 0xF
            if a != 0xA and a != (meter[i] >> shift) & 0xF:
                return False
    return True


def main():
    args = sys.argv[1:]
    device = args[0]
    meters = [Meter(args[i + 1]) for i in range(1, len(args) - 1) if args[i] == "--meter"]
    quiet = "--quiet" in args
    stamp = "--stamp" in args
    baud = float(args[args.index("--wire-baud") + 1]) if "--wire-baud" in args else None
    turnaround = float(args[args.index("--turnaround-ms") + 1]) / 1000 if "--turnaround-ms" in args else 0.020
    fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    print("READY", flush=True)
    buffer = bytearray()
    dropped = 0  # wake-up bytes (and noise) before the frame being read: on the wire too
    while True:
        select.select([fd], [], [])
        buffer += os.read(fd, 512)
        while True:
            while buffer and buffer[0] != 0x68:
                del buffer[0]  # wake-up bytes and line noise before a frame
                dropped += 1
            if len(buffer) < 10:
                break
            length = buffer[9]
            if len(buffer) < 12 + length:
                break
            raw, buffer = bytes(buffer[:12 + length]), buffer[12 + length:]
            arrived, request_chars, dropped = time.monotonic(), dropped + len(raw), 0
            if raw[7] != 0x68 or raw[-1] != 0x16 or sum(raw[:-2]) & 0xFF != raw[-2]:
                print("BADFRAME " + raw.hex(), flush=True)
                continue
            asked, control = raw[1:7], raw[8]
            data = bytes((b - 0x33) & 0xFF for b in raw[10:10 + length])
            if control == 0x08 and asked == b"\x99" * 6:
                print("TIMESYNC " + "".join("%02x" % b for b in data[::-1]), flush=True)
                continue
            if control != 0x11 or length != 4:
                continue
            di = int.from_bytes(data, "little")
            for meter in meters:
                if matches(asked, meter.address):
                    if not quiet:
                        print("%sREAD %s %08X" % ("%.6f " % arrived if stamp else "", meter.text, di), flush=True)
                    reply = meter.answer(di)
                    if reply and baud:
                        # The request on the wire, the meter's turnaround, the reply on the wire.
                        due = arrived + (request_chars + len(reply)) * 11 / baud + turnaround
                        time.sleep(max(0.0, due - time.monotonic()))
                        os.write(fd, reply)
                    elif reply:
                        time.sleep(0.002)
                        half = len(reply) // 2 if meter.fault == "fe" else len(reply)
                        os.write(fd, reply[:half])
                        if half < len(reply):
                            time.sleep(0.01)
                            os.write(fd, reply[half:])
                    break


if __name__ == "__main__":
    main()
