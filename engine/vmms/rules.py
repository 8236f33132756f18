"""What may change or run in which state: the hot-add rules of each setting and the
reasons an operation is not available now.  The console's enablement and the commands
ask the same functions, so they never disagree.
"""

from __future__ import annotations

from typing import Any

from hvlab.engine.config import EDITABLE_FIELDS
from hvlab.engine.errors import InvalidStateError
from hvlab.engine.guest import GuestPhase
from hvlab.engine.lifecycle import Operation, VmState, state_reason
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime


def field_lock(host: Host, vm: VmRuntime, name: str, new_value: Any = None) -> str | None:
    """Why field ``name`` cannot change now (None if it can), from the hot-add rules."""
    if vm.state.transitional:
        return (f"Settings cannot be changed while the virtual machine is "
                f"{vm.state.value}.")
    if vm.state is VmState.OFF:
        return None
    state = vm.state.value
    if name in ("hard_drives", "network_adapters") and new_value is not None:
        return device_lock(host, vm, name, new_value)
    rule = host.profile.hot_add_rule(name)
    if rule == "always":
        return None
    if rule == "static":
        if not vm.config.dynamic_memory_enabled:
            return None
        return f"Startup RAM cannot be changed while the virtual machine is {state} " \
               "with Dynamic Memory enabled."
    if rule == "gen2":
        if vm.config.generation == 2:
            return None
        return f"This setting can be changed on a generation 1 virtual machine only " \
               f"when it is Off; it is {state}."
    if rule in ("decrease", "increase") and vm.state is not VmState.SAVED:
        if new_value is None:
            return None
        old = getattr(vm.config, name)
        lowered = rule == "decrease" and new_value <= old
        if lowered or (rule == "increase" and new_value >= old):
            return None
        direction = "lowered" if rule == "decrease" else "raised"
        return f"While the virtual machine is {state} this value can only be {direction}."
    return f"This setting can be changed only when the virtual machine is Off; it is {state}."


def device_lock(host: Host, vm: VmRuntime, name: str, new: Any) -> str | None:
    """Devices: QoS, switch, VLAN and bandwidth change live; adding or removing a device
    follows the profile's rule for that kind of device."""
    state = vm.state.value
    off_only = ("This setting can be changed only when the virtual machine is Off; "
                f"it is {state}.")
    if name == "network_adapters":
        def shape(adapters: Any) -> list[tuple[bool, str | None]]:
            return [(n.legacy, n.static_mac) for n in adapters]

        if shape(new) == shape(vm.config.network_adapters):
            return None
        rule = host.profile.hot_add_rule("network_adapters")
        legacy_changed = [n.legacy for n in new if n.legacy] != [
            n.legacy for n in vm.config.network_adapters if n.legacy]
        if rule == "gen2" and vm.config.generation == 2 and not legacy_changed:
            return None
        return ("Network adapters can be added or removed only when the virtual machine is "
                f"Off; it is {state}." if rule != "always" else None)

    def place(drives: Any, controller: str) -> set[tuple[int, int, str]]:
        return {(d.controller_number, d.location, d.path) for d in drives
                if d.controller == controller}

    if place(new, "IDE") != place(vm.config.hard_drives, "IDE"):
        return ("IDE drives can be added or removed only when the virtual machine is Off; "
                f"it is {state}.")
    scsi_changed = place(new, "SCSI") != place(vm.config.hard_drives, "SCSI")
    if scsi_changed and host.profile.hot_add_rule("scsi_hard_drives") != "always":
        return off_only
    return None


def locked_fields(host: Host, vm: VmRuntime) -> dict[str, str]:
    out = {}
    for name in sorted(EDITABLE_FIELDS):
        reason = field_lock(host, vm, name)
        if reason is not None:
            out[name] = reason
    return out


def integration_setup_blocker(host: Host, vm: VmRuntime) -> str | None:
    guest = host.guest_of(vm)
    if vm.config.guest_is_installed or vm.is_setup_pending:
        return "Integration services are already installed in the guest."
    if guest.integration_services != "installable":
        return f"No integration services setup disk exists for {guest.name}."
    if vm.state is not VmState.RUNNING or vm.phase is not GuestPhase.READY:
        return "The guest operating system must be running to install integration services."
    return None


