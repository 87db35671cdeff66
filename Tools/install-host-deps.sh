#!/usr/bin/env bash
# Installs what the host build, the tests and the demo need on a fresh Debian 12 machine:
# Debian packages (apt-get), and the pinned Python packages (pip) in a virtual environment that
# this script creates under the build directory (EDGE_VENV, default build/venv). The system's
# python3 is never installed into: Debian 12 marks it "externally managed" (PEP 668). The
# Makefile puts "$EDGE_VENV/bin" first on PATH, so every `python3` that make, the tests, the demo
# and the benchmarks start is the environment's. Quiet and quick when all is present.
set -euo pipefail

APT_PACKAGES=(
    libmodbus-dev libmbedtls-dev      # host build: the C libraries
    mosquitto mosquitto-clients       # tests and demo: a real broker and reference client
    socat                             # tests and demo: pseudo-terminal pairs for Modbus RTU
    qemu-user file                    # firmware tests: run ARM binaries, check their ELF type
    libubootenv-tool                  # OTA tests: Debian's fw_printenv / fw_setenv
    openssl                           # tests: keys and certificates
    time                              # bench: peak RSS (/usr/bin/time -v)
    dpkg-dev                          # firmware deps: dpkg-source for Debian's source packages
    python3-venv                      # `python3 -m venv` with pip: a stock Debian 12 has python3 without either
    python3-cryptography              # Tools/make-image.py under /usr/bin/python3 (the OTA tests and `make image`
                                      # outside make's PATH)
)
PIP_PACKAGES=(
    "pymodbus==3.6.9"                 # tests and demo: an independent Modbus implementation
    "pyserial==3.5"                   # pymodbus's serial transport
    "enos-mqtt-sdk-python==0.1.1"     # tests: the official EnOS Python SDK, the oracle of the cloud simulator
    "paho-mqtt==1.6.1"                # the SDK's MQTT client (it calls the paho 1.x constructor, which 2.x refuses)
    "certifi==2026.5.20"              # a declared dependency of the SDK
    "c104==2.2.1"                     # tests: an IEC 60870-5-104 outstation (wraps lib60870-C), the oracle of IEC104Tests
    "cryptography==38.0.4"            # Tools/make-image.py, Tools/make-config-bundle.py (Debian 12's version)
    "cffi==2.1.1"                     # cryptography's dependencies, pinned so that every machine gets the same
    "pycparser==3.12"
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    case "$p" in \#*) continue;; esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-host-deps: apt-get install ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${EDGE_VENV:-$root/build/venv}"
base_python="${EDGE_BASE_PYTHON:-/usr/bin/python3}"
if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ]; then
    echo "install-host-deps: $venv exists and is not a virtual environment (no pyvenv.cfg): move it away or set EDGE_VENV" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -m pip --version >/dev/null 2>&1; then
    echo "install-host-deps: python3 -m venv $venv"
    rm -rf "$venv"
    "$base_python" -m venv "$venv" || {
        echo "install-host-deps: could not create the virtual environment $venv with $base_python (is python3-venv installed?)" >&2
        exit 1
    }
fi
PYTHON="$venv/bin/python3"
need_pip=()
for spec in "${PIP_PACKAGES[@]}"; do
    name="${spec%%==*}"; version="${spec##*==}"
    have="$("$PYTHON" -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null || true)"
    [ "$have" = "$version" ] || need_pip+=("$spec")
done
if [ "${#need_pip[@]}" -gt 0 ]; then
    echo "install-host-deps: pip install ${need_pip[*]} (into $venv)"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check "${need_pip[@]}"
fi
