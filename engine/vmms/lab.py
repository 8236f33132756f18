"""The lab: the hosts of one simulation, with their events, jobs, files and switches.

Time belongs to the simulation core (:class:`~hvlab.engine.sim.simulation.Simulation`):
``lab.sim.advance`` moves it in fixed 100 ms steps, firing scheduled actions at their exact
times in between.  The lab registers the management service's handlers for those actions
and for the once-a-second work, so the clock calls the service without naming it.  Nothing
here reads the wall clock.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hvlab.engine import events as ev
from hvlab.engine import fileguard
from hvlab.engine.errors import HvError, InvalidStateError
from hvlab.engine.faults import OperationFaults
from hvlab.engine.filework import FileWorker
from hvlab.engine.jobs import JobRecord, JobState
from hvlab.engine.lifecycle import Operation
from hvlab.engine.profiles import HostHardware, HostProfile
from hvlab.engine.sim import iomodel
from hvlab.engine.sim.clock import ScheduledAction, seconds_to_us
from hvlab.engine.sim.noise import spawn_key
from hvlab.engine.sim.simulation import Simulation
from hvlab.engine.storage.errors import OperationCancelled
from hvlab.engine.vmms import (
    checkpoints,
    dynamic_memory,
    failover,
    guest_runner,
    host_power,
    migration,
    power,
    tables,
    vm_files,
)
from hvlab.engine.vmms.cluster import Fabric
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime

EVENT_LOG_KEEP = 5000
FINISHED_JOBS_KEEP = 200


class Lab:
    """Everything simulated: hosts, VMs, clock, jobs and the event stream."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.sim = Simulation()
        self.hosts: dict[str, Host] = {}
        self.jobs: dict[int, JobRecord] = {}
        self.next_job_id = 1
        self.vm_counter = 0
        self.bus = ev.EventBus()
        self.event_log: deque[ev.LogEntry] = deque(maxlen=EVENT_LOG_KEEP)
        self.files = FileWorker()
        self.disk_handles = vm_files.DiskHandles()
        #: Folder real files (virtual hard disks, saved states) live under; the library
        #: sets it to its own folder.  None: paths are used as given.
        self.storage_root: Path | None = None
        #: Checkpoint disks no longer needed.  The library deletes them after the commit
        #: that stops naming them (a crash before it still finds them); None: at once.
        self.retired_files: list[Path] | None = None
        self._switch_index: dict[tuple[str, str], int] = {}
        #: Faults a test author injected (hvlab.engine.faults); none by default.
        self.faults = OperationFaults()
        #: Networks, shared storage and the failover cluster joining the hosts.
        self.fabric = Fabric()
        #: Migrations in flight by job id, and the last ones finished (their figures).
        self.migrations: dict[int, migration.Migration] = {}
        self.finished_migrations: list[migration.Migration] = []
        sim = self.sim
        sim.before_advance(self.poll_files)
        sim.on_action("host_boot", self._on_host_boot)
        sim.on_action("job_done", self._on_job_done)
        sim.on_action("guest_step", self._on_guest_step)
        sim.on_action("auto_start", self._on_auto_start)
        sim.on_action("migration_tick", self._on_migration_tick)
        sim.on_action("node_down", self._on_node_down)
        sim.every_second(self._every_second)
        self.bus.subscribe(self._after_event)

    # -- files ------------------------------------------------------------------------------
    @property
    def confinement(self) -> fileguard.Confinement | None:
        """Where this lab's commands may write: its library folder, and the configured
        disks for writes into them (see hvlab.engine.fileguard).  None without a folder."""
        if self.storage_root is None:
            return None
        return fileguard.Confinement(self.storage_root, attached=self.attached_disks)

    def attached_disks(self) -> list[Path]:
        """Every virtual hard disk a VM's configuration names (the user attached them)."""
        return [p for host in self.hosts.values() for vm in host.vms.values()
                for d in vm.config.hard_drives if (p := vm_files.base_path(self, d)) is not None]

    def retire_file(self, path: Path) -> None:
        """A checkpoint disk nothing needs any more: deleted now, or by the library after
        its next commit."""
        if self.retired_files is None:
            fileguard.unlink(path, missing_ok=True)
        else:
            self.retired_files.append(path)

    # -- events -----------------------------------------------------------------------------
    def publish(self, event: ev.EngineEvent) -> None:
        self.bus.publish(event)

    def _after_event(self, event: ev.EngineEvent) -> None:
        """A VM turned off on a host without live merge: merge the disks that waited."""
        if isinstance(event, ev.VmStateChanged) and event.new == "Off":
            host = self.hosts.get(event.host_id)
            vm = host.vms.get(event.vm_id) if host is not None else None
            if host is not None and vm is not None:
                checkpoints.merge_when_off(host, vm)

    def publish_vm_changed(self, host: Host, vm: VmRuntime) -> None:
        self.bus.publish(ev.VmListChanged(self.sim.now_us, host.id, vm.id, "config"))

    def record(self, entry: ev.LogEntry) -> None:
        self.event_log.append(entry)
        self.bus.publish(entry)

    # -- hosts and VMs -------------------------------------------------------------------------
    def add_host(self, name: str, profile: HostProfile, hardware: HostHardware | None = None,
                 host_id: str | None = None) -> Host:
        index = len(self.hosts)
        while host_id is None and self._new_uuid("host", index) in self.hosts:
            index += 1  # a host was removed: the next index may be taken
        hid = host_id or self._new_uuid("host", index)
        return self.attach_host(Host(self, hid, name, len(self.hosts), profile, hardware))

    def attach_host(self, host: Host) -> Host:
        """Put a built host in the lab (its index is its place in the simulation)."""
        self.hosts[host.id] = host
        self.sim.machines.append(host)
        return host

    def remove_host(self, host: Host) -> None:
        """Take a host out of the lab (it must hold no VM and be in no cluster); the hosts
        after it move up one place in the simulation's tables."""
        if host.vms:
            raise InvalidStateError(f"The host {host.name} could not be removed.",
                                    [f"It holds {len(host.vms)} virtual machines; move or "
                                     "delete them first."])
        cluster = self.fabric.cluster
        if cluster is not None and host.id in cluster.nodes:
            raise InvalidStateError(f"The host {host.name} could not be removed.",
                                    [f"It is a node of the cluster {cluster.name}."])
        if len(self.hosts) == 1:
            raise InvalidStateError(f"The host {host.name} could not be removed.",
                                    ["It is the lab's only host."])
        index = host.index
        self.sim.queue.remove_where(host.id)
        del self.hosts[host.id]
        self.sim.machines.pop(index)
        self.sim.history.drop_host(index)
        table = self.sim.table
        moved = table.host[: table.size] > index
        table.host[: table.size][moved] -= 1
        for other in self.hosts.values():
            if other.index > index:
                other.index -= 1
        for hosts in [n.hosts for n in self.fabric.networks.values()] + \
                [s.hosts for s in self.fabric.storage.values()]:
            if host.id in hosts:
                hosts.remove(host.id)
        self.switches_changed()
        self.publish(ev.HostChanged(self.sim.now_us, host.id, "removed"))

    def _new_uuid(self, kind: str, index: int) -> str:
        digest = hashlib.sha256(f"hvlab:{self.seed}:{kind}:{index}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4)).upper()

    def new_vm_identity(self) -> tuple[str, int]:
        """A deterministic VM id and noise key, from the seed and a creation counter."""
        index = self.vm_counter
        self.vm_counter += 1
        return self._new_uuid("vm", index), spawn_key(self.seed, index)

    def find_vm(self, vm_id: str) -> tuple[Host, VmRuntime] | None:
        for host in self.hosts.values():
            vm = host.vms.get(vm_id)
            if vm is not None:
                return host, vm
        return None

    # -- switches -----------------------------------------------------------------------------
    def switch_index(self, host_id: str, name: str | None) -> int:
        """The lab-wide index of a host's switch for the I/O table (-1: not connected)."""
        if name is None:
            return -1
        return self._switch_index.get((host_id, name), -1)

    def switches_changed(self) -> None:
        """Re-index every switch and re-point every adapter at it."""
        self._switch_index = {}
        self.sim.switch_infos = []
        for host in self.hosts.values():
            for sw in host.net.switches.values():
                self._switch_index[(host.id, sw.name)] = len(self.sim.switch_infos)
                self.sim.switch_infos.append(iomodel.SwitchInfo(
                    host.index, host.net.capacity_mbit(sw, host.hardware), sw.type.value,
                    sw.management_vlan_id if sw.allow_management_os else -1))
        for host in self.hosts.values():
            for vm in host.vms.values():
                tables.sync_table(host, vm)
            self.publish(ev.HostChanged(self.sim.now_us, host.id, "switches"))

    # -- jobs -----------------------------------------------------------------------------
    def new_job(self, kind: str, description: str, host_id: str, vm_id: str, seconds: float,
                cancellable: bool) -> JobRecord:
        job = JobRecord(self.next_job_id, kind, description, host_id, vm_id, self.sim.now_us,
                        self.sim.now_us + seconds_to_us(seconds), cancellable)
        self.next_job_id += 1
        self.jobs[job.id] = job
        self.publish(ev.JobChanged(self.sim.now_us, job.id, job.state.value, 0))
        self._prune_jobs()
        return job

    def new_file_job(self, kind: str, description: str, host_id: str, vm_id: str,
                     work: Callable[[Callable[[float], None], Callable[[], bool]], Any],
                     on_done: Callable[[Any], None] | None = None,
                     cancellable: bool = True, seconds: float = 0.0,
                     discard: Callable[[Any], None] | None = None) -> JobRecord:
        """A job whose work runs on a worker thread; ``on_done(result)`` is applied here, on
        the engine's thread, at the next advance or poll after the work finishes and, when
        the job takes ``seconds`` of simulated time, after the clock has passed its end.  A
        Cancel that comes after the work finished but before that end calls
        ``discard(result)`` (what the work wrote is removed) and the job ends Cancelled."""
        job = self.new_job(kind, description, host_id, vm_id, seconds, cancellable)
        job.file_progress = 0.0
        job.on_worker = True
        # An injected fail-job fault: the work stops at its first progress report at or past
        # the percent, as a Cancel there would (its own undo removes what it wrote), and the
        # job ends Failed; work that never reports that far fails before its result is
        # applied.
        fail_at = self.faults.file_fails_at(kind)
        tripped = threading.Event()

        def faulty(progress: Callable[[float], None], cancelled: Callable[[], bool]) -> Any:
            def report(fraction: float) -> None:
                if fail_at is not None and fraction >= fail_at:
                    tripped.set()
                    raise OperationCancelled(self.faults.failure_text(kind))
                progress(fraction)

            work(report, cancelled)
            tripped.set()
            raise OperationCancelled(self.faults.failure_text(kind))

        def done(result: Any) -> None:
            if discard is not None and submitted[0].cancel.is_set():
                discard(result)
                self.cancel_job_record(job, "The operation was cancelled.")
                return
            try:
                if on_done is not None:
                    on_done(result)
            except HvError as err:
                self.finish_job(job, err.text)
                return
            self.finish_job(job)

        def failed(error: BaseException) -> None:
            if isinstance(error, OperationCancelled) and tripped.is_set():
                job.file_progress = fail_at
                self.cancel_job_record(job, self.faults.failure_text(kind), failed=True)
            elif isinstance(error, OperationCancelled):
                self.cancel_job_record(job, "The operation was cancelled.")
            elif isinstance(error, HvError):
                self.finish_job(job, error.text)
            elif isinstance(error, OSError):
                self.finish_job(job, f"{error.filename or ''}: {error.strerror or error}")
            else:
                self.finish_job(job, f"{type(error).__name__}: {error}")

        submitted = [self.files.submit(job.id, faulty if fail_at is not None else work, done,
                                       failed)]
        return job

    def poll_files(self) -> None:
        """Apply finished file work and refresh the progress of the rest."""
        for job_id, task in list(self.files.tasks.items()):
            job = self.jobs.get(job_id)
            if job is not None:
                job.file_progress = task.progress
        self.files.poll(self._file_job_due)

    def _file_job_due(self, job_id: int) -> bool:
        job = self.jobs.get(job_id)
        return job is None or self.sim.now_us >= job.expected_end_us

    def cancel_file_jobs(self) -> None:
        """Cancel every file job still running (the library is closing): each removes what
        it wrote, as a Cancel does, so the library is saved as it was before the job."""
        for job_id in list(self.files.tasks):
            self.files.cancel(job_id)
            self.files.wait(job_id)
        self.files.poll()

    def job_record(self, job_id: int) -> JobRecord | None:
        return self.jobs.get(job_id)

    def finish_job(self, job: JobRecord, error: str | None = None) -> None:
        job.state = JobState.FAILED if error else JobState.COMPLETED
        job.error = error
        job.finished_us = now = self.sim.now_us
        self.publish(ev.JobChanged(now, job.id, job.state.value, job.percent(now)))

    def cancel_job_record(self, job: JobRecord, reason: str, failed: bool = False) -> None:
        job.state = JobState.FAILED if failed else JobState.CANCELLED
        job.error = reason
        job.finished_us = now = self.sim.now_us
        self.publish(ev.JobChanged(now, job.id, job.state.value, job.percent(now)))

    def _prune_jobs(self) -> None:
        finished = [j.id for j in self.jobs.values() if j.state.finished]
        for job_id in finished[:-FINISHED_JOBS_KEEP] if len(finished) > FINISHED_JOBS_KEEP else ():
            del self.jobs[job_id]

    # -- the service's handlers for the clock -------------------------------------------------
    def _vm_of(self, action: ScheduledAction) -> tuple[Host, VmRuntime] | None:
        host = self.hosts.get(action.host_id)
        vm = host.vms.get(action.target) if host is not None else None
        return None if host is None or vm is None else (host, vm)

    def _on_host_boot(self, action: ScheduledAction) -> None:
        host = self.hosts.get(action.host_id)
        if host is not None:
            host_power.on_host_boot(host, int(action.data["job"]))
            failover.on_node_boot(self, host)

    def _on_migration_tick(self, action: ScheduledAction) -> None:
        migration.on_tick(self)

    def _on_node_down(self, action: ScheduledAction) -> None:
        host = self.hosts.get(action.host_id)
        if host is not None:
            failover.on_node_down(self, host, [str(v) for v in action.data["running"]])

    def _on_job_done(self, action: ScheduledAction) -> None:
        if (found := self._vm_of(action)) is not None:
            power.on_job_done(*found, int(action.data["job"]), Operation(action.data["op"]))

    def _on_guest_step(self, action: ScheduledAction) -> None:
        if (found := self._vm_of(action)) is not None:
            guest_runner.on_guest_step(*found, int(action.data["epoch"]))

    def _on_auto_start(self, action: ScheduledAction) -> None:
        if (found := self._vm_of(action)) is not None:
            host_power.on_auto_start(*found, int(action.data["boot"]))

    def _every_second(self, second: int) -> None:
        for host in self.hosts.values():
            dynamic_memory.balance_memory(host)
            guest_runner.guest_activity(host, second)

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close open disk files and stop the file workers (the lab stays usable: both
        reopen on demand)."""
        self.disk_handles.close()
        self.files.shutdown()

    def idle(self) -> bool:
        """True when no job is running (nothing is in flight but guest activity)."""
        return not any(not j.state.finished for j in self.jobs.values())
