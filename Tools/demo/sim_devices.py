#!/usr/bin/env python3
"""Simulated field devices for `make run`: a Modbus RTU slave (pymodbus 3.6.9) on one end of a
socat pty pair (or a TCP port), serving two devices whose values move over time.

Unit 1, power meter (Eastron SDM630-like): float32 input registers, big-endian words (ABCD),
addresses as in the SDM630 manual (register 30001 = address 0):
   0/2/4 phase voltages V      6/8/10 phase currents A    12/14/16 phase active power W
  24/26/28 phase reactive var  30/32/34 phase power factor
  52 total active power W      60 total reactive var      62 total power factor
  70 frequency Hz              72 import active energy kWh (only ever increases)
  A building's load: a daily shape, slow random drift, a few seconds of motor start now and then.

Unit 2, PV inverter: holding registers.
   0 status (uint16: 0 standby at night, 1 producing, 2 producing at the power limit)
   1 DC voltage (uint16, 0.1 V)   2 DC current (uint16, 0.01 A)   3-4 AC power (uint32, W)
   5-6 daily energy (uint32, Wh; back to 0 at midnight)   7-8 total energy (uint32, 0.1 kWh)
   9 heat-sink temperature (int16, 0.1 degC)
  40 active power limit (uint16, % of rated 10 kW; writable; caps the AC power; values above
     100 act as 100)
  A day of sun compressed into --day-seconds (default 600: sunrise 06:00, sunset 18:00),
  starting at 09:00, with passing clouds.
  A failing fan: for --overheat-for seconds (default 20) of every --overheat-every (default 60),
  starting 10 s into each period, the heat sink heats towards 80 degC (time constant 3 s: above
  70 degC about 5 s after the fan stops), and cools back to its usual 25-45 degC (below 65 degC
  about 1-2 s after it runs again). --overheat-every 0: the fan never fails.
Energies (both devices) count simulated time, so a simulated day yields a real day's kWh.

usage: sim_devices.py --rtu DEVICE [--baud N] | --tcp PORT   [--day-seconds S] [--report S]
                      [--overheat-every S] [--overheat-for S]
Prints READY once serving, then (with --report S > 0) a status line every S seconds.
"""
import argparse
import asyncio
import logging
import math
import random
import struct
import sys
import time

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.server import ModbusSerialServer, ModbusTcpServer

INPUT, HOLDING = 4, 3          # pymodbus function codes that name the tables
METER_UNIT, INVERTER_UNIT = 1, 2
RATED_W = 10_000.0             # the inverter's rated AC power
OVERHEAT_DEGC = 80.0           # where the heat sink heads while the fan has failed
OVERHEAT_OFFSET_S = 10.0       # the fan fails this long into each --overheat-every period
FAN_TIME_CONSTANT_S = 3.0
LIMIT_REGISTER = 40


def float_registers(value):
    """A float32 as two registers, big-endian words (the SDM630's layout)."""
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return [high, low]


def uint32_registers(value):
    value = int(value) & 0xFFFFFFFF
    return [value >> 16, value & 0xFFFF]


class Meter:
    """A three-phase building load measured by an SDM630-like meter."""

    def __init__(self):
        self.import_kwh = 12_345.6
        self.drift = [0.0, 0.0, 0.0]
        self.motor_until = 0.0

    def update(self, now, dt, sim_dt, hour):
        # Base load follows the working day; each phase drifts on its own.
        base = 8.0 + 14.0 * max(0.0, math.sin(math.pi * (hour - 6.0) / 14.0))
        if now > self.motor_until and random.random() < dt / 40.0:
            self.motor_until = now + 4.0               # a motor starts for a few seconds
        motor = 12.0 if now < self.motor_until else 0.0
        values = {}
        total_p = total_q = 0.0
        for k in range(3):
            self.drift[k] = max(-3.0, min(3.0, self.drift[k] + random.gauss(0.0, 0.3) * math.sqrt(dt)))
            volts = 230.0 + 2.5 * math.sin(now / 37.0 + k) + random.gauss(0.0, 0.3)
            amps = max(0.2, base + self.drift[k] + motor + random.gauss(0.0, 0.2))
            pf = 0.97 - (0.15 if motor else 0.0) - 0.02 * k + random.gauss(0.0, 0.005)
            p = volts * amps * pf
            q = volts * amps * math.sqrt(max(0.0, 1.0 - pf * pf))
            values[0 + 2 * k] = volts
            values[6 + 2 * k] = amps
            values[12 + 2 * k] = p
            values[24 + 2 * k] = q
            values[30 + 2 * k] = pf
            total_p += p
            total_q += q
        self.import_kwh += total_p * sim_dt / 3_600_000.0
        values[52] = total_p
        values[60] = total_q
        values[62] = total_p / math.hypot(total_p, total_q)
        values[70] = 50.0 + 0.03 * math.sin(now / 23.0) + random.gauss(0.0, 0.005)
        values[72] = self.import_kwh
        self.total_w = total_p
        return values


