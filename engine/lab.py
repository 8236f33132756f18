"""The lab: hosts sharing one simulated clock, one action queue and one per-VM table.

``Lab.advance`` moves simulated time.  Time passes in fixed 100 ms steps on a grid (the
vectorised per-VM update), and discrete actions from the queue fire at their exact times in
between, in (time, sequence) order.  Nothing here reads the wall clock.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from hvlab.engine import events as ev
from hvlab.engine import fileguard, vmdisks
from hvlab.engine.errors import HvError
from hvlab.engine.filework import FileWorker
from hvlab.engine.host import Host, VmRuntime
from hvlab.engine.jobs import JobRecord, JobState
from hvlab.engine.lifecycle import Operation
from hvlab.engine.profiles import HostHardware, HostProfile
from hvlab.engine.sim import iomodel
from hvlab.engine.sim.clock import ActionQueue, ScheduledAction, seconds_to_us
from hvlab.engine.sim.counters import History
from hvlab.engine.sim.noise import spawn_key
from hvlab.engine.sim.vmtable import VmTable
from hvlab.engine.storage.errors import OperationCancelled

STEP_US = 100_000
#: Steps between Dynamic Memory balancer passes and history samples (1 s).
SLOW_EVERY = 10
EVENT_LOG_KEEP = 5000
FINISHED_JOBS_KEEP = 200


class Lab:
    """Everything simulated: hosts, VMs, clock, jobs and the event stream."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.now_us = 0
        self.step_index = 0
        self.queue = ActionQueue()
        self.table = VmTable()
        self.hosts: dict[str, Host] = {}
        self.jobs: dict[int, JobRecord] = {}
        self._next_job = 1
        self.vm_counter = 0
        self.bus = ev.EventBus()
        self.event_log: deque[ev.LogEntry] = deque(maxlen=EVENT_LOG_KEEP)
        self.history = History()
        self.files = FileWorker()
        self.disk_handles = vmdisks.DiskHandles()
        #: Folder real files (virtual hard disks, saved states) live under; the library
        #: sets it to its own folder.  None: paths are used as given.
        self.storage_root: Path | None = None
        #: Checkpoint disks no longer needed.  The library deletes them after the commit
        #: that stops naming them (a crash before it still finds them); None: at once.
        self.retired_files: list[Path] | None = None
        self.devices = iomodel.DeviceTable()
        self.devices.on_new_row = self.history.clear_device
        self._switch_index: dict[tuple[str, str], int] = {}
        self.switch_infos: list[iomodel.SwitchInfo] = []

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
                for d in vm.config.hard_drives if (p := vmdisks.base_path(self, d)) is not None]

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

    def publish_vm_changed(self, host: Host, vm: VmRuntime) -> None:
        self.bus.publish(ev.VmListChanged(self.now_us, host.id, vm.id, "config"))

    def record(self, entry: ev.LogEntry) -> None:
        self.event_log.append(entry)
        self.bus.publish(entry)

    # -- hosts and VMs -------------------------------------------------------------------------
    def add_host(self, name: str, profile: HostProfile, hardware: HostHardware | None = None,
                 host_id: str | None = None) -> Host:
        hid = host_id or self._new_uuid("host", len(self.hosts))
        host = Host(self, hid, name, len(self.hosts), profile, hardware)
        self.hosts[hid] = host
        return host

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
        self.switch_infos = []
        for host in self.hosts.values():
            for sw in host.net.switches.values():
                self._switch_index[(host.id, sw.name)] = len(self.switch_infos)
                self.switch_infos.append(iomodel.SwitchInfo(
                    host.index, host.net.capacity_mbit(sw, host.hardware), sw.type.value,
                    sw.management_vlan_id if sw.allow_management_os else -1))
        for host in self.hosts.values():
            for vm in host.vms.values():
                host.resync(vm)
            self.publish(ev.HostChanged(self.now_us, host.id, "switches"))

    # -- jobs -----------------------------------------------------------------------------
    def new_job(self, kind: str, description: str, host_id: str, vm_id: str, seconds: float,
                cancellable: bool) -> JobRecord:
        job = JobRecord(self._next_job, kind, description, host_id, vm_id, self.now_us,
                        self.now_us + seconds_to_us(seconds), cancellable)
        self._next_job += 1
        self.jobs[job.id] = job
        self.publish(ev.JobChanged(self.now_us, job.id, job.state.value, 0))
        self._prune_jobs()
        return job

    def new_file_job(self, kind: str, description: str, host_id: str, vm_id: str,
                     work: Callable[[Callable[[float], None], Callable[[], bool]], Any],
                     on_done: Callable[[Any], None] | None = None,
                     cancellable: bool = True) -> JobRecord:
        """A job whose work runs on a worker thread; ``on_done(result)`` is applied here, on
        the engine's thread, at the next advance or poll after the work finishes."""
        job = self.new_job(kind, description, host_id, vm_id, 0.0, cancellable)
        job.file_progress = 0.0

        def done(result: Any) -> None:
            try:
                if on_done is not None:
                    on_done(result)
            except HvError as err:
                self.finish_job(job, err.text)
                return
            self.finish_job(job)

        def failed(error: BaseException) -> None:
            if isinstance(error, OperationCancelled):
                self.cancel_job_record(job, "The operation was cancelled.")
            elif isinstance(error, HvError):
                self.finish_job(job, error.text)
            elif isinstance(error, OSError):
                self.finish_job(job, f"{error.filename or ''}: {error.strerror or error}")
            else:
                self.finish_job(job, f"{type(error).__name__}: {error}")

        self.files.submit(job.id, work, done, failed)
        return job

    def poll_files(self) -> None:
        """Apply finished file work and refresh the progress of the rest."""
        for job_id, task in list(self.files.tasks.items()):
            job = self.jobs.get(job_id)
            if job is not None:
                job.file_progress = task.progress
        self.files.poll()

    def job_record(self, job_id: int) -> JobRecord | None:
        return self.jobs.get(job_id)

    def finish_job(self, job: JobRecord, error: str | None = None) -> None:
        job.state = JobState.FAILED if error else JobState.COMPLETED
        job.error = error
        job.finished_us = self.now_us
        self.publish(ev.JobChanged(self.now_us, job.id, job.state.value, job.percent(self.now_us)))

    def cancel_job_record(self, job: JobRecord, reason: str, failed: bool = False) -> None:
        job.state = JobState.FAILED if failed else JobState.CANCELLED
        job.error = reason
        job.finished_us = self.now_us
        self.publish(ev.JobChanged(self.now_us, job.id, job.state.value, job.percent(self.now_us)))

    def _prune_jobs(self) -> None:
        finished = [j.id for j in self.jobs.values() if j.state.finished]
        for job_id in finished[:-FINISHED_JOBS_KEEP] if len(finished) > FINISHED_JOBS_KEEP else ():
            del self.jobs[job_id]

    # -- time -------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move simulated time forward by ``seconds`` (>= 0)."""
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        self.advance_to(self.now_us + seconds_to_us(seconds))

    def advance_to(self, target_us: int) -> None:
        self.poll_files()
        while True:
            next_step = (self.step_index + 1) * STEP_US
            next_action = self.queue.peek_time()
            if next_action is not None and next_action <= next_step and next_action <= target_us:
                self.now_us = max(self.now_us, next_action)
                self._fire(self.queue.pop())
                continue
            if next_step > target_us:
                break
            self.now_us = next_step
            self._step()
        self.now_us = max(self.now_us, target_us)

    def _step(self) -> None:
        self.step_index += 1
        hosts = list(self.hosts.values())
        table = self.table
        lps = np.array([h.logical_processors if h.hypervisor else 0 for h in hosts], dtype=float)
        io_root = np.array([h.io_root_lp for h in hosts])
        io_hv = np.array([h.io_hypervisor_lp for h in hosts])
        ticks = table.step(self.step_index, STEP_US / 1e6, lps, io_root, io_hv)
        # I/O moves after the guests asked for it; its CPU cost lands in the next tick.
        io_ticks = iomodel.step(
            self.devices, table,
            np.array([h.storage_iops if h.hypervisor else 0.0 for h in hosts]),
            self.switch_infos)
        for host, io_tick in zip(hosts, io_ticks, strict=True):
            host.io_root_lp = io_tick.root_lp if host.hypervisor else 0.0
            host.io_hypervisor_lp = io_tick.hypervisor_lp if host.hypervisor else 0.0
        extra = self.devices.vm_intercepts_s
        if extra.size:
            table.intercepts_s[: extra.size] += extra
        signals = self.devices.vm_interrupts_s
        if signals.size:
            table.vmbus_signals[: signals.size] += signals * (STEP_US / 1e6)
        n = table.size
        hidx = table.host[:n]
        hypercalls = np.bincount(hidx, weights=table.hypercalls_s[:n], minlength=len(hosts))
        intercepts = np.bincount(hidx, weights=table.intercepts_s[:n], minlength=len(hosts))
        samples = []
        for i, (host, tick) in enumerate(zip(hosts, ticks, strict=True)):
            up = host.hypervisor is not None
            host.root_cpu_lp = tick.root_lp if up else 0.0
            host.hypervisor_cpu_lp = tick.hypervisor_lp if up else 0.0
            host.guest_cpu_lp = tick.guest_lp if up else 0.0
            samples.append(host.sample(lps[i], float(hypercalls[i]), float(intercepts[i])))
        self.history.accumulate(table, samples, self.devices)
        if self.step_index % SLOW_EVERY == 0:
            second = self.step_index // SLOW_EVERY
            for host in hosts:
                host.balance_memory()
                host.guest_activity(second)
            self.history.sample(self.now_us)

    def replace_history(self, history: History) -> None:
        """Use saved counter history (a reopened library)."""
        self.history = history
        self.devices.on_new_row = history.clear_device

    def refresh_derived(self) -> None:
        """Recompute state derived from the saved state (the I/O of the last tick) without
        moving time: a reopened lab then answers reads exactly as before it was closed."""
        hosts = list(self.hosts.values())
        iomodel.step(self.devices, self.table,
                np.array([h.storage_iops if h.hypervisor else 0.0 for h in hosts]),
                self.switch_infos)

    def _fire(self, action: ScheduledAction) -> None:
        host = self.hosts.get(action.host_id)
        if host is None:
            return
        if action.kind == "host_boot":
            host.on_host_boot(int(action.data["job"]))
            return
        vm = host.vms.get(action.target)
        if vm is None:
            return
        if action.kind == "job_done":
            host.on_job_done(vm, int(action.data["job"]), Operation(action.data["op"]))
        elif action.kind == "guest_step":
            host.on_guest_step(vm, int(action.data["epoch"]))
        elif action.kind == "auto_start":
            host.on_auto_start(vm, int(action.data["boot"]))
        else:  # pragma: no cover - a new kind without a handler is a programming error
            raise AssertionError(f"no handler for action kind {action.kind!r}")

    def close(self) -> None:
        """Close open disk files and stop the file workers (the lab stays usable: both
        reopen on demand)."""
        self.disk_handles.close()
        self.files.shutdown()

    def idle(self) -> bool:
        """True when no job is running (nothing is in flight but guest activity)."""
        return not any(not j.state.finished for j in self.jobs.values())
