#!/usr/bin/env python3
"""Plays U-Boot's RAUC bootchooser for one boot of a simulated gateway (test tool).

Reads and writes the bootloader environment only through Debian's fw_printenv/fw_setenv (an
implementation independent of the agent's), following RAUC's example U-Boot script:
  - defaults: BOOT_ORDER "A B", BOOT_x_LEFT = attempts, when absent;
  - the first slot in BOOT_ORDER whose BOOT_x_LEFT > 0 is chosen and its counter decremented;
  - the environment is saved; the slot's "firmware" runs with the kernel command line
    `rauc.slot=X` in $EDGE_CMDLINE;
  - with no bootable slot, all counters are reset to `attempts` and the board resets (exit 3).

usage: boot-simulator.py --config FW_ENV_CONFIG --slot A=PATH --slot B=PATH [--attempts N]
                         [--runner CMD]   (default "sh": the slot file is a shell script;
                                           "qemu-aarch64" runs a firmware binary)
                         [--args ARGS]    arguments for the firmware
                         [--version-args VERSION=ARGS]...  arguments instead of --args when the
                                          chosen slot's EDGE_VERSION_x is VERSION (to play a
                                          release that behaves differently, e.g. never reaches
                                          its uplink)
                         [--exec]         replace this process by the firmware (exec) instead of
                                          waiting for it: a signal sent to the simulator's process
                                          then reaches the firmware (for `edge-agent run`, stopped
                                          with SIGTERM)
Prints "boot: slot X, N attempts left" then the firmware's output; exits with the firmware's
exit status (0 healthy start, anything else a crash).
"""
import argparse
import os
import subprocess
import sys
import tempfile


def printenv(config):
    out = subprocess.run(["fw_printenv", "-c", config], capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    return env


def setenv(config, pairs):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for k, v in pairs.items():
            f.write(f"{k}={v}\n")
        script = f.name
    try:
        subprocess.run(["fw_setenv", "-c", config, "-s", script], check=True, capture_output=True)
    finally:
        os.unlink(script)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--slot", action="append", required=True)
    p.add_argument("--attempts", type=int, default=3)
    p.add_argument("--runner", default="sh")
    p.add_argument("--args", default="", help="arguments passed to the firmware (space-separated)")
    p.add_argument("--version-args", action="append", default=[],
                   help="VERSION=ARGS: arguments for a slot whose EDGE_VERSION_x is VERSION")
    p.add_argument("--exec", action="store_true", help="exec the firmware instead of waiting for it")
    a = p.parse_args()
    slots = dict(s.split("=", 1) for s in a.slot)

    env = printenv(a.config)
    changes = {}
    order = env.get("BOOT_ORDER")
    if order is None:
        order = "A B"
        changes["BOOT_ORDER"] = order
    chosen = None
    for name in order.split():
        var = f"BOOT_{name}_LEFT"
        try:
            left = int(env.get(var, str(a.attempts)))
        except ValueError:
            left = 0
        if chosen is None and left > 0:
            left -= 1
            chosen = name
            changes[var] = str(left)
            remaining = left
        elif var not in env:
            changes[var] = str(left)
    if chosen is None:
        for name in slots:
            changes[f"BOOT_{name}_LEFT"] = str(a.attempts)
        setenv(a.config, changes)
        print("boot: no valid slot found, resetting tries and resetting the board", flush=True)
        return 3
    setenv(a.config, changes)
    print(f"boot: slot {chosen}, {remaining} attempts left", flush=True)
    environ = dict(os.environ, EDGE_CMDLINE=f"root={slots[chosen]} rauc.slot={chosen}")
    args = a.args
    for item in a.version_args:
        version, _, special = item.partition("=")
        if env.get(f"EDGE_VERSION_{chosen}") == version:
            args = special
    command = a.runner.split() + [slots[chosen]] + args.split()
    if a.exec:
        sys.stdout.flush()
        os.execvpe(command[0], command, environ)
    result = subprocess.run(command, env=environ)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
