"""The host's own power: a planned restart (each VM's Automatic Stop Action), a root
partition crash, and the Automatic Start Actions when it boots again.
"""

from __future__ import annotations

import contextlib

from hvlab.engine import events as ev
from hvlab.engine.config import StartAction, StopAction
from hvlab.engine.errors import HvError, InvalidStateError
from hvlab.engine.events import Level
from hvlab.engine.jobs import JobRecord
from hvlab.engine.lifecycle import PARTITION_STATES, VmState
from hvlab.engine.vmms import guest_runner, power, rules, saved_state
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime

HOST_BOOT_S = 90.0


def reboot(host: Host) -> JobRecord:
    """Restart the host: apply each VM's Automatic Stop Action, then power cycle."""
    if host.rebooting:
        raise InvalidStateError(f"The host {host.name} is already restarting.")
    for vm in host.vms.values():
        if vm.state in PARTITION_STATES:
            apply_stop_action(host, vm)
    host.log(ev.CH_SYSTEM, ev.EV_HOST_SHUTDOWN, Level.INFORMATION,
             f"The host {host.name} is restarting (planned).")
    return power_cycle(host, "Restarting the host")


def crash_root(host: Host) -> JobRecord:
    """The root partition bugchecks: every child partition dies with it; the host reboots."""
    if host.rebooting:
        raise InvalidStateError(f"The host {host.name} is already restarting.")
    host.log(ev.CH_SYSTEM, ev.EV_BUGCHECK, Level.CRITICAL,
             "The computer has rebooted from a bugcheck. The root partition (management "
             "operating system) stopped, taking every child partition with it.")
    for vm in host.vms.values():
        vm.was_running = vm.state in PARTITION_STATES and vm.state is not VmState.STOPPING
        if vm.state in PARTITION_STATES:
            power.kill(host, vm, "the root partition crashed")
            host.log(ev.CH_WORKER, ev.EV_VM_ROOT_CRASH, Level.CRITICAL,
                     f"'{vm.name}' was turned off because the root partition (management "
                     f"operating system) stopped unexpectedly. (Virtual machine ID {vm.id})",
                     vm)
    return power_cycle(host, "Restarting the host after a root partition crash")


def apply_stop_action(host: Host, vm: VmRuntime) -> None:
    """Planned host shutdown: Save, Turn Off or Shut Down, at once."""
    action = vm.config.automatic_stop_action
    vm.was_running = vm.state is not VmState.STOPPING
    power.abort_job(host, vm, "The host is shutting down.")
    if vm.state in (VmState.STARTING, VmState.STOPPING):
        power.kill(host, vm, "host shutdown")
        return
    if vm.state is VmState.PAUSING:
        host.set_state(vm, VmState.PAUSED, "host shutdown")
    elif vm.state is VmState.RESUMING:
        host.set_state(vm, VmState.RUNNING, "host shutdown")
    if action is StopAction.SAVE:
        if vm.state is not VmState.SAVING:
            guest_runner.freeze_guest(host, vm)
            host.set_state(vm, VmState.SAVING, "automatic stop action")
        saved_state.save_now(host, vm)
    elif action is StopAction.SHUT_DOWN and rules.shutdown_blocker(host, vm) is None:
        power.kill(host, vm, "shut down by the Automatic Stop Action")
    else:
        power.kill(host, vm, "turned off by the Automatic Stop Action")


def power_cycle(host: Host, description: str) -> JobRecord:
    host.lab.sim.queue.remove_where(host.id)
    if host.hypervisor is not None:
        host.hypervisor.shutdown()
    host.hypervisor = None
    host.rebooting = True
    job = host.lab.new_job("host-reboot", description, host.id, "", HOST_BOOT_S, False)
    host.lab.sim.queue.schedule(job.expected_end_us, "host_boot", host.id, "", {"job": job.id})
    host.lab.publish(ev.HostChanged(host.lab.sim.now_us, host.id, "rebooting"))
    return job


def on_host_boot(host: Host, job_id: int) -> None:
    host._boot()
    job = host.lab.job_record(job_id)
    if job is not None and not job.state.finished:
        host.lab.finish_job(job)
    for vm in host.vms.values():
        action = vm.config.automatic_start_action
        if action is StartAction.START or (
            action is StartAction.START_IF_RUNNING and vm.was_running
        ):
            host.lab.sim.queue.schedule(
                host.lab.sim.now_us + vm.config.automatic_start_delay_s * 1_000_000,
                "auto_start", host.id, vm.id, {"boot": host.boot_count})
        vm.was_running = False


def on_auto_start(host: Host, vm: VmRuntime, boot: int) -> None:
    if boot != host.boot_count or vm.state not in (VmState.OFF, VmState.SAVED):
        return
    # A failure is in the event log, which is all Hyper-V's automatic start does with it.
    with contextlib.suppress(HvError):
        power.start(host, vm)
