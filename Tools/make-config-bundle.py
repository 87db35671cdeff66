#!/usr/bin/env python3
"""Builds and signs edge-agent configuration bundles (host-only tool).

Layout (see Sources/Configuration/ConfigurationBundle.swift, the authority, and BUNDLE.md there):
  128-byte header  magic "EDGECFGB", u16 format 1, u16 header size 128, u32 flags 0,
                   version[32] NUL-padded (printable ASCII), u64 configuration length,
                   SHA-256(configuration)[32], key id = SHA-256(signer's public key DER)[32],
                   8 reserved zero bytes (all little-endian)
  configuration    the agent's JSON configuration, whose root "version" is the header's version
  u16 signature length, DER ECDSA P-256 signature over SHA-256(header || SHA-256(configuration))

The key is the firmware signing key (Tests/OTAFixtures/Keys/test-signing-key.pem for tests;
`make keygen` for a product key): an agent trusts the key compiled in as TrustedFirmwareKey.

Commands:
  build --key KEY.pem --config CONFIG.json --version V --output BUNDLE [--unsigned]
        writes "version": V into the configuration (kept as is when it already says V; refused
        when it says another version) and signs; --unsigned leaves the signature off (tests)
  info  BUNDLE [--public KEY.der]                 print the header (and verify)
Uses the `cryptography` package (pip install cryptography).
"""
import argparse
import hashlib
import json
import re
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

MAGIC = b"EDGECFGB"
FORMAT = 1
HEADER_SIZE = 128
VERSION_RE = re.compile(r"^[\x21-\x7e]{1,32}$")
MAX_CONFIG = 1 << 20


def fail(text):
    raise SystemExit("make-config-bundle: " + text)


def with_version(text: bytes, version: str) -> bytes:
    """The configuration with its root "version" set to `version`, the rest byte for byte."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        fail(f"the configuration is not JSON: {e}")
    if not isinstance(doc, dict):
        fail("the configuration is not a JSON object")
    if "version" in doc:
        if doc["version"] != version:
            fail(f"the configuration says version {doc['version']!r}, not {version!r}")
        return text
    brace = text.index(b"{")
    entry = json.dumps("version") + ": " + json.dumps(version)
    rest = text[brace + 1:]
    separator = "," if doc else ""
    return text[:brace + 1] + ("\n  " + entry + separator).encode() + rest


def header_bytes(version: str, config: bytes, public_der: bytes) -> bytes:
    if not VERSION_RE.match(version):
        fail("version must be 1..32 printable ASCII characters without spaces")
    if len(config) > MAX_CONFIG:
        fail("the configuration is larger than 1 MiB")
    h = MAGIC + struct.pack("<HHI", FORMAT, HEADER_SIZE, 0) + version.encode().ljust(32, b"\0")
    h += struct.pack("<Q", len(config)) + hashlib.sha256(config).digest() + hashlib.sha256(public_der).digest() + bytes(8)
    assert len(h) == HEADER_SIZE
    return h


def cmd_build(a):
    with open(a.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        fail("the signing key must be ECDSA P-256")
    public_der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with open(a.config, "rb") as f:
        config = with_version(f.read(), a.version)
    header = header_bytes(a.version, config, public_der)
    out = header + config
    if not a.unsigned:
        signature = key.sign(header + hashlib.sha256(config).digest(), ec.ECDSA(hashes.SHA256()))
        out += struct.pack("<H", len(signature)) + signature
    with open(a.output, "wb") as f:
        f.write(out)


def cmd_info(a):
    with open(a.bundle, "rb") as f:
        b = f.read()
    if len(b) < HEADER_SIZE or b[:8] != MAGIC:
        fail("not a configuration bundle")
    fmt, _, _ = struct.unpack_from("<HHI", b, 8)
    version = b[16:48].rstrip(b"\0").decode()
    (length,) = struct.unpack_from("<Q", b, 48)
    end = HEADER_SIZE + length
    config = b[HEADER_SIZE:end]
    print(f"format {fmt} version {version} configuration {length} bytes")
    print(f"sha256 {b[56:88].hex()}")
    print(f"key id {b[88:120].hex()}")
    ok = hashlib.sha256(config).digest() == b[56:88]
    print("digest ok" if ok else "digest MISMATCH")
    if len(b) < end + 2:
        print("unsigned")
        sys.exit(1)
    (siglen,) = struct.unpack_from("<H", b, end)
    if a.public:
        with open(a.public, "rb") as f:
            der = f.read()
        pub = serialization.load_der_public_key(der)
        if hashlib.sha256(der).digest() != b[88:120]:
            print("signed by another key")
            ok = False
        try:
            pub.verify(b[end + 2:end + 2 + siglen], b[:HEADER_SIZE] + hashlib.sha256(config).digest(), ec.ECDSA(hashes.SHA256()))
            print("signature ok")
        except Exception:
            print("signature BAD")
            ok = False
    sys.exit(0 if ok else 1)


def main():
    p = argparse.ArgumentParser(description="edge-agent configuration bundle tool")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    for opt in ("--key", "--config", "--version", "--output"):
        b.add_argument(opt, required=True)
    b.add_argument("--unsigned", action="store_true")
    i = sub.add_parser("info"); i.add_argument("bundle"); i.add_argument("--public")
    a = p.parse_args()
    {"build": cmd_build, "info": cmd_info}[a.cmd](a)


if __name__ == "__main__":
    main()
