#!/usr/bin/env python3
"""Builds and signs edge-agent firmware images (host-only tool).

Layout (see Sources/OTA/FirmwareImageHeader.swift, the authority):
  128-byte header  magic "EDGEFWIM", u16 format 1, u16 header size 128, u32 flags 0,
                   board[32] NUL-padded, version[32] NUL-padded, u64 payload length,
                   SHA-256(payload)[32], 8 reserved zero bytes (all little-endian)
  payload
  u16 signature length, DER ECDSA P-256 signature over SHA-256(header || SHA-256(payload))

Commands:
  keygen  --private KEY.pem --public KEY.der      make a P-256 key pair
  build   --key KEY.pem --board B --version V --input PAYLOAD --output IMAGE
  info    IMAGE [--public KEY.der]                print the header (and verify)
  c-identity --board B --version V --revision R [--key KEY.der]
                                                  print the firmware's identity as C (firmware.mk
                                                  links it: version, revision, board, OTA key)
  public  --key KEY.pem --output KEY.der          the public half of a signing key (make image)
Uses the `cryptography` package (pip install cryptography), except c-identity without --key,
which `make firmware` runs on a bare python3.
"""
import argparse
import hashlib
import re
import struct
import sys


def load_crypto():
    """Imports the `cryptography` package for the commands that sign or check keys."""
    global hashes, serialization, ec, utils
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils

MAGIC = b"EDGEFWIM"
FORMAT = 1
HEADER_SIZE = 128
VERSION_RE = re.compile(r"^[vV]?[0-9]+(\.[0-9]+){0,7}$")


def header_bytes(board: str, version: str, payload: bytes) -> bytes:
    b = board.encode()
    v = version.encode()
    if not 0 < len(b) <= 32 or b"\0" in b:
        raise SystemExit("make-image: board name must be 1..32 bytes")
    if not VERSION_RE.match(version) or len(v) > 32:
        raise SystemExit("make-image: version must be dotted decimal (e.g. 1.2.3), up to 8 parts")
    h = MAGIC + struct.pack("<HHI", FORMAT, HEADER_SIZE, 0)
    h += b.ljust(32, b"\0") + v.ljust(32, b"\0")
    h += struct.pack("<Q", len(payload)) + hashlib.sha256(payload).digest() + bytes(8)
    assert len(h) == HEADER_SIZE
    return h


def sign(key, header: bytes, payload_digest: bytes) -> bytes:
    return key.sign(header + payload_digest, ec.ECDSA(hashes.SHA256()))


