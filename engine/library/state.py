"""A lab as plain data and back: every bit of state a resumed lab needs to run on exactly.

``snapshot_lab`` turns a :class:`~hvlab.engine.vmms.lab.Lab` into JSON-ready dicts and
``restore_lab`` builds a new lab from them.  The restored lab is indistinguishable from the
original: the clock and step counter, the action queue with its sequence numbers, jobs,
every column of the per-VM table (slots included, so numpy sums add up in the same order),
each host's memory map and hypervisor partitions with their hypercall counters, and each
VM's runtime (lifecycle state, guest phase and pending boot step, saved state, console).
Advancing both by the same simulated time gives identical results.

This module knows nothing of files; :mod:`hvlab.engine.library.library` splits a snapshot into the
library's files.  ``KNOWN_ATTRIBUTES`` lists what is captured per engine class; a test fails
when an engine class grows an attribute this module does not know about yet.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import functools
import types
import typing
from collections import Counter, deque
from collections.abc import Iterable
from typing import Any

import numpy as np

from hvlab.engine.config import VmConfig
from hvlab.engine.events import Level, LogEntry
from hvlab.engine.guest import GuestPhase
from hvlab.engine.jobs import JobRecord, JobState
from hvlab.engine.lifecycle import VmState
from hvlab.engine.profiles import HostHardware, get_profile
from hvlab.engine.sim.clock import ActionQueue
from hvlab.engine.sim.hypervisor import Hypervisor, Partition, PartitionState, Privilege
from hvlab.engine.sim.memory import PAGE_MB, MemoryMap
from hvlab.engine.sim.vmtable import VmTable
from hvlab.engine.switches import MacPool, VirtualSwitch
from hvlab.engine.vmms import tables
from hvlab.engine.vmms.cluster import Fabric
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.lab import EVENT_LOG_KEEP, Lab
from hvlab.engine.vmms.migration import Migration
from hvlab.engine.vmms.runtime import CONSOLE_LINES, Checkpoint, SavedState, VmRuntime

Json = dict[str, Any]

#: Instance attributes captured for each engine class (``vars(obj)`` keys).  Anything else
#: is derived (the event bus) or must be added to the snapshot first, except the plain
#: scalars (int, float, bool, str, None) of a host or hypervisor, captured whatever their
#: name (counters and last-tick figures come and go as the engine grows).
KNOWN_ATTRIBUTES: dict[str, frozenset[str]] = {
    # ``history`` (the counters' 600 s ring buffers) is display data, not simulation
    # state: it is not saved, and the graphs start empty after a reopen.
    # ``devices``, ``_switch_index`` and ``switch_infos`` are derived from the VM
    # configurations and the hosts' switches, and rebuilt on restore.  ``files`` (worker
    # threads), ``disk_handles`` (open files), ``storage_root`` (the library's own
    # folder) and ``retired_files`` (deleted after the next commit) belong to the running
    # process, as do ``faults`` (a test author's, from the environment).  The
    # simulation's ``machines`` are the lab's hosts, and its handlers are registered again
    # by the restored lab's constructor.  A host's ``names`` indexes its VMs' names and is
    # rebuilt from ``vms``.
    "Lab": frozenset({"seed", "sim", "hosts", "jobs", "next_job_id", "vm_counter", "bus",
                      "event_log", "_switch_index", "files", "disk_handles", "storage_root",
                      "retired_files", "faults", "fabric", "migrations",
                      "finished_migrations"}),
    "Simulation": frozenset({"now_us", "step_index", "queue", "table", "history", "devices",
                             "switch_infos", "machines", "_handlers", "_every_second",
                             "_before_advance"}),
    "Host": frozenset({"lab", "id", "name", "index", "profile", "hardware", "pending_hardware",
                       "numa_spanning", "virtual_machine_path", "virtual_hard_disk_path",
                       "rebooting", "boot_count", "vms", "hypervisor", "blockers", "memory",
                       "root_cpu_lp", "net", "root_load_pct", "backup_running", "names",
                       "launch_type", "launch_type_next", "role_installed",
                       "role_installed_next"}),
    "Hypervisor": frozenset({"memory", "partitions", "_on_denied"}),
    "VmTable": frozenset({"capacity", "size", "_free", *VmTable._COLUMNS}),
}
#: Host attributes that are settings (host.json) or identity, not runtime scalars.
_HOST_FIXED = frozenset({"id", "name", "index", "numa_spanning", "virtual_machine_path",
                         "virtual_hard_disk_path", "root_load_pct", "backup_running"})


def is_scalar(value: object) -> bool:
    """A plain value captured generically.  None is not: an attribute that is None is
    either unset state (the constructor's None again on restore) or an empty cache."""
    return isinstance(value, (bool, int, float, str))

# -- hosts ------------------------------------------------------------------------------------


def host_settings(host: Host) -> Json:
    """What an administrator set on the host (``hosts/<id>/host.json``)."""
    return {
        "id": host.id,
        "name": host.name,
        "profile": host.profile.id,
        "hardware": host.hardware.to_dict(),
        "pending_hardware": (None if host.pending_hardware is None
                             else host.pending_hardware.to_dict()),
        "numa_spanning": host.numa_spanning,
        "root_load_pct": host.root_load_pct,
        "backup_running": host.backup_running,
        "virtual_machine_path": host.virtual_machine_path,
        "virtual_hard_disk_path": host.virtual_hard_disk_path,
        "switches": [sw.to_dict() for sw in host.net.switches.values()],
        "mac_range": [host.net.mac_pool.minimum, host.net.mac_pool.maximum],
    }


def _partition_to_dict(p: Partition) -> Json:
    out: Json = {}
    for f in dataclasses.fields(p):
        value = getattr(p, f.name)
        if isinstance(value, Privilege):
            value = int(value)
        elif isinstance(value, PartitionState):
            value = value.value
        elif isinstance(value, dict):
            value = dict(value)
        out[f.name] = value
    return out


def _partition_from_dict(d: Json) -> Partition:
    kw: Json = {}
    for f in dataclasses.fields(Partition):
        if f.name not in d:
            continue  # saved before the engine had it: the field's default
        value = d[f.name]
        if f.name == "privileges":
            value = Privilege(int(value))
        elif f.name == "state":
            value = PartitionState(value)
        elif isinstance(value, dict):
            value = Counter({str(k): int(v) for k, v in value.items()})
        kw[f.name] = value
    return Partition(**kw)


def host_runtime(host: Host) -> Json:
    """The host's live state: boot, memory map, hypervisor partitions and counters."""
    hv = host.hypervisor
    scalars = {k: v for k, v in vars(host).items() if k not in _HOST_FIXED and is_scalar(v)}
    return {
        "scalars": scalars,
        "blockers": list(host.blockers),
        "mac_leased": sorted(host.net.mac_pool.leased),
        "memory": host.memory.to_dict(),
        "hypervisor": None if hv is None else {
            "scalars": {k: v for k, v in vars(hv).items() if is_scalar(v)},
            "partitions": [_partition_to_dict(p) for p in hv.partitions.values()],
        },
    }


#: The host folders every host had before they defaulted to the lab's own.
OLD_DEFAULT_FOLDERS = frozenset({r"C:\ProgramData\Microsoft\Windows\Hyper-V",
                                 r"C:\Users\Public\Documents\Hyper-V\Virtual Hard Disks"})


def apply_host_settings(host: Host, settings: Json) -> None:
    """What ``host.json`` sets beyond identity and hardware: staged hardware, NUMA spanning,
    folders, virtual switches and the MAC range (a setting the file lacks keeps the
    host's own value)."""
    pending = settings.get("pending_hardware")
    host.pending_hardware = None if pending is None else HostHardware.from_dict(pending)
    host.numa_spanning = bool(settings.get("numa_spanning", host.numa_spanning))
    host.root_load_pct = int(settings.get("root_load_pct", host.root_load_pct))
    host.backup_running = bool(settings.get("backup_running", host.backup_running))
    # Libraries of earlier builds stored Hyper-V's Windows defaults even where they name no
    # folder of this platform: read as "the lab's own folders" (vm_files.host_folders).
    folders = [str(settings.get(key, getattr(host, key))) for key in
               ("virtual_machine_path", "virtual_hard_disk_path")]
    host.virtual_machine_path, host.virtual_hard_disk_path = (
        "" if folder in OLD_DEFAULT_FOLDERS else folder for folder in folders)
    # Virtual switches and the MAC pool (absent from files of builds before networking).
    if "switches" in settings:
        host.net.switches = {}
        for d in settings["switches"]:
            sw = VirtualSwitch.from_dict(d)
            host.net.switches[sw.name] = sw
    if "mac_range" in settings:
        host.net.mac_pool = MacPool(*settings["mac_range"])


def _restore_host(lab: Lab, index: int, settings: Json, runtime: Json) -> Host:
    profile = get_profile(str(settings["profile"]))
    host = Host(lab, str(settings["id"]), str(settings["name"]), index, profile,
                HostHardware.from_dict(settings["hardware"]), boot=False)
    apply_host_settings(host, settings)
    host.net.mac_pool.leased = {str(m) for m in runtime.get("mac_leased", [])}
    # Counters and flags (boot_count, rebooting, CPU figures of the last tick ...).  One
    # the file does not have (saved by an older build) keeps the constructor's value.
    for name, value in runtime["scalars"].items():
        if name in vars(host) and is_scalar(getattr(host, name)) and name not in _HOST_FIXED:
            setattr(host, name, value)
    host.blockers = [str(b) for b in runtime["blockers"]]
    host.memory = MemoryMap.from_dict(runtime["memory"])
    hv_data = runtime["hypervisor"]
    if hv_data is None:
        host.hypervisor = None
    else:
        # Built on a scratch map with nothing to allocate (the restored map already holds
        # the hypervisor's and the root's memory), then given the saved partitions.
        hv = Hypervisor(MemoryMap({0: PAGE_MB}), 0, 0, on_denied=host.on_hypercall_denied)
        hv.memory = host.memory
        hv.partitions = {}
        for p in hv_data["partitions"]:
            part = _partition_from_dict(p)
            hv.partitions[part.id] = part
        for name, value in hv_data["scalars"].items():
            if name in vars(hv) and is_scalar(getattr(hv, name)):
                setattr(hv, name, value)
        host.hypervisor = hv
    return host


# -- VMs --------------------------------------------------------------------------------------

_RUNTIME_FIELDS = tuple(f.name for f in dataclasses.fields(VmRuntime) if f.name != "config")


def _copied(value: Any) -> Any:
    """A copy of JSON-like ``value`` that shares nothing the engine may change (dictionaries
    and lists copied all the way down, as ``copy.deepcopy`` would, at a fraction of its
    cost; anything else is deep-copied)."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return copy.deepcopy(value)


def vm_runtime(vm: VmRuntime, cache: SnapshotCache | None = None) -> Json:
    """A VM's live record without its configuration (``vms/<id>/runtime.json``)."""
    out: Json = {}
    for name in _RUNTIME_FIELDS:
        value = getattr(vm, name)
        if name == "console":
            value = [[t, line] for t, line in value] if cache is None else cache.console(vm)
        elif isinstance(value, VmState):
            value = value.value
        elif isinstance(value, GuestPhase):
            value = int(value)
        elif isinstance(value, SavedState):
            value = value.to_dict()
        elif name == "checkpoints":
            value = [cp.to_dict() for cp in value]
        elif isinstance(value, dict | list):
            # The record must not share lists the engine keeps appending to.
            value = _copied(value)
        out[name] = value
    return out


_RUNTIME_HINTS = typing.get_type_hints(VmRuntime)
#: The largest number a runtime field may hold (a noise key is an unsigned 64-bit value).
_LIMIT = 2**64


@functools.cache
def _shape(hint: Any) -> tuple[str, Any]:
    """What kind of check ``hint`` asks for, worked out once per hint (restoring 1,024 VMs
    asks for the same few hints tens of thousands of times)."""
    if hint is Any:
        return "any", None
    if hint is type(None):
        return "none", None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return "union", typing.get_args(hint)
    if hint in (int, float):
        return "number", hint
    if hint in (bool, str):
        return "type", hint
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "enum", frozenset(m.value for m in hint)
    if origin in (dict, list, deque) or hint in (dict, list):
        return "type", dict if (origin or hint) is dict else list
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):  # kept as its to_dict()
        return "type", dict
    return "any", None


