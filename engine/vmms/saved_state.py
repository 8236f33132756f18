"""Saving a VM's state and restoring it: what a Save writes, and a checkpoint's saved
state applied to an Off VM.
"""

from __future__ import annotations

import copy

from hvlab.engine import events as ev
from hvlab.engine.events import Level
from hvlab.engine.guest import GuestPhase
from hvlab.engine.lifecycle import VmState
from hvlab.engine.vmms import partitions, tables, vm_files
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import SavedState, VmRuntime


def discard_saved_state(host: Host, vm: VmRuntime) -> None:
    vm.saved_state = None
    vm.uptime_base_us = 0
    vm_files.remove_saved_state(host.lab, vm)
    host.enter_phase(vm, GuestPhase.OFF, ())
    host.set_state(vm, VmState.OFF, "saved state deleted")


def restore_saved_state_record(host: Host, vm: VmRuntime, record: SavedState) -> None:
    """An Off VM takes a saved state (a checkpoint applied): it becomes Saved."""
    vm.saved_state = record
    vm.phase = record.phase
    tables.sync_table(host, vm)
    try:
        vm_files.write_saved_state(host.lab, vm, record)
    except OSError as err:
        host.log(ev.CH_WORKER, ev.EV_VM_STORAGE, Level.ERROR,
                 f"'{vm.name}': the saved state file could not be written: {err}", vm)
    host.set_state(vm, VmState.SAVED, "checkpoint applied")


def capture_saved_state(host: Host, vm: VmRuntime) -> SavedState:
    """The VM's device state and memory record as a Save would write them."""
    now = host.lab.sim.now_us
    left = vm.guest_frozen_left_us
    if vm.guest_due_us is not None:
        left = max(vm.guest_due_us - now, 0)
    return SavedState(
        memory_mb=int(host.lab.sim.table.memory_assigned_mb[vm.slot]),
        uptime_us=vm.uptime_us(now), phase=vm.phase, plan_index=vm.plan_index,
        frozen_left_us=left, saved_us=now, boot_number=vm.boot_number,
        memory_record=copy.deepcopy(vm.memory_record))


def save_now(host: Host, vm: VmRuntime) -> None:
    """Write the saved state and tear the partition down (memory is freed)."""
    vm.saved_state = capture_saved_state(host, vm)
    try:
        vm_files.write_saved_state(host.lab, vm, vm.saved_state)
    except OSError as err:
        host.log(ev.CH_WORKER, ev.EV_VM_STORAGE, Level.ERROR,
                 f"'{vm.name}': the saved state file could not be written: {err}", vm)
    vm.memory_record = None
    vm.running_since_us = None
    vm.uptime_base_us = 0
    partitions.destroy_partition(host, vm)
    host.set_state(vm, VmState.SAVED, "saved")
    host.console(vm, "--- Saved ---")
