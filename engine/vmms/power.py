"""The VM operations of the Action pane (Start, Turn Off, Shut Down, Save, Pause, Resume,
Reset, Delete Saved State) as jobs that take simulated time, and what happens when each
job completes.
"""

from __future__ import annotations

import copy

from hvlab.engine import events as ev
from hvlab.engine.errors import (
    DiskAttachError,
    HypervisorNotRunningError,
    InvalidStateError,
    MacPoolExhaustedError,
    OutOfMemoryError,
    ResourceLimitError,
)
from hvlab.engine.events import Level
from hvlab.engine.guest import GuestPhase, shutdown_lines
from hvlab.engine.jobs import JobRecord
from hvlab.engine.lifecycle import Operation, VmState
from hvlab.engine.sim.clock import seconds_to_us, us_to_seconds
from hvlab.engine.sim.hypervisor import HvStatus
from hvlab.engine.vmms import (
    admission,
    guest_runner,
    partitions,
    rules,
    saved_state,
    tables,
    vm_files,
)
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime

TURN_OFF_S = 0.5
PAUSE_S = 0.3
RESUME_S = 0.3


def start(host: Host, vm: VmRuntime) -> JobRecord:
    try:
        admission.admit(host, vm)
    except MacPoolExhaustedError as err:
        host.log(ev.CH_WORKER, ev.EV_VM_MAC_EXHAUSTED, Level.ERROR, err.event_text, vm)
        raise
    except (OutOfMemoryError, HypervisorNotRunningError, ResourceLimitError) as err:
        host.log(ev.CH_WORKER, ev.EV_VM_FAILED_START, Level.ERROR,
                 f"'{vm.name}' failed to start. (Virtual machine ID {vm.id})", vm)
        if isinstance(err, OutOfMemoryError):
            host.log(ev.CH_WORKER, ev.EV_VM_OUT_OF_MEMORY, Level.ERROR, err.event_text, vm)
        elif isinstance(err, HypervisorNotRunningError):
            host.log(ev.CH_WORKER, ev.EV_VM_HYPERVISOR_DOWN, Level.ERROR,
                     " ".join(err.details), vm)
        raise
    over_ratio = admission.vp_ratio_warning(host, vm)
    try:
        vm_files.check_disks(host.lab, vm)
    except DiskAttachError as err:
        host.log(ev.CH_WORKER, ev.EV_VM_FAILED_START, Level.ERROR,
                 f"'{vm.name}' failed to start. (Virtual machine ID {vm.id})", vm)
        host.log(ev.CH_WORKER, ev.EV_VM_STORAGE, Level.ERROR,
                 f"{err.details[1]} (Virtual machine ID {vm.id})", vm)
        raise
    from_saved = vm.state is VmState.SAVED
    if from_saved:
        on_disk = vm_files.read_saved_state(host.lab, vm)  # raises if damaged
        if on_disk is not None:
            vm.saved_state = on_disk
    hv = host.hypervisor
    assert hv is not None
    root = hv.ROOT_ID
    pid = hv.hypercall(root, "HvCreatePartition", name=vm.name).value
    hv.hypercall(root, "HvInitializePartition", pid)
    mapped = hv.hypercall(root, "HvMapGpaPages", pid, mb=admission.memory_needed_mb(host, vm),
                          spanning=host.numa_spanning)
    if mapped.status is not HvStatus.SUCCESS:  # pragma: no cover - admission checked it
        hv.hypercall(root, "HvDeletePartition", pid)
        raise OutOfMemoryError(f"'{vm.name}' failed to start.", [mapped.detail])
    hv.hypercall(root, "HvCreateVp", pid, count=vm.config.cpu_count)
    if over_ratio is not None:
        host.log(ev.CH_VMMS, ev.EV_VM_VP_RATIO, Level.WARNING, over_ratio, vm)
    vm.partition_id = pid
    partitions.sync_vmbus(host, vm)
    host.net.lease_macs(vm)
    ram = vm.saved_state.memory_mb if from_saved and vm.saved_state else \
        vm.config.memory_startup_mb
    host.lab.sim.table.memory_assigned_mb[vm.slot] = ram
    if from_saved:
        seconds = 0.5 + ram / host.hardware.storage_mb_per_s
        desc = "Restoring"
    else:
        seconds = 0.8 + ram / 8192
        desc = "Starting"
    job = begin_job(host, vm, Operation.START, desc, seconds)
    host.set_state(vm, VmState.STARTING, "restore" if from_saved else "start")
    return job