def _fits(value: object, hint: Any) -> bool:
    """Whether JSON ``value`` can stand for a field of type ``hint`` (enums by value)."""
    kind, detail = _shape(hint)
    if kind == "any":
        return True
    if kind == "none":
        return value is None
    if kind == "union":
        return any(_fits(value, arg) for arg in detail)
    if kind == "number":
        return (isinstance(value, int) or (detail is float and isinstance(value, float))) \
            and not isinstance(value, bool) and -_LIMIT < value < _LIMIT
    if kind == "enum":
        return value in detail
    return isinstance(value, detail)


def runtime_problem(runtime: Json) -> str | None:
    """Why a VM's runtime record (as read from a file) does not fit the engine's fields, or
    None: a field of the wrong type or out of range would fail later, far from the file."""
    for name in ("slot", "key"):
        if not _fits(runtime.get(name), int) or runtime[name] < 0:
            return f"its '{name}' is not valid"
    if runtime["slot"] >= 2**31:
        return "its 'slot' is not valid"
    for name in _RUNTIME_FIELDS:
        if name in runtime and not _fits(runtime[name], _RUNTIME_HINTS[name]):
            return f"its '{name}' is not valid"
    console = runtime.get("console", [])
    if not all(isinstance(e, list) and len(e) == 2 and _fits(e[0], int) for e in console):
        return "its console is not valid"
    return None


