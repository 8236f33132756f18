"""Host profiles: the limits, features, words and hardware of one Hyper-V release, as data.

Profiles live in ``resources/profiles/*.json``.  A host starts from its profile's hardware and
may override it (``HostHardware`` is replaceable); the limits and hot-add rules stay the
profile's.  Which configuration fields may change while a VM runs is read from the profile's
``hot_add`` table, never decided in code.

A profile is also the one record of its era's words (:class:`ProfileWords`: "Snapshot" or
"Checkpoint", "Virtual Network Manager" or "Virtual Switch Manager", the out-of-memory
message) and capabilities (:class:`ProfileFeatures`): the console and ``hvctl`` both read
them, so they cannot disagree.  A profile may offer *options* (an update such as KB956710,
a Server Core installation): ``get_profile("ws2008+kb956710+core")`` is the base profile with
each option's overlay applied, and its ``id`` is that spec.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from hvlab.engine.errors import NotFoundError, look_up
from hvlab.engine.resources import resources_dir

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Record = TypeVar("_Record", bound="DataclassInstance")

#: Hot-add rule words used in the ``hot_add`` table of a profile.
#:  always   - may change in any state
#:  off      - only while the VM is Off
#:  decrease - while running, only downwards
#:  increase - while running, only upwards
#:  static   - while running only if dynamic memory is off
#:  gen2     - while running only on generation 2 VMs
HOT_ADD_RULES = ("always", "off", "decrease", "increase", "static", "gen2")


@dataclass(frozen=True)
class NumaNode:
    id: int
    ram_mb: int
    sockets: tuple[int, ...]


@dataclass(frozen=True)
class HostNic:
    name: str
    mbit_s: int


@dataclass(frozen=True)
class HostHardware:
    """The physical machine.  Replace fields to model a different server."""

    cpu_vendor: str
    cpu_model: str
    cpu_generation: str
    sockets: int
    cores_per_socket: int
    threads_per_core: int
    numa_nodes: tuple[NumaNode, ...]
    x64: bool
    virtualization_extensions: str
    virtualization_enabled: bool
    nx_enabled: bool
    storage_mb_per_s: int
    nics: tuple[HostNic, ...]
    cpu_ghz: float = 2.5

    @property
    def logical_processors(self) -> int:
        return self.sockets * self.cores_per_socket * self.threads_per_core

    @property
    def ram_mb(self) -> int:
        return sum(n.ram_mb for n in self.numa_nodes)

    def with_ram_gb(self, total_gb: int) -> HostHardware:
        """The same machine with ``total_gb`` GB spread evenly over its NUMA nodes."""
        count = len(self.numa_nodes)
        per_node, extra = divmod(total_gb * 1024, count)
        nodes = tuple(
            replace(n, ram_mb=per_node + (extra if i == 0 else 0))
            for i, n in enumerate(self.numa_nodes)
        )
        return replace(self, numa_nodes=nodes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cpu_vendor": self.cpu_vendor,
            "cpu_model": self.cpu_model,
            "cpu_generation": self.cpu_generation,
            "sockets": self.sockets,
            "cores_per_socket": self.cores_per_socket,
            "threads_per_core": self.threads_per_core,
            "numa_nodes": [
                {"id": n.id, "ram_mb": n.ram_mb, "sockets": list(n.sockets)}
                for n in self.numa_nodes
            ],
            "x64": self.x64,
            "virtualization_extensions": self.virtualization_extensions,
            "virtualization_enabled": self.virtualization_enabled,
            "nx_enabled": self.nx_enabled,
            "storage_mb_per_s": self.storage_mb_per_s,
            "nics": [{"name": n.name, "mbit_s": n.mbit_s} for n in self.nics],
            "cpu_ghz": self.cpu_ghz,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> HostHardware:
        return HostHardware(
            cpu_vendor=str(data["cpu_vendor"]),
            cpu_model=str(data["cpu_model"]),
            cpu_generation=str(data["cpu_generation"]),
            sockets=int(data["sockets"]),
            cores_per_socket=int(data["cores_per_socket"]),
            threads_per_core=int(data["threads_per_core"]),
            numa_nodes=tuple(
                NumaNode(int(n["id"]), int(n["ram_mb"]), tuple(int(s) for s in n["sockets"]))
                for n in data["numa_nodes"]
            ),
            x64=bool(data["x64"]),
            virtualization_extensions=str(data["virtualization_extensions"]),
            virtualization_enabled=bool(data["virtualization_enabled"]),
            nx_enabled=bool(data["nx_enabled"]),
            storage_mb_per_s=int(data["storage_mb_per_s"]),
            nics=tuple(HostNic(str(n["name"]), int(n["mbit_s"])) for n in data["nics"]),
            cpu_ghz=float(data.get("cpu_ghz", 2.5)),
        )


@dataclass(frozen=True)
class ProfileLimits:
    logical_processors: int
    host_ram_gb: int
    running_vms: int
    vps_per_vm: dict[int, int]
    ram_per_vm_mb: dict[int, int]
    vp_lp_ratio: int | None
    vps_per_host: int | None
    sockets: int | None
    checkpoints_per_vm: int
    ide_controllers: int
    devices_per_ide_controller: int
    scsi_controllers: int
    devices_per_scsi_controller: int
    synthetic_nics: int
    legacy_nics: int
    com_ports: int
    floppy_drives: int
    vhd_max_gb: int


@dataclass(frozen=True)
class ProfileFeatures:
    generation2: bool
    dynamic_memory: bool
    live_migration: bool
    quick_migration: bool
    failover_clustering: bool
    numa_spanning_setting: bool
    #: The Guest services integration service (Copy-VMFile), from 2012 R2.
    guest_services: bool
    #: Storage Quality of Service (minimum/maximum IOPS per virtual hard disk), from 2012 R2.
    storage_qos: bool
    #: Bandwidth management of a network adapter (minimum/maximum Mbps), from 2012.
    bandwidth_qos: bool
    #: A deleted checkpoint's differencing disk merges while the VM runs (2012); before,
    #: the merge waits until the VM is turned off.
    live_merge: bool
    #: Smart Paging for Dynamic Memory restarts (2012).
    smart_paging: bool
    #: Hyper-V Manager runs on the host itself (Full installation); a Server Core root is
    #: managed remotely only.
    local_management: bool


@dataclass(frozen=True)
class ProfileWords:
    """What the console and ``hvctl`` call things on this release, and its memory error."""

    checkpoint: str  # "Snapshot" (2008-2012) or "Checkpoint" (2012 R2+)
    checkpoints: str
    switch_manager: str  # "Virtual Network Manager" (2008, 2008 R2) or "Virtual Switch Manager"
    virtual_switch: str  # "virtual network" or "virtual switch"
    virtual_switches: str
    #: The settings page of the checkpoint folder: "Snapshot File Location" (2008, 2008 R2),
    #: "Checkpoint File Location" (2012 R2), "Checkpoints" (2016+).
    checkpoints_page: str
    #: Start refused for memory: the title, the lines under it and the event text; each may
    #: name ``{name}``, ``{ram}`` (startup RAM, MB), ``{vm_id}`` and (lines) ``{event}``.
    out_of_memory_title: str
    out_of_memory_lines: tuple[str, ...]
    out_of_memory_event: str

    def say(self, text: str) -> str:
        """``text`` written with the later releases' words, in this release's words:
        "Delete Checkpoint Subtree…" becomes "Delete Snapshot Subtree…" on 2008."""
        for later, ours in (
                ("Virtual Switch Manager", self.switch_manager),
                ("Virtual Switches", self.virtual_switches.title()),
                ("virtual switches", self.virtual_switches),
                ("Virtual Switch", self.virtual_switch.title()),
                ("virtual switch", self.virtual_switch),
                ("Checkpoints", self.checkpoints), ("checkpoints", self.checkpoints.lower()),
                ("Checkpoint", self.checkpoint), ("checkpoint", self.checkpoint.lower())):
            text = text.replace(later, ours)
        return text

    def out_of_memory(self, name: str, ram_mb: int, vm_id: str
                      ) -> tuple[str, list[str], str]:
        """The title, the lines and the event text of a Start refused for memory."""
        values = {"name": name, "ram": ram_mb, "vm_id": vm_id}
        event = self.out_of_memory_event.format(**values)
        lines = [line.format(event=event, **values) for line in self.out_of_memory_lines]
        return self.out_of_memory_title.format(**values), lines, event


@dataclass(frozen=True)
class ProfileOption:
    """Something applied on top of a base profile: an update or an installation choice."""

    id: str
    name: str  # appended to the profile's name, e.g. "with KB956710"
    description: str
    source: str
    overlay: dict[str, Any] = field(compare=False)


@dataclass(frozen=True)
class MemoryPolicy:
    """How much memory the hypervisor and the root partition keep (MB)."""

    hypervisor_mb: int
    root_reserve_base_mb: int
    root_reserve_per_gb_mb: int

    def root_reserve_mb(self, host_ram_mb: int) -> int:
        gb = host_ram_mb // 1024
        return self.root_reserve_base_mb + self.root_reserve_per_gb_mb * gb


@dataclass(frozen=True)
class IoCosts:
    """CPU cycles per I/O event on one generation of processors (see engine/sim/iomodel.py)."""

    exit_cycles: float  # one hypervisor intercept round trip
    worker_cycles_per_exit: float  # the worker process emulating a device, per intercept
    vsp_cycles_per_request: float  # a VSP in the root kernel, per synthetic request
    copy_cycles_per_kb: float
    emulated_exits_per_packet: float
    emulated_exits_per_disk_request: float
    synthetic_batch: float  # requests per VMBus interrupt under load


@dataclass(frozen=True)
class MigrationPolicy:
    """How the release live-migrates: at most ``max_passes`` pre-copy passes, and
    ``simultaneous`` live migrations a node takes part in at once by default (0 and 0 on
    releases without live migration)."""

    max_passes: int = 0
    simultaneous: int = 0


@dataclass(frozen=True)
class HostProfile:
    id: str
    name: str
    os_edition: str
    release: str
    configuration_version: str
    installation: str  # "Full" or "Server Core"
    limits: ProfileLimits
    features: ProfileFeatures
    hot_add: dict[str, str]
    memory: MemoryPolicy
    hardware: HostHardware
    io_costs: IoCosts
    words: ProfileWords
    #: The options this profile's base offers, and the ones applied here (in that order).
    available_options: tuple[ProfileOption, ...] = ()
    options: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    migration: MigrationPolicy = MigrationPolicy()

    @property
    def base_id(self) -> str:
        return self.id.split("+", 1)[0]

    @property
    def generations(self) -> tuple[int, ...]:
        return (1, 2) if self.features.generation2 else (1,)

    def hot_add_rule(self, config_field: str) -> str:
        return self.hot_add.get(config_field, "off")


def _limits(data: dict[str, Any]) -> ProfileLimits:
    return ProfileLimits(
        logical_processors=int(data["logical_processors"]),
        host_ram_gb=int(data["host_ram_gb"]),
        running_vms=int(data["running_vms"]),
        vps_per_vm={int(k): int(v) for k, v in data["vps_per_vm"].items()},
        ram_per_vm_mb={int(k): int(v) for k, v in data["ram_per_vm_mb"].items()},
        vp_lp_ratio=None if data.get("vp_lp_ratio") is None else int(data["vp_lp_ratio"]),
        vps_per_host=None if data.get("vps_per_host") is None else int(data["vps_per_host"]),
        sockets=None if data.get("sockets") is None else int(data["sockets"]),
        checkpoints_per_vm=int(data["checkpoints_per_vm"]),
        ide_controllers=int(data["ide_controllers"]),
        devices_per_ide_controller=int(data["devices_per_ide_controller"]),
        scsi_controllers=int(data["scsi_controllers"]),
        devices_per_scsi_controller=int(data["devices_per_scsi_controller"]),
        synthetic_nics=int(data["synthetic_nics"]),
        legacy_nics=int(data["legacy_nics"]),
        com_ports=int(data["com_ports"]),
        floppy_drives=int(data["floppy_drives"]),
        vhd_max_gb=int(data["vhd_max_gb"]),
    )


def _uniform(record: type[_Record], data: dict[str, Any], value: Callable[[Any], Any]) -> _Record:
    """A record whose fields are all of one type, read by its field names (other keys, such
    as a ``note``, are left alone)."""
    return record(**{f.name: value(data[f.name]) for f in fields(record)})


def _words(data: dict[str, Any]) -> ProfileWords:
    return ProfileWords(
        checkpoint=str(data["checkpoint"]), checkpoints=str(data["checkpoints"]),
        switch_manager=str(data["switch_manager"]), virtual_switch=str(data["virtual_switch"]),
        virtual_switches=str(data["virtual_switches"]),
        checkpoints_page=str(data["checkpoints_page"]),
        out_of_memory_title=str(data["out_of_memory"]["title"]),
        out_of_memory_lines=tuple(str(x) for x in data["out_of_memory"]["lines"]),
        out_of_memory_event=str(data["out_of_memory"]["event"]),
    )


def _options(data: dict[str, Any]) -> tuple[ProfileOption, ...]:
    return tuple(ProfileOption(str(key), str(o["name"]), str(o["description"]),
                               str(o["source"]), dict(o["overlay"]))
                 for key, o in data.get("options", {}).items())


def _features(data: dict[str, Any], migration: MigrationPolicy) -> ProfileFeatures:
    """The release's features.  The migration facts have one home, the ``migration`` block:
    live migration exists where it has pre-copy passes; Quick Migration is an operation of
    a failover cluster, so it exists where failover clustering does (docs/engine.md)."""
    derived = {"live_migration", "quick_migration"}
    if derived & set(data):
        raise ValueError(f"features {sorted(derived & set(data))} are derived from the "
                         "'migration' block and 'failover_clustering'; remove them")
    return _uniform(ProfileFeatures, dict(data, live_migration=migration.max_passes > 0,
                                          quick_migration=bool(data["failover_clustering"])),
                    bool)


def profile_from_dict(data: dict[str, Any]) -> HostProfile:
    if data.get("schema") != 1:
        raise ValueError(f"unsupported profile schema {data.get('schema')!r}")
    hot_add = {str(k): str(v) for k, v in data["hot_add"].items()}
    migration = _uniform(MigrationPolicy, data.get("migration", {"max_passes": 0,
                                                                 "simultaneous": 0}), int)
    for key, rule in hot_add.items():
        if rule not in HOT_ADD_RULES:
            raise ValueError(f"profile {data['id']}: hot_add rule {rule!r} for {key} is unknown")
    return HostProfile(
        id=str(data["id"]),
        name=str(data["name"]),
        os_edition=str(data["os_edition"]),
        release=str(data["release"]),
        configuration_version=str(data["configuration_version"]),
        installation=str(data["installation"]),
        limits=_limits(data["limits"]),
        features=_features(data["features"], migration),
        hot_add=hot_add,
        memory=_uniform(MemoryPolicy, data["memory"], int),
        hardware=HostHardware.from_dict(data["hardware"]),
        io_costs=_uniform(IoCosts, data["io_costs"], float),
        migration=migration,
        words=_words(data["vocabulary"]),
        available_options=_options(data),
        options=tuple(str(o) for o in data.get("applied_options", ())),
    )


def _overlaid(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overlay``'s values put in, nested objects merged key by key."""
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _overlaid(out[key], value)
        else:
            out[key] = value
    return out