def _transition(host: Host, vm: VmRuntime, op: Operation, description: str, seconds: float,
                into: VmState, *, freeze: bool = True, cancellable: bool = False) -> JobRecord:
    """The common shape of an operation: allowed in this state, the guest's clock stopped
    (``freeze``), a job of ``seconds``, and the VM in its transitional state meanwhile."""
    rules.require(host, vm, op)
    if freeze:
        guest_runner.freeze_guest(host, vm)
    job = begin_job(host, vm, op, description, seconds, cancellable)
    host.set_state(vm, into, op.label.lower())
    return job


def turn_off(host: Host, vm: VmRuntime) -> JobRecord:
    return _transition(host, vm, Operation.TURN_OFF, "Turning off", TURN_OFF_S, VmState.STOPPING)


def shut_down(host: Host, vm: VmRuntime) -> JobRecord:
    rules.require(host, vm, Operation.SHUT_DOWN)
    blocker = rules.shutdown_blocker(host, vm)
    if blocker is not None:
        raise InvalidStateError(f"'{vm.name}' failed to shut down.", [blocker])
    guest = host.guest_of(vm)
    guest_runner.cancel_guest_steps(host, vm)
    host.enter_phase(vm, GuestPhase.SHUTTING_DOWN, shutdown_lines(guest))
    return _transition(host, vm, Operation.SHUT_DOWN, "Shutting down", guest.shutdown_seconds,
                       VmState.STOPPING, freeze=False)


def save(host: Host, vm: VmRuntime) -> JobRecord:
    assigned = int(host.lab.sim.table.memory_assigned_mb[vm.slot])
    seconds = 0.5 + assigned / host.hardware.storage_mb_per_s
    return _transition(host, vm, Operation.SAVE, "Saving", seconds, VmState.SAVING,
                       cancellable=True)


def pause(host: Host, vm: VmRuntime) -> JobRecord:
    return _transition(host, vm, Operation.PAUSE, "Pausing", PAUSE_S, VmState.PAUSING)


def resume(host: Host, vm: VmRuntime) -> JobRecord:
    return _transition(host, vm, Operation.RESUME, "Resuming", RESUME_S, VmState.RESUMING,
                       freeze=False)


def reset(host: Host, vm: VmRuntime) -> JobRecord:
    rules.require(host, vm, Operation.RESET)
    if (failed := injected_failure(host, vm, Operation.RESET.value, "Resetting")) is not None:
        return failed
    job = begin_job(host, vm, Operation.RESET, "Resetting", 0.0)
    finish_job(host, job)
    host.set_state(vm, VmState.RUNNING, "reset")
    host.console(vm, "--- The virtual machine was reset ---")
    guest_runner.start_guest(host, vm)
    host.log(ev.CH_WORKER_OP, ev.EV_VM_RESET, Level.INFORMATION,
             f"'{vm.name}' was reset. (Virtual machine ID {vm.id})", vm)
    return job


def delete_saved_state(host: Host, vm: VmRuntime) -> JobRecord:
    rules.require(host, vm, Operation.DELETE_SAVED_STATE)
    if (failed := injected_failure(host, vm, Operation.DELETE_SAVED_STATE.value,
                                   "Deleting saved state")) is not None:
        return failed
    job = begin_job(host, vm, Operation.DELETE_SAVED_STATE, "Deleting saved state", 0.0)
    finish_job(host, job)
    saved_state.discard_saved_state(host, vm)
    return job


def power_off(host: Host, vm: VmRuntime, reason: str) -> None:
    """Turn the VM off at once (the partition is destroyed; the guest gets no say)."""
    kill(host, vm, reason)


