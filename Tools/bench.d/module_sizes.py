#!/usr/bin/env python3
"""Bytes of code and read-only data per module of a firmware, from its symbol table.

Usage: module_sizes.py NM edge-agent.debug
Prints Markdown table rows "| module | bytes |", largest first. A Swift symbol counts for the
module its mangled name starts in (a stdlib generic specialised for our types counts as the
standard library); a C symbol for its library by prefix (mbedtls_, modbus_, edge_), the rest
as the C runtime (musl, libm, compiler-rt). .bss is left out: it takes no space in the file.
"""
import collections
import re
import subprocess
import sys

nm, binary = sys.argv[1], sys.argv[2]
listing = subprocess.run([nm, "-S", "--radix=d", binary], capture_output=True, text=True, check=True).stdout
sizes = collections.Counter()
seen = set()   # an alias (pthread_create and __pthread_create) counts once
for line in listing.splitlines():
    parts = line.split()
    if len(parts) != 4 or parts[2] in "bBuUvV" or parts[0] in seen:
        continue
    seen.add(parts[0])
    size, name = int(parts[1]), parts[3]
    if name.startswith("$s") or name.startswith("$e"):   # $e: Embedded Swift
        rest = name[2:]
        m = re.match(r"(\d+)", rest)
        if rest.startswith("s") or rest.startswith("S"):
            module = "Swift standard library (and its generics specialised for our types)"
        elif m:
            n = int(m.group(1))
            module = rest[len(m.group(1)):len(m.group(1)) + n]
        else:
            module = "Swift (other)"
    elif "_swift_stdlib_" in name or name.startswith("swift_"):
        module = "Swift runtime and Unicode tables"
    elif name.startswith("mbedtls_"):
        module = "mbedTLS"
    elif name.startswith("modbus_") or name.startswith("_modbus"):
        module = "libmodbus"
    elif name.startswith("edge_"):
        module = "CShim"
    else:
        module = "C runtime (musl, libm, compiler-rt) and unnamed data"
    sizes[module] += size
total = sum(sizes.values())
for module, size in sizes.most_common():
    print(f"| {module} | {size} | {100 * size / total:.1f}% |")
print(f"| (all) | {total} | 100% |")