@lru_cache(maxsize=1)
def _profile_data() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((resources_dir() / "profiles").glob("*.json")):
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
        found[str(data["id"])] = data
    return found


@lru_cache(maxsize=1)
def load_profiles() -> dict[str, HostProfile]:
    """Every base profile in ``resources/profiles``, by id, in release order."""
    found = [profile_from_dict(data) for data in _profile_data().values()]
    found.sort(key=lambda p: (p.release, p.id))
    return {p.id: p for p in found}


#: The most host RAM hvlab models, in GB: above every edition's cap.
MAX_HOST_RAM_GB = 65536


def widest(limit: Callable[[ProfileLimits], int]) -> int:
    """The largest value of a limit over every host profile: what a setting may be on some
    host (the host's own profile then checks it exactly)."""
    return max(limit(p.limits) for p in load_profiles().values())


def profile_choices() -> list[HostProfile]:
    """Every base profile, each followed by its options alone and together, in release
    order: what a lab may run (the console's choice of release)."""
    out: list[HostProfile] = []
    for base in load_profiles().values():
        out.append(base)
        keys = [o.id for o in base.available_options]
        for mask in range(1, 1 << len(keys)):
            out.append(get_profile("+".join([base.id, *(k for i, k in enumerate(keys)
                                                          if mask >> i & 1)])))
    return out


