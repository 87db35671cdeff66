#!/usr/bin/env python3
"""Bytes of code and read-only data per module of a firmware, from its symbol table.

Usage: module_sizes.py NM edge-agent.debug [--feature TITLE MODULE NAMES CSYMBOLS]
Prints Markdown table rows "| module | bytes | share |", largest first. A Swift symbol counts for
the module its mangled name starts in (a stdlib generic specialised for our types counts as the
standard library); a C symbol for its library by prefix (mbedtls_, modbus_, edge_), the rest as
the C runtime (musl, libm, compiler-rt). .bss is left out: it takes no space in the file.

--feature estimates one feature's size by name, since LTO leaves no per-file boundary: the whole
Swift MODULE, plus every other Swift symbol whose mangled name matches the regular expression
NAMES (its wiring elsewhere, and the stdlib generics specialised for its types), plus the C
symbols listed in CSYMBOLS (comma-separated: e.g. the libm functions only it calls). Code of the
feature inlined into a caller of another name is not found, so this is a lower bound.
"""
import collections
import re
import subprocess
import sys

args = sys.argv[1:]
feature = None
if "--feature" in args:
    i = args.index("--feature")
    feature = args[i + 1:i + 5]
    del args[i:i + 5]
    if len(feature) != 4:
        sys.exit("module_sizes.py: --feature needs TITLE MODULE NAMES CSYMBOLS")
nm, binary = args
listing = subprocess.run([nm, "-S", "--radix=d", binary], capture_output=True, text=True, check=True).stdout
sizes = collections.Counter()
parts_of_feature = collections.Counter()
seen = set()   # an alias (pthread_create and __pthread_create) counts once
for line in listing.splitlines():
    parts = line.split()
    if len(parts) != 4 or parts[2] in "bBuUvV" or parts[0] in seen:
        continue
    seen.add(parts[0])
    size, name = int(parts[1]), parts[3]
    swift = name.startswith("$s") or name.startswith("$e")   # $e: Embedded Swift
    if swift:
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
    if feature:
        _, own, names, csymbols = feature
        if swift and module == own:
            parts_of_feature["module"] += size
        elif swift and re.search(names, name):
            parts_of_feature["wiring"] += size
        elif not swift and name in csymbols.split(","):
            parts_of_feature["c"] += size
total = sum(sizes.values())
for module, size in sizes.most_common():
    print(f"| {module} | {size} | {100 * size / total:.1f}% |")
print(f"| (all) | {total} | 100% |")
if feature:
    title, own, names, csymbols = feature
    m, w, c = parts_of_feature["module"], parts_of_feature["wiring"], parts_of_feature["c"]
    print()
    print(f"{title}, estimated by name: **{m + w + c} bytes** = the {own} module {m} + Swift symbols of other "
          f"modules naming `{names}` {w} + C symbols {csymbols.replace(',', ', ')} {c} (a lower bound: code "
          f"inlined into callers of other names is not counted).")
