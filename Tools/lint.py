#!/usr/bin/env python3
"""Source rules for Sources/ that the host compiler does not check (the firmware build does, but
later and less clearly): Sources/ is Embedded Swift, so no Foundation/Dispatch/Glibc imports, no
existentials (`any P`), no untyped `throws`. Comments and string literals are ignored."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent

def code_only(text: str) -> str:
    """Blanks out comments and string literals, keeping line structure."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (min(j + 1, n) - i)); i = min(j + 1, n)
        else:
            out.append(text[i]); i += 1
    return "".join(out)

rules = [
    (re.compile(r"^\s*(@\w+\s+)*import\s+(Foundation|FoundationEssentials|Dispatch|Glibc|Darwin)\b"),
     "imports a module that does not exist in Embedded Swift (libc comes from CShim)"),
    (re.compile(r"\bany\s+[A-Z]\w*"), "uses an existential (`any P`); use generics"),
    (re.compile(r"\bthrows\b(?!\s*\()"), "untyped `throws`; use `throws(SomeError)`"),
    (re.compile(r"\bString\(describing:"), "String(describing:) needs reflection"),
    (re.compile(r"\bCommandLine\b"), "CommandLine does not exist in Embedded Swift"),
    (re.compile(r"\bInt\((UInt32|UInt64|Int64|UInt)\.max\)"),
     "traps on 32-bit boards (armv7: Int is 32 bits); use UInt32(exactly:) or compare as UInt64"),
    (re.compile(r"\bInt\(edge_(realtime|monotonic)_ns\(\)"),
     "nanoseconds do not fit a 32-bit Int (armv7); use Int64/UInt64 or time_t"),
]

problems = 0
for path in sorted((root / "Sources").rglob("*.swift")):
    code = code_only(path.read_text())
    firmware_excluded = False
    for lineno, line in enumerate(code.splitlines(), 1):
        for pattern, why in rules:
            if pattern.search(line):
                # The host entry point may use CommandLine under `#if !EDGE_FIRMWARE`/#else.
                if "CommandLine" in why and path.name == "main.swift":
                    continue
                print(f"{path.relative_to(root)}:{lineno}: {why}")
                problems += 1
if problems:
    sys.exit(f"lint: {problems} problem(s)")
print("lint: ok")
