"""The one door into the engine: everything a client (the console, ``hvctl``, a script, a
test of the whole) may use, and nothing else.

``__all__`` is the whole client surface: the facade (:class:`ManagementApi`), opening a
library (:func:`open_library`), every record, enum and event a client reads, the errors it
catches, and the catalogues it offers to users.  Clients import from here only; a contract in
``make lint`` (import-linter, see pyproject.toml) fails when one imports another engine module.

Names load on first use (PEP 562): the console paints its first window importing only the
few light names it needs (``resources_dir``), and ``hvctl --help`` loads no simulation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# hvlab's version (pyproject.toml reads it from engine/__init__.py): Help ▸ About, --version.
from hvlab.engine import __version__ as __version__
from hvlab.engine import lazy

# isort: off
if TYPE_CHECKING:  # each name re-exported explicitly, for type checkers
    from hvlab.engine.api.cluster_records import (
        ClusterInfo as ClusterInfo,
        ClusterNodeInfo as ClusterNodeInfo,
        MigrationInfo as MigrationInfo,
        NetworkInfo as NetworkInfo,
        SharedStorageInfo as SharedStorageInfo,
    )
    from hvlab.engine.api.demo import (
        populate_demo as populate_demo,
    )
    from hvlab.engine.api.labs import (
        build_lab as build_lab,
        lab_names as lab_names,
        LabDefinition as LabDefinition,
        load_lab_definition as load_lab_definition,
    )
    from hvlab.engine.api.library import (
        AUTOSAVE_SECONDS as AUTOSAVE_SECONDS,
        Library as Library,
        LibraryError as LibraryError,
        LibraryLockedError as LibraryLockedError,
        default_library_path as default_library_path,
        is_library as is_library,
        open_library as open_library,
    )
    from hvlab.engine.api.listing import (
        committed_vm_list as committed_vm_list,
        VmListRow as VmListRow,
    )
    from hvlab.engine.api.management import (
        ManagementApi as ManagementApi,
        restore_state as restore_state,
    )
    from hvlab.engine.api.proxy import (
        ApiProxy as ApiProxy,
        ClockTick as ClockTick,
        EngineThread as EngineThread,
        InMemory as InMemory,
        Transport as Transport,
    )
    from hvlab.engine.api.snapshots import (
        LabState as LabState,
    )
    from hvlab.engine.api.surface import (
        ApiObserver as ApiObserver,
        CallKind as CallKind,
        declared_calls as declared_calls,
    )
    from hvlab.engine.api.timeline import (
        Moment as Moment,
        TimelineFigures as TimelineFigures,
    )
    from hvlab.engine.api.types import (
        AdapterInfo as AdapterInfo,
        CheckpointInfo as CheckpointInfo,
        CounterSetInfo as CounterSetInfo,
        CounterValue as CounterValue,
        DeviceIoInfo as DeviceIoInfo,
        HostInfo as HostInfo,
        HypercallCounters as HypercallCounters,
        MemoryExtentInfo as MemoryExtentInfo,
        NumaNodeInfo as NumaNodeInfo,
        StartCheckInfo as StartCheckInfo,
        SwitchInfoView as SwitchInfoView,
        VmbusConnectionInfo as VmbusConnectionInfo,
        VmDiskInfo as VmDiskInfo,
        VmInfo as VmInfo,
        VmTableSnapshot as VmTableSnapshot,
    )
    from hvlab.engine.bounds import (
        library_folder as library_folder,
        MAX_ADVANCE_SECONDS as MAX_ADVANCE_SECONDS,
        MAX_CLOCK_SECONDS as MAX_CLOCK_SECONDS,
        MAX_CLOCK_SPEED as MAX_CLOCK_SPEED,
        Number as Number,
        real as real,
        SEED as SEED,
        whole as whole,
    )
    from hvlab.engine.sim.clock import (
        seconds_to_us as seconds_to_us,
        US_PER_S as US_PER_S,
        us_to_seconds as us_to_seconds,
    )
    from hvlab.engine.config import (
        BOOT_DEVICES as BOOT_DEVICES,
        EDITABLE_FIELDS as EDITABLE_FIELDS,
        HardDrive as HardDrive,
        MIN_RAM_MB as MIN_RAM_MB,
        NetworkAdapter as NetworkAdapter,
        RANGES as RANGES,
        StartAction as StartAction,
        StopAction as StopAction,
        VmConfig as VmConfig,
    )
    from hvlab.engine.sim.counters import (
        COUNTERS as COUNTERS,
        HOST_SERIES as HOST_SERIES,
        SET_VP as SET_VP,
        VM_SERIES as VM_SERIES,
    )
    from hvlab.engine.devices import (
        Channel as Channel,
        Device as Device,
    )
    from hvlab.engine.fabric import (
        NETWORKS as NETWORKS,
        STORAGE as STORAGE,
    )
    from hvlab.engine.errors import (
        AccessDeniedError as AccessDeniedError,
        HvError as HvError,
        HypervisorNotRunningError as HypervisorNotRunningError,
        InvalidStateError as InvalidStateError,
        NotFoundError as NotFoundError,
        NotSupportedError as NotSupportedError,
        OutOfMemoryError as OutOfMemoryError,
        ResourceLimitError as ResourceLimitError,
        ValidationError as ValidationError,
    )
    from hvlab.engine.events import (
        EngineEvent as EngineEvent,
        HostChanged as HostChanged,
        JobChanged as JobChanged,
        Level as Level,
        LogEntry as LogEntry,
        MAX_QUERY_ENTRIES as MAX_QUERY_ENTRIES,
        VmListChanged as VmListChanged,
        VmStateChanged as VmStateChanged,
    )
    from hvlab.engine.guests import (
        INTEGRATION_SERVICES as INTEGRATION_SERVICES,
        GuestOs as GuestOs,
        load_catalogue as load_catalogue,
    )
    from hvlab.engine.jobs import (
        Job as Job,
        JobState as JobState,
    )
    from hvlab.engine.lifecycle import (
        Operation as Operation,
        VmState as VmState,
    )
    from hvlab.engine.profiles import (
        HostProfile as HostProfile,
        load_profiles as load_profiles,
        MAX_HOST_RAM_GB as MAX_HOST_RAM_GB,
        profile_choices as profile_choices,
        widest as widest,
    )
    from hvlab.engine.resources import (
        resources_dir as resources_dir,
    )
    from hvlab.engine.storage import (
        MAX_DISK_SIZE as MAX_DISK_SIZE,
        DiskType as DiskType,
        VhdInfo as VhdInfo,
    )
    from hvlab.engine.workloads import (
        WORKLOADS as WORKLOADS,
    )
# isort: on

#: Where each public name is defined (loaded from there on first use).
_HOMES: dict[str, str] = {
    **dict.fromkeys(("ClusterInfo", "ClusterNodeInfo", "MigrationInfo", "NetworkInfo",
                     "SharedStorageInfo"), "hvlab.engine.api.cluster_records"),
    **dict.fromkeys(("NETWORKS", "STORAGE"), "hvlab.engine.fabric"),
    "populate_demo": "hvlab.engine.api.demo",
    **dict.fromkeys(("AUTOSAVE_SECONDS", "Library", "LibraryError", "LibraryLockedError",
                     "default_library_path", "is_library", "open_library"),
                    "hvlab.engine.api.library"),
    **dict.fromkeys(("LabDefinition", "build_lab", "lab_names", "load_lab_definition"),
                    "hvlab.engine.api.labs"),
    **dict.fromkeys(("VmListRow", "committed_vm_list"), "hvlab.engine.api.listing"),
    **dict.fromkeys(("ManagementApi", "restore_state"), "hvlab.engine.api.management"),
    **dict.fromkeys(("ApiProxy", "ClockTick", "EngineThread", "InMemory", "Transport"),
                    "hvlab.engine.api.proxy"),
    "LabState": "hvlab.engine.api.snapshots",
    **dict.fromkeys(("ApiObserver", "CallKind", "declared_calls"), "hvlab.engine.api.surface"),
    **dict.fromkeys(("Moment", "TimelineFigures"), "hvlab.engine.api.timeline"),
    **dict.fromkeys(("AdapterInfo", "CheckpointInfo", "CounterSetInfo", "CounterValue",
                     "DeviceIoInfo", "HostInfo", "HypercallCounters", "MemoryExtentInfo",
                     "NumaNodeInfo", "StartCheckInfo", "SwitchInfoView", "VmbusConnectionInfo",
                     "VmDiskInfo", "VmInfo", "VmTableSnapshot"), "hvlab.engine.api.types"),
    **dict.fromkeys(("MAX_ADVANCE_SECONDS", "MAX_CLOCK_SECONDS", "MAX_CLOCK_SPEED", "SEED",
                     "Number", "library_folder", "real", "whole"), "hvlab.engine.bounds"),
    **dict.fromkeys(("US_PER_S", "seconds_to_us", "us_to_seconds"), "hvlab.engine.sim.clock"),
    **dict.fromkeys(("BOOT_DEVICES", "EDITABLE_FIELDS", "HardDrive", "MIN_RAM_MB",
                     "NetworkAdapter", "RANGES", "StartAction", "StopAction", "VmConfig"),
                    "hvlab.engine.config"),
    **dict.fromkeys(("COUNTERS", "HOST_SERIES", "SET_VP", "VM_SERIES"),
                    "hvlab.engine.sim.counters"),
    **dict.fromkeys(("Channel", "Device"), "hvlab.engine.devices"),
    **dict.fromkeys(("AccessDeniedError", "HvError", "HypervisorNotRunningError",
                     "InvalidStateError", "NotFoundError", "NotSupportedError",
                     "OutOfMemoryError", "ResourceLimitError", "ValidationError"),
                    "hvlab.engine.errors"),
    **dict.fromkeys(("EngineEvent", "HostChanged", "JobChanged", "Level", "LogEntry",
                     "MAX_QUERY_ENTRIES", "VmListChanged", "VmStateChanged"),
                    "hvlab.engine.events"),
    **dict.fromkeys(("INTEGRATION_SERVICES", "GuestOs", "load_catalogue"), "hvlab.engine.guests"),
    **dict.fromkeys(("Job", "JobState"), "hvlab.engine.jobs"),
    **dict.fromkeys(("Operation", "VmState"), "hvlab.engine.lifecycle"),
    **dict.fromkeys(("HostProfile", "MAX_HOST_RAM_GB", "load_profiles", "profile_choices",
                     "widest"),
                    "hvlab.engine.profiles"),
    "resources_dir": "hvlab.engine.resources",
    **dict.fromkeys(("MAX_DISK_SIZE", "DiskType"), "hvlab.engine.storage.vhd_format"),
    "VhdInfo": "hvlab.engine.storage.disk_ops",
    "WORKLOADS": "hvlab.engine.workloads",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    return lazy.load(__name__, _HOMES, name)


def __dir__() -> list[str]:
    return list(__all__)
