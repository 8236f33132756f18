"""``hvctl``'s number and on/off options: each is checked when it is parsed.

Each is a :class:`engine.Number` with the engine's own ranges (``hvlab.engine.config.RANGES``,
the widest host profile), so a bad number is a usage error (exit code 2) naming the option,
its range and why, before the library is opened.
"""

from __future__ import annotations

import argparse

from hvlab.engine.api import (
    MAX_ADVANCE_SECONDS,
    MAX_CLOCK_SECONDS,
    MAX_DISK_SIZE,
    MAX_HOST_RAM_GB,
    MAX_QUERY_ENTRIES,
    MIN_RAM_MB,
    RANGES,
    Number,
    widest,
)


def setting(field: str) -> Number:
    """The type of an option that sets ``field``: the engine's own range for it."""
    return RANGES[field]


SECONDS_TO_ADVANCE = Number(
    "Simulated time to advance", 0, MAX_ADVANCE_SECONDS, "s",
    "one simulated day per command; run a longer span as several", integer=False)
SINCE_SECONDS = Number("The start time", 0, MAX_CLOCK_SECONDS, "s",
                       "a simulated time, at most a simulated century", integer=False)
LAST_ENTRIES = Number("The number of entries", 1, MAX_QUERY_ENTRIES, why="the newest N entries")
HOST_RAM_GB = Number("Host RAM", 1, MAX_HOST_RAM_GB, "GB", "what a host can hold")
ROOT_LOAD_PCT = Number("Root partition load", 0, 100, "%",
                       "a share of the root partition's processors")
GENERATION = Number("Generation", 1, 2, why="Hyper-V has generation 1 and 2 virtual machines")
DISK_SIZE_GB = Number("The size of a VHD", 0.001, MAX_DISK_SIZE / 1024**3, "GB",
                      "the VHD format's largest disk is 2,040 GB", integer=False)
BLOCK_KB = Number("The block size", 512, 2048, "KB", "512 KB or 2 MB")
VLAN = Number("VLAN ID", 0, RANGES["vlan_id"].hi, why="0 turns VLAN identification off")


def ram_mb(label: str) -> Number:
    top = widest(lambda limits: max(limits.ram_per_vm_mb.values()))
    return Number(label, MIN_RAM_MB, top, "MB", "the most RAM any host profile gives a VM")


def processors() -> Number:
    top = widest(lambda limits: max(limits.vps_per_vm.values()))
    return Number("Number of virtual processors", 1, top,
                  why="the most any host profile gives a VM")


def adapter_index() -> Number:
    top = widest(lambda limits: limits.synthetic_nics + limits.legacy_nics)
    return Number("The adapter number", 0, top - 1, why="adapters are numbered from 0")


def controller_number() -> Number:
    top = widest(lambda limits: max(limits.ide_controllers, limits.scsi_controllers))
    return Number("The controller number", 0, top - 1, why="controllers are numbered from 0")


def controller_location() -> Number:
    top = widest(lambda limits: max(limits.devices_per_ide_controller,
                                    limits.devices_per_scsi_controller))
    return Number("The controller location", 0, top - 1, why="locations are numbered from 0")


def on_off(text: str) -> bool:
    value = text.casefold()
    if value in ("on", "true", "yes", "1", "enabled"):
        return True
    if value in ("off", "false", "no", "0", "disabled"):
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, not {text!r}")