def runtime_field(name: str, value: Any) -> Any:
    """A runtime field's JSON value (``vm_runtime``'s form) as the engine keeps it."""
    if name == "console":
        return deque(((int(t), str(line)) for t, line in value), maxlen=CONSOLE_LINES)
    if name in ("state", "state_before_job"):
        return None if value is None else VmState(value)
    if name == "phase":
        return GuestPhase(int(value))
    if name == "saved_state" and value is not None:
        return SavedState.from_dict(value)
    if name == "checkpoints":
        return [Checkpoint.from_dict(cp) for cp in value]
    return value


def restore_vm(config: VmConfig, runtime: Json) -> VmRuntime:
    vm = VmRuntime(config, int(runtime["slot"]), int(runtime["key"]))
    for name in _RUNTIME_FIELDS:
        if name in ("slot", "key") or name not in runtime:
            continue
        setattr(vm, name, runtime_field(name, runtime[name]))
    return vm


# -- the per-VM table --------------------------------------------------------------------------


def table_to_dict(table: VmTable) -> Json:
    n = table.size
    return {
        "capacity": table.capacity,
        "size": n,
        "free": list(table._free),
        "columns": {name: getattr(table, name)[:n].tolist() for name in VmTable._COLUMNS},
    }


def table_from_dict(d: Json) -> VmTable:
    """The table as saved.  A column the file lacks (saved before the engine had it) stays
    zero here; the configuration-derived ones are refilled by :func:`restore_lab`."""
    table = VmTable(int(d["capacity"]))
    n = int(d["size"])
    for name in VmTable._COLUMNS:
        column = getattr(table, name)
        values = d["columns"].get(name)
        if values is None:
            continue
        if len(values) != n:
            raise ValueError(f"table column {name} has {len(values)} rows, expected {n}")
        column[:n] = np.array(values, dtype=column.dtype)
    table.size = n
    table._free = [int(s) for s in d["free"]]
    return table


