#!/usr/bin/env bash
# Installs what the host build, the tests and the demo need on a fresh Debian 12 machine:
# Debian packages (apt-get) and Python packages (pip). Quiet and quick when all is present.
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
    python3-pip                       # pip itself: a stock Debian 12 has python3 without it
    python3-cryptography              # Tools/make-image.py (OTA images and keys; the OTA tests run /usr/bin/python3)
)
PIP_PACKAGES=(
    "pymodbus==3.6.9"                 # tests and demo: an independent Modbus implementation
    "pyserial==3.5"                   # pymodbus's serial transport
    "enos-mqtt-sdk-python==0.1.1"     # tests: the official EnOS Python SDK, the oracle of the cloud simulator
    "paho-mqtt==1.6.1"                # the SDK's MQTT client (it calls the paho 1.x constructor, which 2.x refuses)
    "certifi==2026.5.20"              # a declared dependency of the SDK
    "c104==2.2.1"                     # tests: an IEC 60870-5-104 outstation (wraps lib60870-C), the oracle of IEC104Tests
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

PYTHON="${PYTHON:-python3}"
need_pip=()
for spec in "${PIP_PACKAGES[@]}"; do
    name="${spec%%==*}"; version="${spec##*==}"
    have="$("$PYTHON" -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null || true)"
    [ "$have" = "$version" ] || need_pip+=("$spec")
done
if [ "${#need_pip[@]}" -gt 0 ]; then
    # Debian 12's own python3 is "externally managed" (PEP 668): pip refuses to install into it
    # unless told to. These pinned test and demo packages do not replace any Debian package
    # (none of them is installed from apt here), so they go in with --break-system-packages, as
    # pip would take them anywhere else. A virtual environment or pyenv Python is not marked and
    # gets no flag. (The tests call `python3` from PATH and, for the OTA tools, /usr/bin/python3.)
    pip_flags=(--quiet --disable-pip-version-check)
    if "$PYTHON" -c 'import os, sys, sysconfig
sys.exit(0 if sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)'; then
        pip_flags+=(--break-system-packages)
    fi
    echo "install-host-deps: pip install ${need_pip[*]}"
    "$PYTHON" -m pip install "${pip_flags[@]}" "${need_pip[@]}"
fi
