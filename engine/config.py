"""A virtual machine's configuration and its validation against the host profile.

``VmConfig`` is immutable: a change is a new config made with :func:`dataclasses.replace`
and validated whole before it replaces the old one.  Every error names the field and the
range the profile allows.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hvlab.engine.bounds import Number, whole
from hvlab.engine.errors import ValidationError
from hvlab.engine.guests import DEFAULT_INTEGRATION_SERVICES, INTEGRATION_SERVICES, GuestOs
from hvlab.engine.names import (
    GROUP_NAME,
    SWITCH_NAME,
    VM_NAME,
    check_name,
    check_text,
    name_key,
    normalize,
)
from hvlab.engine.profiles import HostProfile
from hvlab.engine.sim.memory import PAGE_MB
from hvlab.engine.workloads import WORKLOADS

SCHEMA_VERSION = 1


class StartAction(enum.StrEnum):
    """Automatic Start Action (WMI AutomaticStartupAction 2/3/4)."""

    NOTHING = "Nothing"
    START_IF_RUNNING = "StartIfRunning"
    START = "Start"


#: Generation 1 BIOS startup order (Set-VMBios -StartupOrder) and generation 2 firmware boot
#: entries, in their default order. hvlab stores the order; the firmware does not use it yet.
BOOT_DEVICES: dict[int, tuple[str, ...]] = {
    1: ("CD", "IDE", "LegacyNetworkAdapter", "Floppy"),
    2: ("HardDrive", "NetworkAdapter", "DVD"),
}


class StopAction(enum.StrEnum):
    """Automatic Stop Action (WMI AutomaticShutdownAction 3/2/4)."""

    SAVE = "Save"
    TURN_OFF = "TurnOff"
    SHUT_DOWN = "ShutDown"


@dataclass(frozen=True)
class HardDrive:
    """A virtual hard drive attachment; ``bootable`` says the disk holds an installed OS."""

    controller: str  # "IDE" or "SCSI"
    controller_number: int
    location: int
    path: str
    bootable: bool = True
    #: Storage QoS in normalized IOPS (8 KB); 0 = none.
    min_iops: int = 0
    max_iops: int = 0


@dataclass(frozen=True)
class NetworkAdapter:
    """A synthetic network adapter, or (``legacy``) the emulated DEC 21140."""

    legacy: bool = False
    switch: str | None = None
    static_mac: str | None = None
    #: VLAN identification: 0 = off, else 1..4094.
    vlan_id: int = 0
    #: Bandwidth management in Mbit/s; 0 = none.
    min_mbit: int = 0
    max_mbit: int = 0

    def __post_init__(self) -> None:
        # The switch is named as switches store their names (hvlab.engine.names).
        if isinstance(self.switch, str):
            object.__setattr__(self, "switch", normalize(self.switch, SWITCH_NAME))


#: The fields of the records a configuration holds, in order (VmConfig.to_dict).
_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in (HardDrive, NetworkAdapter)}


@dataclass(frozen=True)
class VmConfig:
    """Everything that describes one VM; units in the field names (MB, %, s)."""

    id: str
    name: str
    generation: int = 1
    guest_os: str = "ws2008-x64"
    guest_is_installed: bool = True
    memory_startup_mb: int = 1024
    dynamic_memory_enabled: bool = False
    memory_minimum_mb: int = 512
    memory_maximum_mb: int = 1048576
    memory_buffer_pct: int = 20
    memory_weight: int = 50
    cpu_count: int = 1
    cpu_reserve_pct: int = 0
    cpu_limit_pct: int = 100
    cpu_weight: int = 100
    #: Processor ▸ Compatibility: "Migrate to a physical computer with a different
    #: processor version" (2008 R2 and later; only while the VM is Off).
    processor_compatibility: bool = False
    notes: str = ""
    automatic_start_action: StartAction = StartAction.START_IF_RUNNING
    automatic_start_delay_s: int = 0
    automatic_stop_action: StopAction = StopAction.SAVE
    checkpoint_location: str = ""
    smart_paging_location: str = ""
    integration_services: frozenset[str] = field(
        default_factory=lambda: frozenset(k for k, on in DEFAULT_INTEGRATION_SERVICES.items() if on)
    )
    hard_drives: tuple[HardDrive, ...] = ()
    network_adapters: tuple[NetworkAdapter, ...] = ()
    scsi_controllers: int = 1
    group: str = ""
    workload: str = "idle"
    workload_cpu_pct: int = 10
    workload_disk_iops: int = 0
    workload_net_mbit: int = 0
    workload_dirty_pages: int = 0
    #: BIOS (generation 1): Num Lock at startup. Boot order: a permutation of
    #: BOOT_DEVICES[generation]; empty means the default order.
    num_lock: bool = False
    boot_order: tuple[str, ...] = ()
    #: Firmware (generation 2): Secure Boot.
    secure_boot: bool = True
    #: Removable media and COM ports, "" = none: a DVD image (.iso), a virtual floppy disk
    #: (.vfd, generation 1), and named pipes (\\.\pipe\name or \\server\pipe\name).
    dvd_path: str = ""
    diskette_path: str = ""
    com1_pipe: str = ""
    com2_pipe: str = ""
    created_us: int = 0

    def __post_init__(self) -> None:
        # Every configuration, however it was made (created, changed, imported, read back),
        # holds its names in their stored form (hvlab.engine.names); validation checks the rest.
        for name, kind in (("name", VM_NAME), ("group", GROUP_NAME)):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, normalize(value, kind))

    # -- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"schema": SCHEMA_VERSION}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, frozenset):
                value = sorted(value)
            elif f.name in ("hard_drives", "network_adapters"):
                # Their fields are plain values: no need for asdict's deep copy.
                value = [{name: getattr(v, name) for name in _FIELD_NAMES[type(v)]}
                         for v in value]
            elif f.name == "boot_order":
                value = list(value)
            d[f.name] = value
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> VmConfig:
        if d.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unsupported configuration schema {d.get('schema')!r}")
        known = {f.name for f in dataclasses.fields(VmConfig)}
        unknown = set(d) - known - {"schema"}
        if unknown:
            raise ValueError(f"unknown configuration fields: {', '.join(sorted(unknown))}")
        kw: dict[str, Any] = {k: v for k, v in d.items() if k in known}
        kw["automatic_start_action"] = StartAction(
            kw.get("automatic_start_action", "StartIfRunning")
        )
        kw["automatic_stop_action"] = StopAction(kw.get("automatic_stop_action", "Save"))
        if "integration_services" in kw:
            kw["integration_services"] = frozenset(kw["integration_services"])
        kw["hard_drives"] = tuple(HardDrive(**h) for h in kw.get("hard_drives", ()))
        kw["network_adapters"] = tuple(NetworkAdapter(**n) for n in kw.get("network_adapters", ()))
        kw["boot_order"] = tuple(str(b) for b in kw.get("boot_order", ()))
        return VmConfig(**kw)


#: Fields a client may change with ``set_vm`` (id, generation and created_us are fixed).
EDITABLE_FIELDS = frozenset(
    f.name for f in dataclasses.fields(VmConfig) if f.name not in ("id", "generation", "created_us")
)

_MAC = re.compile(r"[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){5}")
_PIPE = re.compile(r"\\\\[^\\/:*?\"<>|]+\\pipe\\[^\\]+")


#: Ranges of the settings that do not depend on the host profile (validate_config uses them
#: and hvctl's parser checks its options against them).
RANGES: dict[str, Number] = {
    "memory_buffer_pct": Number("Memory buffer", 5, 2000, "%"),
    "memory_weight": Number("Memory weight", 0, 100),
    "cpu_reserve_pct": Number("Virtual machine reserve", 0, 100, "%"),
    "cpu_limit_pct": Number("Virtual machine limit", 0, 100, "%"),
    "cpu_weight": Number("Relative weight", 1, 10000),
    "automatic_start_delay_s": Number("Startup delay", 0, 86400, "seconds"),
    "workload_cpu_pct": Number("Workload CPU", 0, 100, "%"),
    "workload_disk_iops": Number("Workload disk IOPS", 0, 1_000_000),
    "workload_net_mbit": Number("Workload network", 0, 100_000, "Mbit/s"),
    "workload_dirty_pages": Number("Workload dirty pages", 0, 10_000_000),
    "min_iops": Number("Minimum IOPS", 0, 1_000_000),
    "max_iops": Number("Maximum IOPS", 0, 1_000_000),
    "vlan_id": Number("VLAN ID", 1, 4094),
    "min_mbit": Number("Minimum bandwidth", 0, 100_000, "Mbps"),
    "max_mbit": Number("Maximum bandwidth", 0, 100_000, "Mbps"),
}
#: Startup, minimum and maximum RAM start at 32 MB on every profile.
MIN_RAM_MB = 32


T = TypeVar("T")


class FieldErrors:
    """Every field found outside its rules, with the first reason for each: the whole answer
    of one check, so a settings page can mark every wrong field at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, str] = {}

    def add(self, field_name: str, message: str) -> None:
        self.by_field.setdefault(field_name, message)

    def attempt(self, check: Callable[..., T], *args: Any) -> T | None:
        """Run one check that raises :class:`ValidationError`; record its fields instead
        (None then) and go on to the next."""
        try:
            return check(*args)
        except ValidationError as err:
            for name, message in err.fields.items():
                self.add(name, message)
            return None

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError.for_fields(self.by_field)