# -- the lab ---------------------------------------------------------------------------------


class SnapshotCache:
    """What a library's commits convert again only when it changed: each VM's
    configuration as data (a configuration is immutable: a change replaces the object)
    and its console lines (only ever appended, each counted by ``console_serial``).  The
    records are shared between snapshots: never to be changed."""

    def __init__(self) -> None:
        self.configs: dict[str, tuple[VmConfig, Json]] = {}
        self.consoles: dict[str, tuple[object, int, list[list[Any]]]] = {}

    def config(self, vm: VmRuntime) -> Json:
        kept = self.configs.get(vm.id)
        if kept is None or kept[0] is not vm.config:
            kept = self.configs[vm.id] = (vm.config, vm.config.to_dict())
        return kept[1]

    def console(self, vm: VmRuntime) -> list[list[Any]]:
        kept = self.consoles.get(vm.id)
        if kept is None or kept[0] is not vm.console or kept[1] != vm.console_serial:
            kept = self.consoles[vm.id] = (vm.console, vm.console_serial,
                                           [[t, line] for t, line in vm.console])
        return kept[2]

    def keep_only(self, vm_ids: set[str]) -> None:
        for table in (self.configs, self.consoles):
            for gone in table.keys() - vm_ids:
                del table[gone]


def snapshot_lab(lab: Lab, cache: SnapshotCache | None = None) -> Json:
    """Everything needed to resume ``lab`` exactly, as JSON-ready data.

    Hosts carry ``settings`` and ``runtime``; each VM carries ``config``
    (:meth:`VmConfig.to_dict`) and ``runtime``.  The event log is not included: the
    library keeps it in SQLite and hands the recent entries back to :func:`restore_lab`.
    ``cache`` (a library's, kept between its commits) saves converting what did not
    change since; the records it gives are shared with it.
    """
    return {
        "seed": lab.seed,
        "now_us": lab.sim.now_us,
        "step_index": lab.sim.step_index,
        "vm_counter": lab.vm_counter,
        "next_job": lab.next_job_id,
        "queue": lab.sim.queue.to_dict(),
        "jobs": [j.to_dict() for j in lab.jobs.values()],
        "table": table_to_dict(lab.sim.table),
        "fabric": lab.fabric.to_dict(),
        "migrations": [m.to_dict() for m in lab.migrations.values()],
        "finished_migrations": [m.to_dict() for m in lab.finished_migrations],
        "hosts": [
            {
                "settings": host_settings(h),
                "runtime": host_runtime(h),
                "vms": [{"config": v.config.to_dict() if cache is None else cache.config(v),
                         "runtime": vm_runtime(v, cache)}
                        for v in h.vms.values()],
            }
            for h in lab.hosts.values()
        ],
    }


