#!/usr/bin/env python3
"""Runs the JSON probe of each board under qemu-user on ~2000 numbers and compares with Python.

usage: compare.py <probe build dir> <board>...
Exit status 1 if any conversion is more than 1 ULP off, more than 1% are 1 ULP off, or a written
number does not read back within 15 significant digits.
"""
import random
import struct
import subprocess
import sys

QEMU = {"qemu-aarch64": "qemu-aarch64", "qemu-armv7": "qemu-arm"}


def numbers():
    rng = random.Random(7)
    nums = ["0", "-0", "0.1", "230.5", "-273.15", "1e22", "1e23", "6.02e23", "1.7976931348623157e308",
            "5e-324", "2.2250738585072014e-308", "0.30000000000000004", "123456789012345678901234",
            "49.999", "1e-7", "3.4028235e38", "9007199254740993"]
    for _ in range(1500):
        d = rng.randint(1, 19)
        s = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(d - 1))
        nums.append(s + "e" + str(rng.randint(-330, 308 - d)))
    while len(nums) < 2000:
        x = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0]
        if x == x and abs(x) != float("inf"):
            nums.append(repr(x))
    return nums


def bits(x):
    return struct.unpack(">Q", struct.pack(">d", x))[0]


def main():
    build, boards = sys.argv[1], sys.argv[2:]
    nums = numbers()
    failed = False
    for board in boards:
        exe = f"{build}/{board}/out/edge-agent"
        lines = []
        for i in range(0, len(nums), 200):
            run = subprocess.run([QEMU[board], exe] + nums[i:i + 200], capture_output=True, text=True, check=True)
            lines += run.stdout.splitlines()
        assert len(lines) == len(nums), (board, len(lines), len(nums))
        off1 = bad = wbad = 0
        for n, line in zip(nums, lines):
            parts = line.split()
            want, got = bits(float(n)), int(parts[1], 16)
            if got != want:
                if abs(got - want) == 1:
                    off1 += 1
                else:
                    bad += 1
                    print(f"{board}: {n} read as {parts[1]}, Python {want:#018x}")
            v, w = float(n), float(parts[2])
            if v != 0 and abs(w - v) > abs(v) * 1e-14:
                wbad += 1
                print(f"{board}: {n} written as {parts[2]}")
        print(f"{board}: {len(nums)} numbers, {len(nums) - off1 - bad} exact, {off1} one ULP off, "
              f"{bad} worse; {wbad} written numbers that do not read back")
        failed |= bad > 0 or wbad > 0 or off1 > len(nums) // 100
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