class Inverter:
    """A 10 kW PV inverter under a compressed sun, capped by its active power limit."""

    def __init__(self):
        self.daily_wh = 0.0
        self.total_kwh = 48_210.0
        self.temperature = 25.0
        self.cloud = 1.0
        self.last_hour = None
        self.ac_w = 0.0
        self.overheat = 0.0    # 0: the fan cools the heat sink; 1: it has been off for long

    def update(self, dt, sim_dt, hour, limit_percent, fan_failed=False):
        if self.last_hour is not None and hour < self.last_hour:
            self.daily_wh = 0.0                         # midnight
        self.last_hour = hour
        sun = max(0.0, math.sin(math.pi * (hour - 6.0) / 12.0)) if 6.0 <= hour <= 18.0 else 0.0
        self.cloud = max(0.3, min(1.0, self.cloud + random.gauss(0.0, 0.05) * math.sqrt(dt)
                                  + (1.0 - self.cloud) * 0.05 * dt))
        available = RATED_W * 1.05 * sun * self.cloud
        cap = RATED_W * min(100, limit_percent) / 100.0
        self.ac_w = min(available, cap)
        limited = available > cap
        dc_w = self.ac_w / 0.97
        dc_v = 620.0 + 60.0 * sun + random.gauss(0.0, 1.0) if sun > 0 else 0.0
        dc_a = dc_w / dc_v if dc_v > 0 else 0.0
        self.daily_wh += self.ac_w * sim_dt / 3600.0
        self.total_kwh += self.ac_w * sim_dt / 3_600_000.0
        ambient = 12.0 + 10.0 * sun
        self.temperature += (ambient + 30.0 * self.ac_w / RATED_W - self.temperature) * min(1.0, dt / 30.0)
        self.overheat += ((1.0 if fan_failed else 0.0) - self.overheat) * min(1.0, dt / FAN_TIME_CONSTANT_S)
        self.heat_sink = self.temperature + (OVERHEAT_DEGC - self.temperature) * self.overheat
        status = 0 if self.ac_w <= 0 else (2 if limited else 1)
        return [status, round(dc_v * 10), round(dc_a * 100)] + uint32_registers(round(self.ac_w)) \
            + uint32_registers(self.daily_wh) + uint32_registers(self.total_kwh * 10) \
            + [round(self.heat_sink * 10) & 0xFFFF]


def fan_failed(elapsed, every, duration):
    """The fan is off for `duration` s of every `every` s, from OVERHEAT_OFFSET_S into each period."""
    return every > 0 and 0.0 <= (elapsed - OVERHEAT_OFFSET_S) % every < duration


async def simulate(context, day_seconds, report_seconds, overheat_every, overheat_for):
    meter, inverter = Meter(), Inverter()
    start = time.monotonic()
    last = start
    last_report = start
    while True:
        now = time.monotonic()
        dt = max(1e-3, now - last)
        last = now
        sim_dt = dt * 86_400.0 / day_seconds
        hour = (9.0 + 24.0 * (now - start) / day_seconds) % 24.0
        for address, value in meter.update(now, dt, sim_dt, hour).items():
            context[METER_UNIT].setValues(INPUT, address, float_registers(value))
        limit = context[INVERTER_UNIT].getValues(HOLDING, LIMIT_REGISTER, 1)[0]
        fan = fan_failed(now - start, overheat_every, overheat_for)
        context[INVERTER_UNIT].setValues(HOLDING, 0, inverter.update(dt, sim_dt, hour, limit, fan))
        if report_seconds > 0 and now - last_report >= report_seconds:
            last_report = now
            print(f"sim {int(hour):02d}:{int(hour * 60) % 60:02d}  meter {meter.total_w / 1000:5.1f} kW"
                  f" import {meter.import_kwh:.2f} kWh | inverter {inverter.ac_w / 1000:5.2f} kW"
                  f" limit {limit}% today {inverter.daily_wh / 1000:.2f} kWh {inverter.heat_sink:.1f} degC"
                  + (" (fan failed)" if fan else ""),
                  flush=True)
        await asyncio.sleep(0.2)


def unit(holding_size=64, input_size=128):
    return ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, [0] * holding_size), ir=ModbusSequentialDataBlock(0, [0] * input_size),
        co=ModbusSequentialDataBlock(0, [False]), di=ModbusSequentialDataBlock(0, [False]), zero_mode=True)


async def main():
    parser = argparse.ArgumentParser(description="simulated power meter (unit 1) and PV inverter (unit 2)")
    link = parser.add_mutually_exclusive_group(required=True)
    link.add_argument("--rtu", metavar="DEVICE", help="serial device (one end of a socat pty pair)")
    link.add_argument("--tcp", metavar="PORT", type=int, help="Modbus TCP port on 127.0.0.1")
    parser.add_argument("--baud", type=int, default=19200)
    parser.add_argument("--day-seconds", type=float, default=600.0, help="length of a simulated day")
    parser.add_argument("--report", type=float, default=0.0, help="print a status line every S seconds")
    parser.add_argument("--overheat-every", type=float, default=60.0,
                        help="the inverter's fan fails once in every S seconds (0: never)")
    parser.add_argument("--overheat-for", type=float, default=20.0, help="for this many seconds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)

    context = ModbusServerContext(slaves={METER_UNIT: unit(), INVERTER_UNIT: unit()}, single=False)
    context[INVERTER_UNIT].setValues(HOLDING, LIMIT_REGISTER, [100])
    if args.rtu:
        server = ModbusSerialServer(context, framer=ModbusRtuFramer, port=args.rtu, baudrate=args.baud,
                                    ignore_missing_slaves=True)
    else:
        server = ModbusTcpServer(context, address=("127.0.0.1", args.tcp), ignore_missing_slaves=True)

    async def ready():
        await asyncio.sleep(0.3)
        print("READY", flush=True)

    loop = asyncio.get_running_loop()
    loop.create_task(simulate(context, args.day_seconds, args.report, args.overheat_every, args.overheat_for))
    loop.create_task(ready())
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