def cancel(host: Host, vm: VmRuntime, job: JobRecord, failure: str | None = None) -> None:
    """Cancel a cancellable job (a Save): the VM returns to where it was.  With a
    ``failure`` the job ends Failed with it, undone the same way."""
    previous = vm.state_before_job or VmState.RUNNING
    host.lab.cancel_job_record(job, failure or "The operation was cancelled.",
                               failed=failure is not None)
    vm.job_id = None
    host.set_state(vm, previous, "save failed" if failure else "save cancelled")
    if previous is VmState.RUNNING:
        guest_runner.thaw_guest(host, vm)
    if failure:
        host.log(ev.CH_WORKER_OP, ev.EV_VM_SAVE_CANCELLED, Level.ERROR,
                 f"'{vm.name}' could not save its state. {failure} (Virtual machine ID "
                 f"{vm.id})", vm)
        return
    host.log(ev.CH_WORKER_OP, ev.EV_VM_SAVE_CANCELLED, Level.INFORMATION,
             f"Saving '{vm.name}' was cancelled. (Virtual machine ID {vm.id})", vm)


_FAILED_VERBS = {
    Operation.START: "start", Operation.TURN_OFF: "turn off", Operation.SHUT_DOWN: "shut down",
    Operation.PAUSE: "pause", Operation.RESUME: "resume",
}


def fail(host: Host, vm: VmRuntime, job: JobRecord, failure: str) -> None:
    """End a running VM job Failed with ``failure`` and undo it: the VM goes back to the
    state it left (an injected ``fail-job`` fault, :mod:`hvlab.engine.faults`)."""
    op = Operation(job.kind)
    if op is Operation.SAVE:
        cancel(host, vm, job, failure)
        return
    previous = vm.state_before_job or VmState.RUNNING
    host.lab.cancel_job_record(job, failure, failed=True)
    vm.job_id = None
    vm.state_before_job = None
    if op is Operation.START:
        kill(host, vm, "the start failed")  # back to Off, or Saved for a restore
    elif op in (Operation.TURN_OFF, Operation.PAUSE):
        host.set_state(vm, previous, f"{op.label.lower()} failed")
        if previous is VmState.RUNNING:
            guest_runner.thaw_guest(host, vm)
    elif op is Operation.SHUT_DOWN:
        # The guest abandons its shutdown and carries on where it was: ready.
        host.enter_phase(vm, GuestPhase.READY, ("Shutdown was cancelled.",))
        host.set_state(vm, VmState.RUNNING, "shut down failed")
    elif op is Operation.RESUME:
        host.set_state(vm, VmState.PAUSED, "resume failed")
    host.log(ev.CH_WORKER, ev.EV_VM_OPERATION_FAILED, Level.ERROR,
             f"'{vm.name}' failed to {_FAILED_VERBS.get(op, op.label.lower())}. {failure} "
             f"(Virtual machine ID {vm.id})", vm)


def injected_failure(host: Host, vm: VmRuntime, kind: str, desc: str) -> JobRecord | None:
    """A job that takes no time and that an injected fault fails before it acts: the job,
    already Failed (the caller returns it and changes nothing), or None to go on."""
    faults = host.lab.faults
    if not faults.fails(kind):
        return None
    job = host.lab.new_job(kind, desc, host.id, vm.id, 0.0, False)
    text = faults.failure_text(kind)
    host.lab.cancel_job_record(job, text, failed=True)
    host.log(ev.CH_WORKER, ev.EV_VM_OPERATION_FAILED, Level.ERROR,
             f"{desc} '{vm.name}' failed. {text} (Virtual machine ID {vm.id})", vm)
    return job


def begin_job(host: Host, vm: VmRuntime, op: Operation, desc: str, seconds: float,
               cancellable: bool = False) -> JobRecord:
    factor = host.lab.faults.slowdown.get(op.value)
    if factor is not None:  # an injected slow job (slow:KIND*FACTOR), in whole microseconds
        seconds = us_to_seconds(round(seconds_to_us(seconds) * factor))
    job = host.lab.new_job(op.value, desc, host.id, vm.id, seconds, cancellable)
    vm.job_id = job.id
    vm.state_before_job = vm.state
    if seconds > 0:
        host.lab.sim.queue.schedule(job.expected_end_us, "job_done", host.id, vm.id,
                                {"job": job.id, "op": op.value})
    return job


def finish_job(host: Host, job: JobRecord, error: str | None = None) -> None:
    host.lab.finish_job(job, error)
    vm = host.vms.get(job.vm_id)
    if vm is not None and vm.job_id == job.id:
        vm.job_id = None
        vm.state_before_job = None


