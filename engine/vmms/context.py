"""What the management service's parts need of the lab they run in.

:class:`~hvlab.engine.vmms.lab.Lab` provides it; the host and the service's modules are typed
against this protocol so that none of them imports the lab (the lab builds hosts, so an
import the other way would close a loop).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from hvlab.engine import events as ev
from hvlab.engine import fileguard
from hvlab.engine.faults import OperationFaults
from hvlab.engine.jobs import JobRecord
from hvlab.engine.sim.simulation import Simulation
from hvlab.engine.storage import VhdDisk
from hvlab.engine.storage.writeback import OnFailure


class DiskFiles(Protocol):
    """Open virtual hard disk files, by path."""

    def get(self, path: Path) -> VhdDisk: ...

    def close(self, paths: list[Path] | None = None) -> None: ...

    def size(self, path: Path) -> int: ...

    def hold(self, path: Path, lba: int, data: bytes, on_failure: OnFailure) -> None: ...


class LabContext(Protocol):
    """The lab as its hosts see it: the simulation, events, jobs, files and switches."""

    seed: int
    sim: Simulation
    storage_root: Path | None
    faults: OperationFaults

    @property
    def disk_handles(self) -> DiskFiles: ...

    @property
    def confinement(self) -> fileguard.Confinement | None: ...

    def retire_file(self, path: Path) -> None: ...

    def publish(self, event: ev.EngineEvent) -> None: ...

    def record(self, entry: ev.LogEntry) -> None: ...

    def new_job(self, kind: str, description: str, host_id: str, vm_id: str, seconds: float,
                cancellable: bool) -> JobRecord: ...


    def new_file_job(self, kind: str, description: str, host_id: str, vm_id: str,
                     work: Callable[[Callable[[float], None], Callable[[], bool]], Any],
                     on_done: Callable[[Any], None] | None = None,
                     cancellable: bool = True) -> JobRecord: ...

    def job_record(self, job_id: int) -> JobRecord | None: ...

    def finish_job(self, job: JobRecord, error: str | None = None) -> None: ...

    def cancel_job_record(self, job: JobRecord, reason: str, failed: bool = False) -> None: ...

    def switch_index(self, host_id: str, name: str | None) -> int: ...

    def switches_changed(self) -> None: ...
