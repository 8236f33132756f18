"""A process that drives a library with random operations until it is killed.

Usage: ``python crash_child.py LIBRARY SEED``.  Prints ``ready`` once the library is open,
``created <id>`` after each VM creation has returned (so it is committed), and
``deleting <id>`` before a deletion starts.  Every line is flushed at once, so whatever the
parent read before its SIGKILL is true of the library.
"""

from __future__ import annotations

import random
import sys

from hvlab.engine.api import HardDrive, HvError, open_library

OPS = ("create", "create", "start", "start", "shut_down", "turn_off", "save", "pause",
       "resume", "reset", "set", "rename", "advance", "advance", "advance", "delete",
       "delete_saved_state", "reboot")


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main() -> None:
    folder, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    lib = open_library(folder, program="crash-child")
    api = lib.api
    say("ready")
    n = 0
    while True:
        n += 1
        vms = api.vms()
        name = rng.choice(vms).name if vms else ""
        op = rng.choice(OPS)
        try:
            if op == "create":
                if len(vms) >= 24:  # keep the library small enough to open quickly
                    continue
                vm = api.create_vm(f"C{seed}-{n}", memory_startup_mb=rng.choice([128, 256, 512]),
                                   hard_drives=[HardDrive("IDE", 0, 0, "d.vhd")])
                say(f"created {vm.id}")
            elif op == "advance":
                api.advance(rng.choice([0.05, 0.5, 3.0, 40.0]))
            elif not name:
                continue
            elif op == "delete":
                vm_id = api.vm(name).id
                say(f"deleting {vm_id}")
                api.delete_vm(vm_id)
            elif op == "set":
                api.set_vm(name, notes=f"note {n}", memory_startup_mb=rng.choice([256, 512]))
            elif op == "rename":
                api.rename(name, f"R{seed}-{n}")
            elif op == "reboot":
                if rng.random() < 0.1:
                    api.reboot_host()
            else:
                getattr(api, op)(name)
        except HvError:
            pass


if __name__ == "__main__":
    main()