def restore_lab(snapshot: Json, events: Iterable[LogEntry] = ()) -> Lab:
    """Build a new lab from :func:`snapshot_lab` output (and the recent event log).

    Raises ``KeyError``/``ValueError`` (or the engine's ``NotFoundError`` for an unknown
    host profile) on malformed data; the library turns those into messages.
    """
    lab = Lab(int(snapshot["seed"]))
    lab.sim.now_us = int(snapshot["now_us"])
    lab.sim.step_index = int(snapshot["step_index"])
    lab.vm_counter = int(snapshot["vm_counter"])
    lab.next_job_id = int(snapshot["next_job"])
    lab.sim.queue = ActionQueue.from_dict(snapshot["queue"])
    lab.sim.table = table_from_dict(snapshot["table"])
    for j in snapshot["jobs"]:
        job = JobRecord.from_dict(j)
        lab.jobs[job.id] = job
    # The cluster and its migrations (absent from files of builds before clustering).
    lab.fabric = Fabric.from_dict(snapshot.get("fabric", {}))
    for m in snapshot.get("migrations", []):
        record = Migration.from_dict(m)
        lab.migrations[record.job_id] = record
    lab.finished_migrations = [Migration.from_dict(m)
                               for m in snapshot.get("finished_migrations", [])]
    for index, h in enumerate(snapshot["hosts"]):
        host = _restore_host(lab, index, h["settings"], h["runtime"])
        lab.attach_host(host)
        for v in h["vms"]:
            vm = restore_vm(VmConfig.from_dict(v["config"]), v["runtime"])
            host.vms[vm.id] = vm
    # The table columns and device rows copied from the configurations, recomputed as the
    # engine does on every change: identical values, complete for a file of an older build.
    lab.switches_changed()
    lab.sim.refresh_derived()
    lab.event_log = deque(events, maxlen=EVENT_LOG_KEEP)
    _end_interrupted_file_jobs(lab)
    return lab


#: Why a file job saved while running reads Cancelled when its lab is read back.
INTERRUPTED = ("The operation was interrupted: hvlab stopped before it finished, and what it "
               "had written was not kept.")


def _end_interrupted_file_jobs(lab: Lab) -> None:
    """A file job (disk work on a worker thread) that a snapshot holds as running has no
    worker in the lab read back: it could never finish. It reads Cancelled, as a Cancel
    leaves it, and its VM takes requests again. (A clean close cancels such jobs first;
    this is the path of a crash or a kill between two commits.)"""
    vms = {vm.id: vm for host in lab.hosts.values() for vm in host.vms.values()}
    for job in lab.jobs.values():
        if job.state is JobState.RUNNING and job.on_worker:
            job.state, job.error, job.finished_us = JobState.CANCELLED, INTERRUPTED, lab.sim.now_us
            vm = vms.get(job.vm_id)
            if vm is not None and vm.job_id == job.id:
                vm.job_id = None


def attach_vm_off(lab: Lab, host: Host, config: VmConfig, key: int) -> VmRuntime:
    """Add a VM, Off, whose runtime was lost (its configuration survived)."""
    slot = lab.sim.table.add(key, host.index)
    vm = VmRuntime(config, slot, key)
    tables.sync_table(host, vm)
    host.vms[vm.id] = vm
    return vm


def log_entry_from_row(row: tuple[Any, ...]) -> LogEntry:
    """(time_us, channel, event_id, level, message, host_id, vm_id, vm_name) -> LogEntry."""
    time_us, channel, event_id, level, message, host_id, vm_id, vm_name = row
    return LogEntry(int(time_us), str(channel), int(event_id), Level(level), str(message),
                    str(host_id), str(vm_id), str(vm_name))