def _check_era(errors: FieldErrors, cfg: VmConfig, profile: HostProfile) -> None:
    """Refuse what the profile's release did not have yet: the Guest services integration
    service (2012 R2), storage QoS (2012 R2) and bandwidth management (2012)."""
    feats = profile.features
    if not feats.guest_services and "guest_services" in cfg.integration_services:
        errors.add("integration_services",
                   f"{profile.name} has no Guest services integration service (it arrived "
                   "with Windows Server 2012 R2).")
    if not feats.storage_qos and any(d.min_iops or d.max_iops for d in cfg.hard_drives):
        errors.add("hard_drives",
                   f"{profile.name} has no storage Quality of Service: minimum and maximum "
                   "IOPS arrived with Windows Server 2012 R2.")
    if not feats.bandwidth_qos and any(n.min_mbit or n.max_mbit
                                       for n in cfg.network_adapters):
        errors.add("network_adapters",
                   f"{profile.name} has no bandwidth management: minimum and maximum "
                   "bandwidth arrived with Windows Server 2012.")


def max_vps(profile: HostProfile, generation: int, host_lps: int) -> int:
    return min(profile.limits.vps_per_vm.get(generation, 1), host_lps)


def check_config(
    errors: FieldErrors,
    cfg: VmConfig,
    profile: HostProfile,
    guest: GuestOs,
    host_lps: int,
    other_names: Container[str],
    switches: set[str] | None = None,
) -> None:
    """Record in ``errors`` every field outside what the profile allows."""
    name = errors.attempt(check_name, cfg.name, VM_NAME) or cfg.name
    _check_texts(errors, cfg)
    if name_key(name) in other_names:
        errors.add(
            "name", f"A virtual machine named '{name}' already exists on this host."
        )
    if cfg.generation not in profile.generations:
        allowed = " or ".join(str(g) for g in profile.generations)
        errors.add(
            "generation", f"{profile.name} supports generation {allowed} virtual machines only."
        )
    if cfg.generation not in guest.generations:
        errors.add(
            "guest_os", f"{guest.name} cannot run in a generation {cfg.generation} virtual machine."
        )
    if cfg.guest_is_installed and not guest.has_integration_services:
        errors.add(
            "guest_is_installed", f"Integration services do not exist for {guest.name}."
        )

    ram_max = profile.limits.ram_per_vm_mb.get(cfg.generation, 0)
    errors.attempt(whole, "memory_startup_mb", "Startup RAM", cfg.memory_startup_mb, MIN_RAM_MB,
                   ram_max, "MB")
    if cfg.memory_startup_mb % PAGE_MB:
        errors.add(
            "memory_startup_mb", f"Startup RAM must be a multiple of {PAGE_MB} MB."
        )
    if cfg.dynamic_memory_enabled:
        if not profile.features.dynamic_memory:
            errors.add(
                "dynamic_memory_enabled", f"{profile.name} does not support Dynamic Memory."
            )
        errors.attempt(whole,
            "memory_minimum_mb",
            "Minimum RAM",
            cfg.memory_minimum_mb,
            MIN_RAM_MB,
            cfg.memory_startup_mb,
            "MB",
        )
        errors.attempt(whole,
            "memory_maximum_mb",
            "Maximum RAM",
            cfg.memory_maximum_mb,
            cfg.memory_startup_mb,
            ram_max,
            "MB",
        )
        for fname, label in (
            ("memory_minimum_mb", "Minimum RAM"),
            ("memory_maximum_mb", "Maximum RAM"),
        ):
            if getattr(cfg, fname) % PAGE_MB:
                errors.add(fname, f"{label} must be a multiple of {PAGE_MB} MB.")
    _ranged(errors, cfg, "memory_buffer_pct")
    _ranged(errors, cfg, "memory_weight")

    errors.attempt(whole,
        "cpu_count",
        "Number of virtual processors",
        cfg.cpu_count,
        1,
        max_vps(profile, cfg.generation, host_lps),
    )
    _ranged(errors, cfg, "cpu_reserve_pct")
    _ranged(errors, cfg, "cpu_limit_pct")
    if cfg.cpu_reserve_pct > cfg.cpu_limit_pct:
        errors.add(
            "cpu_reserve_pct",
            f"Virtual machine reserve ({cfg.cpu_reserve_pct}%) cannot be greater than the "
            f"virtual machine limit ({cfg.cpu_limit_pct}%).",
        )
    _ranged(errors, cfg, "cpu_weight")

    if len(cfg.notes) > 10000:
        errors.add("notes", "Notes must be 10,000 characters or fewer.")
    _ranged(errors, cfg, "automatic_start_delay_s")
    unknown = cfg.integration_services - set(INTEGRATION_SERVICES)
    if unknown:
        errors.add(
            "integration_services", f"Unknown integration services: {sorted(unknown)}."
        )
    _check_era(errors, cfg, profile)

    lim = profile.limits
    errors.attempt(whole, "scsi_controllers", "SCSI controllers", cfg.scsi_controllers, 0,
                   lim.scsi_controllers)
    for drive in cfg.hard_drives:
        if drive.controller == "IDE":
            if cfg.generation != 1:
                errors.add(
                    "hard_drives", "Generation 2 virtual machines have no IDE controllers."
                )
            errors.attempt(whole,
                "hard_drives",
                "IDE controller number",
                drive.controller_number,
                0,
                lim.ide_controllers - 1,
            )
            errors.attempt(whole,
                "hard_drives", "IDE location", drive.location, 0, lim.devices_per_ide_controller - 1
            )
        elif drive.controller == "SCSI":
            errors.attempt(whole,
                "hard_drives",
                "SCSI controller number",
                drive.controller_number,
                0,
                max(cfg.scsi_controllers - 1, 0),
            )
            if cfg.scsi_controllers == 0:
                errors.add("hard_drives", "The virtual machine has no SCSI controller.")
            errors.attempt(whole,
                "hard_drives",
                "SCSI location",
                drive.location,
                0,
                lim.devices_per_scsi_controller - 1,
            )
        else:
            errors.add("hard_drives", f"Unknown controller type '{drive.controller}'.")
    slots = [(d.controller, d.controller_number, d.location) for d in cfg.hard_drives]
    if len(slots) != len(set(slots)):
        errors.add(
            "hard_drives", "Two drives are attached at the same controller location."
        )
    for drive in cfg.hard_drives:
        errors.attempt(RANGES["min_iops"].check, drive.min_iops, "hard_drives")
        errors.attempt(RANGES["max_iops"].check, drive.max_iops, "hard_drives")
        if drive.max_iops and drive.min_iops > drive.max_iops:
            errors.add(
                "hard_drives", "Minimum IOPS cannot be greater than maximum IOPS."
            )
    for nic in cfg.network_adapters:
        if nic.vlan_id:
            errors.attempt(RANGES["vlan_id"].check, nic.vlan_id, "network_adapters")
        errors.attempt(RANGES["min_mbit"].check, nic.min_mbit, "network_adapters")
        errors.attempt(RANGES["max_mbit"].check, nic.max_mbit, "network_adapters")
        if nic.max_mbit and nic.min_mbit > nic.max_mbit:
            errors.add(
                "network_adapters",
                "Minimum bandwidth cannot be greater than maximum bandwidth.",
            )
        if nic.static_mac is not None and not _MAC.fullmatch(nic.static_mac):
            errors.add(
                "network_adapters",
                f"'{nic.static_mac}' is not a MAC address; use the form 00-15-5D-01-02-03.",
            )
        if nic.switch is not None and switches is not None and nic.switch not in switches:
            errors.add(
                "network_adapters", f"No virtual switch named '{nic.switch}' exists on this host."
            )
    legacy = sum(1 for n in cfg.network_adapters if n.legacy)
    synthetic = len(cfg.network_adapters) - legacy
    if legacy and cfg.generation != 1:
        errors.add(
            "network_adapters", "Generation 2 virtual machines have no legacy network adapters."
        )
    errors.attempt(whole, "network_adapters", "Legacy network adapters", legacy, 0, lim.legacy_nics)
    errors.attempt(whole, "network_adapters", "Network adapters", synthetic, 0, lim.synthetic_nics)
    if cfg.workload not in WORKLOADS:
        errors.add(
            "workload", f"Workload must be one of: {', '.join(WORKLOADS)}; not '{cfg.workload}'."
        )
    _ranged(errors, cfg, "workload_cpu_pct")
    _ranged(errors, cfg, "workload_disk_iops")
    _ranged(errors, cfg, "workload_net_mbit")
    _ranged(errors, cfg, "workload_dirty_pages")
    errors.attempt(check_name, cfg.group, GROUP_NAME)
    _check_firmware_and_media(errors, cfg)