def on_job_done(host: Host, vm: VmRuntime, job_id: int, op: Operation) -> None:
    job = host.lab.job_record(job_id)
    if job is None or job.state.finished or vm.job_id != job_id:
        return  # cancelled or superseded
    finish_job(host, job)
    now = host.lab.sim.now_us
    if op is Operation.START:
        saved = vm.saved_state
        restored = saved is not None
        if saved is not None:
            vm.uptime_base_us = saved.uptime_us
            vm.phase = saved.phase
            vm.plan_index = saved.plan_index
            vm.guest_frozen_left_us = saved.frozen_left_us
            if saved.boot_number is not None:
                vm.boot_number = saved.boot_number
            vm.memory_record = copy.deepcopy(saved.memory_record)
            vm.saved_state = None
            vm_files.remove_saved_state(host.lab, vm)
            tables.sync_table(host, vm)
        vm.running_since_us = now
        host.set_state(vm, VmState.RUNNING, "restored" if restored else "started")
        if restored:
            host.console(vm, "--- Restored from saved state ---")
            guest_runner.thaw_guest(host, vm)
        else:
            guest_runner.start_guest(host, vm)
        host.log(ev.CH_VMMS, ev.EV_VM_STARTED, Level.INFORMATION,
                 f"'{vm.name}' started successfully. (Virtual machine ID {vm.id})", vm)
    elif op in (Operation.TURN_OFF, Operation.SHUT_DOWN):
        partitions.destroy_partition(host, vm)
        vm.uptime_base_us = 0
        vm.running_since_us = None
        host.enter_phase(vm, GuestPhase.OFF, ())
        how = "turned off" if op is Operation.TURN_OFF else "shut down"
        host.set_state(vm, VmState.OFF, how)
        if op is Operation.SHUT_DOWN:
            host.log(ev.CH_WORKER_OP, ev.EV_VM_SHUT_DOWN, Level.INFORMATION,
                     f"'{vm.name}' was shut down by the guest operating system. "
                     f"(Virtual machine ID {vm.id})", vm)
        else:
            host.log(ev.CH_WORKER_OP, ev.EV_VM_TURNED_OFF, Level.INFORMATION,
                     f"'{vm.name}' was turned off. (Virtual machine ID {vm.id})", vm)
    elif op is Operation.SAVE:
        saved_state.save_now(host, vm)
        host.log(ev.CH_WORKER_OP, ev.EV_VM_SAVED, Level.INFORMATION,
                 f"'{vm.name}' was saved successfully. (Virtual machine ID {vm.id})", vm)
    elif op is Operation.PAUSE:
        host.set_state(vm, VmState.PAUSED, "paused")
        host.log(ev.CH_WORKER_OP, ev.EV_VM_PAUSED, Level.INFORMATION,
                 f"'{vm.name}' was paused. (Virtual machine ID {vm.id})", vm)
    elif op is Operation.RESUME:
        host.set_state(vm, VmState.RUNNING, "resumed")
        guest_runner.thaw_guest(host, vm)
        host.log(ev.CH_WORKER_OP, ev.EV_VM_RESUMED, Level.INFORMATION,
                 f"'{vm.name}' was resumed. (Virtual machine ID {vm.id})", vm)


def abort_job(host: Host, vm: VmRuntime, reason: str) -> None:
    if vm.job_id is not None:
        job = host.lab.job_record(vm.job_id)
        if job is not None and not job.state.finished:
            host.lab.cancel_job_record(job, reason, failed=True)
        vm.job_id = None
        vm.state_before_job = None


def kill(host: Host, vm: VmRuntime, reason: str) -> None:
    """The partition is gone at once (power off, crash); the guest gets no say."""
    abort_job(host, vm, f"The virtual machine was turned off: {reason}.")
    restoring = vm.state is VmState.STARTING and vm.saved_state is not None
    guest_runner.cancel_guest_steps(host, vm)
    partitions.destroy_partition(host, vm)
    vm.running_since_us = None
    vm.uptime_base_us = 0
    host.enter_phase(vm, GuestPhase.OFF, ())
    host.console(vm, f"--- Powered off: {reason} ---")
    # A restore in progress leaves the saved state on disk intact: back to Saved.
    host.set_state(vm, VmState.SAVED if restoring else VmState.OFF, reason)