def cmd_keygen(a):
    key = ec.generate_private_key(ec.SECP256R1())
    with open(a.private, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(a.public, "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))


def cmd_build(a):
    with open(a.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise SystemExit("make-image: the signing key must be ECDSA P-256")
    with open(a.input, "rb") as f:
        payload = f.read()
    header = header_bytes(a.board, a.version, payload)
    signature = sign(key, header, hashlib.sha256(payload).digest())
    with open(a.output, "wb") as f:
        f.write(header + payload + struct.pack("<H", len(signature)) + signature)


def parse(image: bytes):
    if len(image) < HEADER_SIZE + 2 or image[:8] != MAGIC:
        raise SystemExit("make-image: not an image")
    fmt, hsize, flags = struct.unpack_from("<HHI", image, 8)
    board = image[16:48].rstrip(b"\0").decode()
    version = image[48:80].rstrip(b"\0").decode()
    (length,) = struct.unpack_from("<Q", image, 80)
    digest = image[88:120]
    end = HEADER_SIZE + length
    (siglen,) = struct.unpack_from("<H", image, end)
    signature = image[end + 2:end + 2 + siglen]
    return dict(format=fmt, board=board, version=version, length=length, digest=digest,
                payload=image[HEADER_SIZE:end], signature=signature, header=image[:HEADER_SIZE])


def cmd_info(a):
    with open(a.image, "rb") as f:
        p = parse(f.read())
    print(f"format {p['format']} board {p['board']} version {p['version']} payload {p['length']} bytes")
    print(f"sha256 {p['digest'].hex()}")
    ok = hashlib.sha256(p["payload"]).digest() == p["digest"]
    print("digest ok" if ok else "digest MISMATCH")
    if a.public:
        with open(a.public, "rb") as f:
            pub = serialization.load_der_public_key(f.read())
        try:
            pub.verify(p["signature"], p["header"] + hashlib.sha256(p["payload"]).digest(), ec.ECDSA(hashes.SHA256()))
            print("signature ok")
        except Exception:
            print("signature BAD")
            ok = False
    sys.exit(0 if ok else 1)


def cmd_public(a):
    with open(a.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise SystemExit(f"make-image: {a.key}: the signing key must be ECDSA P-256")
    with open(a.output, "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))


def c_string(text: str, what: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._+/-]{1,64}", text):
        raise SystemExit(f"make-image: {what} {text!r}: 1 to 64 of A-Z a-z 0-9 . _ + / -")
    return '"' + text + '"'


def cmd_c_identity(a):
    """The C file that gives the firmware its identity at link time: version, git revision,
    board and the OTA public key (DER SubjectPublicKeyInfo, ECDSA P-256; none: every image is
    refused). firmware.mk compiles it into a small object per output and links it, so a new
    revision, version or key relinks the firmware without recompiling a Swift module."""
    der = b""
    if a.key:
        load_crypto()
        with open(a.key, "rb") as f:
            der = f.read()
        try:
            pub = serialization.load_der_public_key(der)
        except ValueError:
            raise SystemExit(f"make-image: {a.key}: not a DER public key ({len(der)} bytes)")
        if not isinstance(pub, ec.EllipticCurvePublicKey) or pub.curve.name != "secp256r1":
            raise SystemExit(f"make-image: {a.key}: not an ECDSA P-256 public key")
    version, revision, board = (c_string(a.version, "version"), c_string(a.revision, "revision"),
                                c_string(a.board, "board"))
    rows = [", ".join(f"0x{b:02x}" for b in der[i:i + 12]) for i in range(0, len(der), 12)]
    print("// Generated by Tools/make-image.py c-identity for firmware.mk. Do not edit.")
    print("// What this firmware is (CShim.h, \"The binary's identity\"): linked, not compiled into Swift.")
    print("#include <stddef.h>")
    print(f"const char *edge_build_version(void) {{ return {version}; }}")
    print(f"const char *edge_build_revision(void) {{ return {revision}; }}")
    print(f"const char *edge_build_board(void) {{ return {board}; }}")
    if der:
        print("/* The OTA key: DER SubjectPublicKeyInfo, ECDSA P-256. */")
        print("static const unsigned char key[] = {")
        for r in rows:
            print(f"    {r},")
        print("};")
        print("const unsigned char *edge_trusted_firmware_key(size_t *count) { *count = sizeof key; return key; }")
    else:
        print("/* No OTA key: every image is refused. */")
        print("const unsigned char *edge_trusted_firmware_key(size_t *count) { *count = 0; return NULL; }")


def main():
    p = argparse.ArgumentParser(description="edge-agent firmware image tool")
    sub = p.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keygen"); k.add_argument("--private", required=True); k.add_argument("--public", required=True)
    b = sub.add_parser("build")
    for opt in ("--key", "--board", "--version", "--input", "--output"):
        b.add_argument(opt, required=True)
    i = sub.add_parser("info"); i.add_argument("image"); i.add_argument("--public")
    c = sub.add_parser("c-identity")
    for opt in ("--board", "--version", "--revision"):
        c.add_argument(opt, required=True)
    c.add_argument("--key")
    u = sub.add_parser("public"); u.add_argument("--key", required=True); u.add_argument("--output", required=True)
    a = p.parse_args()
    if a.cmd != "c-identity":
        load_crypto()
    {"keygen": cmd_keygen, "build": cmd_build, "info": cmd_info, "c-identity": cmd_c_identity, "public": cmd_public}[a.cmd](a)


if __name__ == "__main__":
    main()