def shutdown_blocker(host: Host, vm: VmRuntime) -> str | None:
    guest = host.guest_of(vm)
    if not guest.has_integration_services:
        return (f"Shut Down needs the guest's Operating System Shutdown integration "
                f"service, which does not exist for {guest.name}.")
    if not vm.config.guest_is_installed:
        return ("Shut Down needs the guest's Operating System Shutdown integration service; "
                "integration services are not installed in the guest.")
    if "shutdown" not in guest.services or "shutdown" not in vm.config.integration_services:
        return ("Shut Down needs the guest's Operating System Shutdown integration service, "
                "which is turned off in the virtual machine's settings.")
    if vm.phase is not GuestPhase.READY:
        return ("Shut Down needs the guest's Operating System Shutdown integration service, "
                "which has not started yet.")
    return None


def available_operations(host: Host, vm: VmRuntime) -> dict[Operation, str | None]:
    """Each operation mapped to None (available now) or the reason it is not."""
    return {op: operation_blocker(host, vm, op) for op in Operation}


NO_CHECKPOINT_TO_REVERT = "The virtual machine has no checkpoint to revert to."
#: The job that deletes a VM with its disks (engine/vmms/vm_removal.py).
DELETE_FILES_KIND = "delete-vm-files"
BEING_DELETED = "The virtual machine is being deleted with its virtual hard disks."


def being_deleted(host: Host, vm: VmRuntime) -> bool:
    """True while a delete-with-disks job of ``vm`` runs: the VM takes no other request."""
    if vm.job_id is None:
        return False
    job = host.lab.job_record(vm.job_id)
    return job is not None and job.kind == DELETE_FILES_KIND and not job.state.finished
#: The jobs that move a VM to another node (engine/vmms/migration.py).
MIGRATION_JOBS = ("live-migrate", "quick-migrate")


def migration_blocker(host: Host, vm: VmRuntime) -> str | None:
    """Why nothing else may be done to ``vm`` now: it is moving to another node."""
    job = host.lab.job_record(vm.job_id) if vm.job_id is not None else None
    if job is not None and job.kind in MIGRATION_JOBS and not job.state.finished:
        return "The virtual machine is being migrated to another node."
    return None


def operation_blocker(host: Host, vm: VmRuntime, op: Operation) -> str | None:
    """Why ``op`` cannot be requested for ``vm`` now, or None when it can."""
    if host.rebooting:
        return "The host is restarting."
    if being_deleted(host, vm):
        return BEING_DELETED
    reason = migration_blocker(host, vm) or state_reason(op, vm.state)
    if reason is None and op is Operation.SHUT_DOWN:
        reason = shutdown_blocker(host, vm)
    if reason is None and op is Operation.CHECKPOINT:
        reason = checkpoint_blocker(host, vm)
    if reason is None and op is Operation.REVERT and vm.current_checkpoint is None:
        reason = NO_CHECKPOINT_TO_REVERT
    return reason


def checkpoint_blocker(host: Host, vm: VmRuntime) -> str | None:
    """Why no further checkpoint can be taken (the per-VM limit), or None."""
    limit = host.profile.limits.checkpoints_per_vm
    if len(vm.checkpoints) >= limit:
        return (f"A virtual machine can have at most {limit} "
                f"{host.profile.words.checkpoints.lower()}.")
    return None


def require(host: Host, vm: VmRuntime, op: Operation) -> None:
    if host.rebooting:
        raise InvalidStateError(
            f"'{vm.name}' failed to change state.",
            [f"The host {host.name} is restarting; try again when it is running."],
        )
    if being_deleted(host, vm):
        raise InvalidStateError(f"'{vm.name}' failed to change state.", [BEING_DELETED])
    reason = migration_blocker(host, vm) or state_reason(op, vm.state)
    if reason is not None:
        raise InvalidStateError(
            f"'{vm.name}' failed to change state.",
            ["The operation cannot be performed while the object is in its current state.",
             reason],
        )