def get_profile(profile_id: str) -> HostProfile:
    """The profile ``profile_id``: a base id, or a base id with options joined by ``+``
    (``ws2008+kb956710``, ``ws2008+core``); options come out in the base's order."""
    base_id, *wanted = profile_id.strip().split("+")
    base = look_up(load_profiles(), base_id, "host profile", known="Known profiles")
    if not wanted:
        return base
    return _with_options(base.id, tuple(sorted(set(wanted))))


@lru_cache(maxsize=64)
def _with_options(base_id: str, wanted: tuple[str, ...]) -> HostProfile:
    base = load_profiles()[base_id]
    offered = {o.id: o for o in base.available_options}
    for key in wanted:
        if key not in offered:
            known = ", ".join(offered) or "none"
            raise NotFoundError(f"The host profile '{base_id}' has no option '{key}'.",
                                [f"Its options: {known}."])
    chosen = [o for o in base.available_options if o.id in wanted]
    data = _profile_data()[base_id]
    for option in chosen:
        data = _overlaid(data, option.overlay)
    data = dict(data, id="+".join([base_id, *(o.id for o in chosen)]),
                name=" ".join([str(data["name"]), *(o.name for o in chosen)]),
                applied_options=[o.id for o in chosen])
    return profile_from_dict(data)
