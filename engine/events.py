"""Plain event records the engine publishes, and the event log.

Subscribers are callables that receive one record.  The GUI's bridge turns them into Qt
signals; the library writes :class:`LogEntry` records to its SQLite event log.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hvlab.engine import bounds


class Level(enum.StrEnum):
    INFORMATION = "Information"
    WARNING = "Warning"
    ERROR = "Error"
    CRITICAL = "Critical"


#: The most entries one query returns (``last``): far more than a lab writes.
MAX_QUERY_ENTRIES = 1_000_000_000


def check_query(since_seconds: float | None, last: int | None) -> tuple[float | None, int | None]:
    """An event log query's numbers, checked: ``since_seconds`` a simulated time (0 to a
    simulated century), ``last`` a count (0: no limit)."""
    if since_seconds is not None:
        since_seconds = bounds.real("since_seconds", "The start time", since_seconds, 0,
                                    bounds.MAX_CLOCK_SECONDS, "s")
    if last is not None:
        last = bounds.whole("last", "The number of entries", last, 0, MAX_QUERY_ENTRIES)
    return since_seconds, last


@dataclass(frozen=True)
class LogEntry:
    """One event log record, shaped like a Windows event (channel, id, level, message)."""

    time_us: int
    channel: str
    event_id: int
    level: Level
    message: str
    host_id: str = ""
    vm_id: str = ""
    vm_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_us": self.time_us,
            "channel": self.channel,
            "event_id": self.event_id,
            "level": self.level.value,
            "message": self.message,
            "host_id": self.host_id,
            "vm_id": self.vm_id,
            "vm_name": self.vm_name,
        }


@dataclass(frozen=True)
class VmStateChanged:
    time_us: int
    host_id: str
    vm_id: str
    name: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True)
class VmListChanged:
    """A VM was created, deleted, renamed or reconfigured."""

    time_us: int
    host_id: str
    vm_id: str
    change: str  # "added", "removed", "config"


@dataclass(frozen=True)
class JobChanged:
    time_us: int
    job_id: int
    state: str
    percent: int


@dataclass(frozen=True)
class HostChanged:
    time_us: int
    host_id: str
    what: str


EngineEvent = LogEntry | VmStateChanged | VmListChanged | JobChanged | HostChanged
Subscriber = Callable[[EngineEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Register ``callback``; returns a function that unsubscribes it."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: EngineEvent) -> None:
        for cb in list(self._subscribers):
            cb(event)


# Event ids.  Those marked "documented" are Hyper-V's own (sources in docs/engine.md); the
# rest are hvlab's, chosen in the same channels and listed there.
CH_VMMS = "Microsoft-Windows-Hyper-V-VMMS-Admin"
CH_WORKER = "Microsoft-Windows-Hyper-V-Worker-Admin"
CH_WORKER_OP = "Microsoft-Windows-Hyper-V-Worker-Operational"
CH_HYPERVISOR = "Microsoft-Windows-Hyper-V-Hypervisor-Operational"
CH_SYSTEM = "System"

EV_VM_STARTED = 18500  # documented
EV_VM_TURNED_OFF = 18560  # documented
EV_VM_SAVED = 18510
EV_VM_PAUSED = 18512
EV_VM_RESUMED = 18514
EV_VM_RESET = 18516
EV_VM_SHUT_DOWN = 18508
EV_VM_CREATED = 13002
EV_VM_DELETED = 13003
EV_VM_RENAMED = 13004
EV_VM_CONFIG = 13005
EV_VM_FAILED_START = 12030  # documented
EV_VM_MAC_EXHAUSTED = 12565  # documented (2008/R2)
EV_VM_IS_SETUP = 18600
EV_SWITCH = 25000
EV_CHECKPOINT = 18300
EV_VM_STORAGE = 14000
EV_VM_IMPORT = 18310
EV_VM_OUT_OF_MEMORY = 3122  # documented
EV_VM_HYPERVISOR_DOWN = 12010
EV_VM_ROOT_CRASH = 18590
EV_VM_SAVE_CANCELLED = 18518
EV_VM_OPERATION_FAILED = 18520
EV_VM_VP_RATIO = 18525  # hvlab's: started beyond the supported VP:LP ratio
EV_HV_STARTED = 1
EV_HV_LAUNCH_FAILED_VMX = 41
EV_HV_LAUNCH_FAILED_NX = 42
EV_HV_LAUNCH_FAILED_CPU = 80
EV_HV_LAUNCH_DISABLED = 5  # documented: "Hyper-V launch aborted due to auto-launch being …"
EV_ROLE_INSTALLED = 20
EV_HV_ACCESS_DENIED = 16640
EV_BUGCHECK = 1001
EV_HOST_SHUTDOWN = 1074
