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

import importlib
from typing import TYPE_CHECKING, Any

# hvlab's version (pyproject.toml reads it from engine/__init__.py): Help ▸ About, --version.
from engine import __version__ as __version__

# isort: off
if TYPE_CHECKING:  # each name re-exported explicitly, for type checkers
    from engine.api.demo import (
        populate_demo as populate_demo,
    )
    from engine.api.library import (
        AUTOSAVE_SECONDS as AUTOSAVE_SECONDS,
        Library as Library,
        LibraryError as LibraryError,
        LibraryLockedError as LibraryLockedError,
        default_library_path as default_library_path,
        open_library as open_library,
    )
    from engine.api.management import (
        ManagementApi as ManagementApi,
    )
    from engine.api.surface import (
        ApiObserver as ApiObserver,
        CallKind as CallKind,
        declared_calls as declared_calls,
    )
    from engine.api.types import (
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
        VmDiskInfo as VmDiskInfo,
        VmInfo as VmInfo,
        VmTableSnapshot as VmTableSnapshot,
    )
    from engine.config import (
        BOOT_DEVICES as BOOT_DEVICES,
        EDITABLE_FIELDS as EDITABLE_FIELDS,
        HardDrive as HardDrive,
        NetworkAdapter as NetworkAdapter,
        StartAction as StartAction,
        StopAction as StopAction,
        VmConfig as VmConfig,
    )
    from engine.counters import (
        COUNTERS as COUNTERS,
        HOST_SERIES as HOST_SERIES,
        SET_VP as SET_VP,
        VM_SERIES as VM_SERIES,
    )
    from engine.devices import (
        Channel as Channel,
        Device as Device,
    )
    from engine.errors import (
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
    from engine.events import (
        EngineEvent as EngineEvent,
        HostChanged as HostChanged,
        JobChanged as JobChanged,
        Level as Level,
        LogEntry as LogEntry,
        VmListChanged as VmListChanged,
        VmStateChanged as VmStateChanged,
    )
    from engine.guests import (
        INTEGRATION_SERVICES as INTEGRATION_SERVICES,
        GuestOs as GuestOs,
        load_catalogue as load_catalogue,
    )
    from engine.jobs import (
        Job as Job,
        JobState as JobState,
    )
    from engine.lifecycle import (
        Operation as Operation,
        VmState as VmState,
    )
    from engine.profiles import (
        HostProfile as HostProfile,
        load_profiles as load_profiles,
    )
    from engine.resources import (
        resources_dir as resources_dir,
    )
    from engine.storage import (
        MAX_DISK_SIZE as MAX_DISK_SIZE,
        DiskType as DiskType,
        VhdInfo as VhdInfo,
    )
    from engine.workloads import (
        WORKLOADS as WORKLOADS,
    )
# isort: on

#: Where each public name is defined (loaded from there on first use).
_HOMES: dict[str, str] = {
    "populate_demo": "engine.api.demo",
    **dict.fromkeys(("AUTOSAVE_SECONDS", "Library", "LibraryError", "LibraryLockedError",
                     "default_library_path", "open_library"), "engine.api.library"),
    "ManagementApi": "engine.api.management",
    **dict.fromkeys(("ApiObserver", "CallKind", "declared_calls"), "engine.api.surface"),
    **dict.fromkeys(("AdapterInfo", "CheckpointInfo", "CounterSetInfo", "CounterValue",
                     "DeviceIoInfo", "HostInfo", "HypercallCounters", "MemoryExtentInfo",
                     "NumaNodeInfo", "StartCheckInfo", "SwitchInfoView", "VmDiskInfo", "VmInfo",
                     "VmTableSnapshot"), "engine.api.types"),
    **dict.fromkeys(("BOOT_DEVICES", "EDITABLE_FIELDS", "HardDrive", "NetworkAdapter",
                     "StartAction", "StopAction", "VmConfig"), "engine.config"),
    **dict.fromkeys(("COUNTERS", "HOST_SERIES", "SET_VP", "VM_SERIES"), "engine.counters"),
    **dict.fromkeys(("Channel", "Device"), "engine.devices"),
    **dict.fromkeys(("AccessDeniedError", "HvError", "HypervisorNotRunningError",
                     "InvalidStateError", "NotFoundError", "NotSupportedError",
                     "OutOfMemoryError", "ResourceLimitError", "ValidationError"),
                    "engine.errors"),
    **dict.fromkeys(("EngineEvent", "HostChanged", "JobChanged", "Level", "LogEntry",
                     "VmListChanged", "VmStateChanged"), "engine.events"),
    **dict.fromkeys(("INTEGRATION_SERVICES", "GuestOs", "load_catalogue"), "engine.guests"),
    **dict.fromkeys(("Job", "JobState"), "engine.jobs"),
    **dict.fromkeys(("Operation", "VmState"), "engine.lifecycle"),
    **dict.fromkeys(("HostProfile", "load_profiles"), "engine.profiles"),
    "resources_dir": "engine.resources",
    **dict.fromkeys(("MAX_DISK_SIZE", "DiskType", "VhdInfo"), "engine.storage"),
    "WORKLOADS": "engine.workloads",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return list(__all__)
