"""Client values (JSON-ish: strings, numbers, dicts) turned into engine types, with the
field named in the error when one does not fit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hvlab.engine import bounds
from hvlab.engine.config import HardDrive, NetworkAdapter, StartAction, StopAction
from hvlab.engine.errors import ValidationError
from hvlab.engine.profiles import MAX_HOST_RAM_GB, HostHardware
from hvlab.engine.storage import DiskType
from hvlab.engine.switches import SwitchType


def parse_switch_type(value: str) -> SwitchType:
    for t in SwitchType:
        if value.casefold() == t.value.casefold():
            return t
    raise ValidationError("switch_type", "The switch type must be External, Internal or Private.")


def custom_hardware(hw: HostHardware, ram_gb: int | None, sockets: int | None,
                    cores: int | None, threads: int | None) -> HostHardware:
    if sockets is not None:
        hw = replace(hw, sockets=bounds.whole("sockets", "Sockets", sockets, 1, 64))
    if cores is not None:
        hw = replace(hw, cores_per_socket=bounds.whole("cores_per_socket", "Cores per socket",
                                                       cores, 1, 128))
    if threads is not None:
        hw = replace(hw, threads_per_core=bounds.whole("threads_per_core", "Threads per core",
                                                       threads, 1, 2))
    if ram_gb is not None:
        hw = hw.with_ram_gb(bounds.whole("ram_gb", "Host RAM", ram_gb, 1, MAX_HOST_RAM_GB, "GB"))
    return hw


def coerce_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Accept plain JSON-ish values for enum, set and device fields."""
    out = dict(fields)
    if "automatic_start_action" in out:
        try:
            out["automatic_start_action"] = StartAction(out["automatic_start_action"])
        except ValueError:
            raise ValidationError("automatic_start_action",
                                  "Automatic Start Action must be Nothing, StartIfRunning or "
                                  "Start.") from None
    if "automatic_stop_action" in out:
        try:
            out["automatic_stop_action"] = StopAction(out["automatic_stop_action"])
        except ValueError:
            raise ValidationError(
                "automatic_stop_action", "Automatic Stop Action must be Save, TurnOff or ShutDown."
            ) from None
    if "integration_services" in out:
        out["integration_services"] = frozenset(out["integration_services"])
    if "boot_order" in out:
        out["boot_order"] = tuple(out["boot_order"])
    if "hard_drives" in out:
        out["hard_drives"] = tuple(d if isinstance(d, HardDrive) else HardDrive(**d)
                                   for d in out["hard_drives"])
    if "network_adapters" in out:
        out["network_adapters"] = tuple(n if isinstance(n, NetworkAdapter) else NetworkAdapter(**n)
                                        for n in out["network_adapters"])
    for key in ("memory_startup_mb", "memory_minimum_mb", "memory_maximum_mb", "cpu_count",
                "cpu_reserve_pct", "cpu_limit_pct", "cpu_weight", "memory_buffer_pct",
                "memory_weight", "generation", "automatic_start_delay_s", "scsi_controllers",
                "workload_cpu_pct", "workload_disk_iops", "workload_net_mbit",
                "workload_dirty_pages"):
        if key in out and (not isinstance(out[key], int) or isinstance(out[key], bool)):
            raise ValidationError(key, f"'{key}' must be a whole number.")
    return out


def parse_disk_type(value: str | DiskType) -> DiskType:
    if isinstance(value, DiskType):
        return value
    for t in (DiskType.FIXED, DiskType.DYNAMIC, DiskType.DIFFERENCING):
        if value.casefold() in (t.name.casefold(), {"DYNAMIC": "dynamically expanding"}.get(
                t.name, t.name).casefold()):
            return t
    raise ValidationError("disk_type", "The disk type must be fixed, dynamic or differencing.")