def _ranged(errors: FieldErrors, cfg: VmConfig, name: str) -> None:
    """A setting whose range does not depend on the profile (:data:`RANGES`)."""
    errors.attempt(RANGES[name].check, getattr(cfg, name), name)


def _check_texts(errors: FieldErrors, cfg: VmConfig) -> None:
    """Every text of the configuration can be saved (hvlab.engine.names.check_text)."""
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, str):
            errors.attempt(check_text, f.name, f"'{f.name}'", value)
    for drive in cfg.hard_drives:
        errors.attempt(check_text, "hard_drives", "A drive's path", drive.path)
    for nic in cfg.network_adapters:
        for text in (nic.switch, nic.static_mac):
            if text is not None:
                errors.attempt(check_text, "network_adapters", "A network adapter's setting",
                               text)


def _check_firmware_and_media(errors: FieldErrors, cfg: VmConfig) -> None:
    kinds = BOOT_DEVICES.get(cfg.generation, ())
    if cfg.boot_order and sorted(cfg.boot_order) != sorted(kinds):
        errors.add(
            "boot_order", f"The boot order must list each of {', '.join(kinds)} exactly once."
        )
    for fname, label, ext in (
        ("dvd_path", "The DVD drive's image file", ".iso"),
        ("diskette_path", "The virtual floppy disk", ".vfd"),
    ):
        path = getattr(cfg, fname)
        if path and (path != path.strip() or not path.lower().endswith(ext)):
            errors.add(fname, f"{label} must be a {ext} file; '{path}' is not.")
    if cfg.diskette_path and cfg.generation != 1:
        errors.add(
            "diskette_path", "Generation 2 virtual machines have no diskette drive."
        )
    for number, fname in ((1, "com1_pipe"), (2, "com2_pipe")):
        pipe = getattr(cfg, fname)
        if pipe and not _PIPE.fullmatch(pipe):
            errors.add(
                fname,
                f"COM {number}: a named pipe has the form \\\\.\\pipe\\name or "
                f"\\\\server\\pipe\\name; '{pipe}' is not one.",
            )
