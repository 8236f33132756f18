"""A lab's whole state in memory, to return to later: the lessons' Reset and the rewind
timeline's keyframes.

:func:`capture_state` keeps what the library would write for the lab (its serialisation,
:mod:`hvlab.engine.library.state`) as canonical JSON bytes, with the recent event log;
:func:`restore_state` builds a new in-memory lab from them.  Because the engine is
deterministic, advancing a restored lab replays exactly what the original did from that
moment.  The counters' 1 s history is display data and is not kept here: a lab that keeps
a rewind timeline (:mod:`hvlab.engine.api.timeline`) gets it back from there.  Real files
(virtual hard disks) are not copied, so only labs without a storage folder can be captured
(lessons and exercises run on such labs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hvlab.engine import events as ev
from hvlab.engine.errors import NotSupportedError
from hvlab.engine.events import LogEntry
from hvlab.engine.library.state import restore_lab, snapshot_lab
from hvlab.engine.sim.clock import us_to_seconds
from hvlab.engine.vmms.lab import Lab

if TYPE_CHECKING:
    from hvlab.engine.api.surface import ApiCore


@dataclass(frozen=True)
class LabState:
    """One moment of a lab: ``data`` is its state as canonical JSON (equal bytes, equal
    state), ``events`` the event log entries held in memory then."""

    time_us: int
    data: bytes
    events: tuple[LogEntry, ...]

    @property
    def time_seconds(self) -> float:
        return us_to_seconds(self.time_us)


def _check_in_memory(lab: Lab) -> None:
    if lab.storage_root is not None:
        raise NotSupportedError("Only an in-memory lab can be kept as a moment to return to.",
                                ["A library's lab keeps its virtual hard disks in files."])


def capture_state(api: ApiCore) -> LabState:
    """The lab's state now (an in-memory lab only: see the module docstring)."""
    _check_in_memory(api.lab)
    data = json.dumps(snapshot_lab(api.lab), sort_keys=True, separators=(",", ":"))
    return LabState(api.lab.sim.now_us, data.encode("utf-8"), tuple(api.lab.event_log))


def return_to(api: ApiCore, state: LabState) -> None:
    """Put ``api``'s in-memory lab back to ``state`` in place (``ManagementApi.return_to``):
    the facade and its subscribers stay, and are told which VMs came, went or changed."""
    old = api.lab
    _check_in_memory(old)
    lab = restore_lab(json.loads(state.data), state.events)
    lab.bus = old.bus  # the subscribers (the console's bridge) follow the lab
    lab.faults = old.faults
    before = {v.id: h.id for h in old.hosts.values() for v in h.vms.values()}
    after = {v.id: h.id for h in lab.hosts.values() for v in h.vms.values()}
    old.close()
    api.lab = lab
    for vm_id, host_id in before.items():
        if vm_id not in after:
            lab.publish(ev.VmListChanged(lab.sim.now_us, host_id, vm_id, "removed"))
    for vm_id, host_id in after.items():
        lab.publish(ev.VmListChanged(lab.sim.now_us, host_id, vm_id,
                                     "config" if vm_id in before else "added"))
    for host_id in lab.hosts:
        lab.publish(ev.HostChanged(lab.sim.now_us, host_id, "restored"))
