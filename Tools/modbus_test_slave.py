#!/usr/bin/env python3
"""Modbus test slave for FieldBus' integration tests: pymodbus (an independent implementation)
serving several units over RTU (a serial device, e.g. one end of a socat pty pair) or TCP.

Units 1, 2, 3: healthy. Holding register i = (unit * 1000 + i) & 0xFFFF for i < 1000 except the
typed block; input register i = (unit * 100 + i) ^ 0x5555; coil i = (i % 3 == 0); discrete input
i = (i % 2 == 1). Addresses >= 2000 do not exist (reads there get exception 2).
Typed block (holding, every unit): for order k in ABCD, CDAB, BADC, DCBA at base 1000 + 100 k:
  +0 int16 -1234, +1 uint16 54321, +2 int32 -123456789, +4 uint32 3456789012,
  +6 int64 -1234567890123456789, +10 uint64 12345678901234567890, +14 float32 3.25,
  +16 float64 -98765.4321, +20 string "EDGE-42" (10 bytes, ABCD only).
Unit 5: counting: every read that includes holding register 0 serves the next count (1, 2, 3, ...)
in holding registers 0 and 1 (the same value), so any sample lost on the way to the cloud is a gap in
the sequence; the other registers are as for the healthy units.
Unit 4: absent (no reply: a dead unit). Unit 7: flaky: of every three replies, the second is
dropped and (RTU) the third has its CRC corrupted. Unit 8 (TCP only): every reply carries another
transaction id than the request's (a reply that matches no request).

usage: modbus_test_slave.py --rtu DEVICE | --tcp PORT     (prints READY when serving)
"""
import argparse
import asyncio
import logging
import sys

from pymodbus.constants import Endian
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.transaction import ModbusSocketFramer

ORDERS = [  # (byteorder, wordorder) for ABCD, CDAB, BADC, DCBA
    (Endian.BIG, Endian.BIG),
    (Endian.BIG, Endian.LITTLE),
    (Endian.LITTLE, Endian.BIG),
    (Endian.LITTLE, Endian.LITTLE),
]
SIZE = 2000


def typed_registers(byteorder, wordorder, with_string):
    out = {}
    def put(offset, add):
        b = BinaryPayloadBuilder(byteorder=byteorder, wordorder=wordorder)
        add(b)
        for i, r in enumerate(b.to_registers()):
            out[offset + i] = r
    put(0, lambda b: b.add_16bit_int(-1234))
    put(1, lambda b: b.add_16bit_uint(54321))
    put(2, lambda b: b.add_32bit_int(-123456789))
    put(4, lambda b: b.add_32bit_uint(3456789012))
    put(6, lambda b: b.add_64bit_int(-1234567890123456789))
    put(10, lambda b: b.add_64bit_uint(12345678901234567890))
    put(14, lambda b: b.add_32bit_float(3.25))
    put(16, lambda b: b.add_64bit_float(-98765.4321))
    if with_string:
        put(20, lambda b: b.add_string("EDGE-42\x00\x00\x00"))
    return out


def unit_context(unit):
    holding = [(unit * 1000 + i) & 0xFFFF for i in range(SIZE)]
    for k, (bo, wo) in enumerate(ORDERS):
        for off, value in typed_registers(bo, wo, k == 0).items():
            holding[1000 + 100 * k + off] = value
    inputs = [((unit * 100 + i) ^ 0x5555) & 0xFFFF for i in range(SIZE)]
    coils = [i % 3 == 0 for i in range(SIZE)]
    discrete = [i % 2 == 1 for i in range(SIZE)]
    return ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, discrete), co=ModbusSequentialDataBlock(0, coils),
        hr=ModbusSequentialDataBlock(0, holding), ir=ModbusSequentialDataBlock(0, inputs),
        zero_mode=True)


class CountingBlock(ModbusSequentialDataBlock):
    """Holding registers whose first two words count the reads that include register 0."""
    def __init__(self, values):
        super().__init__(0, values)
        self.count = 0

    def getValues(self, address, count=1):
        values = super().getValues(address, count)
        # zero_mode: address is the register number itself.
        if address <= 0 < address + count:
            self.count += 1
            values = list(values)
            for register in (0, 1):
                if address <= register < address + count:
                    values[register - address] = self.count & 0xFFFF
        return values


def counting_context(unit):
    context = unit_context(unit)
    holding = context.store["h"]
    context.store["h"] = CountingBlock(list(holding.values))
    return context


class Flaky:
    """Response manipulator: drops or corrupts every second/third reply of unit 7."""
    def __init__(self, rtu):
        self.rtu = rtu
        self.count = 0
        self.framer = ModbusRtuFramer(None) if rtu else ModbusSocketFramer(None)

    def __call__(self, response):
        if response.slave_id == 8 and not self.rtu:
            frame = bytearray(self.framer.buildPacket(response))
            frame[0] ^= 0xFF
            return bytes(frame), True
        if response.slave_id != 7:
            return response, False
        self.count += 1
        phase = self.count % 3
        if phase == 2:
            return b"", True
        if phase == 0 and self.rtu:
            frame = bytearray(self.framer.buildPacket(response))
            frame[-1] ^= 0xFF
            return bytes(frame), True
        return response, False


async def main():
    parser = argparse.ArgumentParser()
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--rtu")
    group.add_argument("--tcp", type=int)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    slaves = {u: unit_context(u) for u in (1, 2, 3, 7, 8)}
    slaves[5] = counting_context(5)
    context = ModbusServerContext(slaves=slaves, single=False)
    if args.rtu:
        server = ModbusSerialServer(context, framer=ModbusRtuFramer, port=args.rtu, baudrate=115200,
                                    ignore_missing_slaves=True, response_manipulator=Flaky(True))
    else:
        server = ModbusTcpServer(context, address=("127.0.0.1", args.tcp),
                                 ignore_missing_slaves=True, response_manipulator=Flaky(False))

    async def ready():
        await asyncio.sleep(0.3)
        print("READY", flush=True)
    asyncio.get_running_loop().create_task(ready())
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
