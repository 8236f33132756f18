"""The guest inside a running partition: its boot plan step by step, its console, its
heartbeat, and what it does each simulated second (disk writes, dirtied memory).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from hvlab.engine import events as ev
from hvlab.engine.errors import HvError
from hvlab.engine.events import Level
from hvlab.engine.guest import GuestPhase, boot_plan
from hvlab.engine.lifecycle import VmState
from hvlab.engine.storage.writeback import OnFailure
from hvlab.engine.vmms import tables, vm_files
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime

_HEARTBEAT_STATES = frozenset(
    {VmState.RUNNING, VmState.STOPPING, VmState.SAVING, VmState.PAUSING}
)
#: The states in which a VM has a heartbeat to show (:func:`heartbeat`).
HEARTBEAT_STATES = _HEARTBEAT_STATES


def start_guest(host: Host, vm: VmRuntime) -> None:
    vm.boot_number += 1
    vm.memory_record = vm_files.memory_record(vm, vm.config.memory_startup_mb)
    if vm.is_setup_pending:
        # Integration services installed from the setup disk load at this boot.
        vm.is_setup_pending = False
        vm.config = replace(vm.config, guest_is_installed=True)
        tables.sync_table(host, vm)
        host.lab.publish(ev.VmListChanged(host.lab.sim.now_us, host.id, vm.id, "config"))
    cancel_guest_steps(host, vm)
    vm.plan_index = -1
    guest_step(host, vm)


def guest_step(host: Host, vm: VmRuntime) -> None:
    """Enter the next step of the boot plan and schedule the one after it."""
    plan = boot_plan(vm.config, host.guest_of(vm))
    vm.plan_index += 1
    if vm.plan_index >= len(plan):
        vm.guest_due_us = None
        return
    step = plan[vm.plan_index]
    host.enter_phase(vm, step.phase, step.lines)
    if vm.plan_index + 1 < len(plan):
        schedule_guest(host, vm, round(plan[vm.plan_index + 1].after_s * 1_000_000))
    else:
        vm.guest_due_us = None


def schedule_guest(host: Host, vm: VmRuntime, delay_us: int) -> None:
    vm.guest_epoch += 1
    vm.guest_due_us = host.lab.sim.now_us + delay_us
    host.lab.sim.queue.schedule(vm.guest_due_us, "guest_step", host.id, vm.id,
                            {"epoch": vm.guest_epoch})


def on_guest_step(host: Host, vm: VmRuntime, epoch: int) -> None:
    if epoch != vm.guest_epoch or vm.guest_due_us is None:
        return
    guest_step(host, vm)


def cancel_guest_steps(host: Host, vm: VmRuntime) -> None:
    vm.guest_epoch += 1
    vm.guest_due_us = None
    vm.guest_frozen_left_us = None


def freeze_guest(host: Host, vm: VmRuntime) -> None:
    """Stop the guest's clock (pause, save): the pending boot step waits."""
    if vm.guest_due_us is not None:
        vm.guest_frozen_left_us = max(vm.guest_due_us - host.lab.sim.now_us, 0)
        vm.guest_epoch += 1
        vm.guest_due_us = None


def thaw_guest(host: Host, vm: VmRuntime) -> None:
    if vm.guest_frozen_left_us is not None:
        left = vm.guest_frozen_left_us
        vm.guest_frozen_left_us = None
        schedule_guest(host, vm, left)


def heartbeat(host: Host, vm: VmRuntime) -> str:
    """The Heartbeat column: OK, No Contact, or empty when the VM is not running."""
    if vm.state not in _HEARTBEAT_STATES:
        return ""
    if vm.has_heartbeat and vm.phase is GuestPhase.READY:
        return "OK"
    return "No Contact"


def guest_activity(host: Host, second: int) -> None:
    """Once a simulated second: running guests write to their disks (bounded) and
    dirty their memory (a run per 10 s of uptime)."""
    t = host.lab.sim.table
    now = host.lab.sim.now_us
    files = host.lab.storage_root is not None
    for vm in running_ready(host):
        if files:
            iops = float(t.disk_iops[vm.slot])
            if iops > 0:
                guest_writes(host, vm, second, iops)
        uptime_s = vm.uptime_us(now) // 1_000_000
        if uptime_s % 10 == 0 and uptime_s:
            vm_files.dirty_memory(vm, int(uptime_s))


def running_ready(host: Host) -> list[VmRuntime]:
    return [v for v in host.vms.values()
            if v.state is VmState.RUNNING and v.phase is GuestPhase.READY]


def guest_writes(host: Host, vm: VmRuntime, second: int, iops: float) -> None:
    """What the workload wrote in the last second: a bounded number of 4 KiB pages at
    deterministic places in the disk's working area, held back and written out together
    (:mod:`hvlab.engine.storage.writeback`)."""
    lab = host.lab
    if iops <= 0 or lab.storage_root is None:
        return
    drives = [d for d in vm.config.hard_drives]
    if not drives:
        return
    # One 4 KiB page per 500 IOPS-seconds, at most four a second: idle guests rarely write.
    every = max(1, int(500 // iops))
    if second % every:
        return
    chunks = min(4, max(1, int(iops // 500)))
    for i in range(chunks):
        d = drives[i % len(drives)]
        path = vm_files.current_path(lab, vm, d)
        if path is None or not path.exists():
            continue
        seed = f"{vm.key}:{second}:{i}".encode()
        digest = hashlib.sha256(seed).digest()
        page = int.from_bytes(digest[:4], "little") % vm_files.WORKING_AREA_PAGES
        lba = (2048 * 2048) + page * 8  # past the OS image, 4 KiB aligned
        failed = _write_failed(host, vm, path)
        try:
            size = lab.disk_handles.size(path)
        except (HvError, OSError) as err:
            failed(err)
            return
        if (lba + 8) * 512 <= size:
            lab.disk_handles.hold(path, lba, vm_files.pattern(seed, 4096), failed)


def _write_failed(host: Host, vm: VmRuntime, path: Path) -> OnFailure:
    def report(err: BaseException) -> None:
        # A damaged disk, a full disk, a refused path: logged, the guest carries on.
        if not isinstance(err, (HvError, OSError)):
            raise err
        host.log(ev.CH_WORKER, ev.EV_VM_STORAGE, Level.ERROR,
                 f"'{vm.name}': writing to '{path}' failed: {err}", vm)
        host.lab.disk_handles.close([path])
    return report
