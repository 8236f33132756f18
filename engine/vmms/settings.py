"""Changing a VM's configuration: the one settings rule (every field error at once) and
applying a change set atomically.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hvlab.engine import events as ev
from hvlab.engine.config import EDITABLE_FIELDS, FieldErrors, VmConfig, check_config
from hvlab.engine.errors import ValidationError
from hvlab.engine.events import Level
from hvlab.engine.guests import GuestOs, get_guest_os
from hvlab.engine.lifecycle import PARTITION_STATES, Operation
from hvlab.engine.vmms import admission, rules, tables, vm_files
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime


def guest_of_config(host: Host, cfg: VmConfig) -> GuestOs:
    return get_guest_os(cfg.guest_os)


def validate(host: Host, cfg: VmConfig, exclude: str | None = None) -> None:
    """Raise :class:`ValidationError` naming every field of a whole configuration (a new
    or imported VM, ``exclude`` its own id) that the host refuses, its disks included."""
    errors = FieldErrors()
    check_config(errors, cfg, host.profile, guest_of_config(host, cfg),
                 host.logical_processors, host.other_names(exclude), set(host.net.switches))
    errors.attempt(vm_files.check_attachments, host.lab, cfg.hard_drives)
    errors.raise_if_any()


def change_errors(host: Host, vm: VmRuntime, changes: dict[str, Any]) -> dict[str, str]:
    """Every reason the change set cannot be applied now, by field (empty: it can).

    The one settings rule: ranges and limits of the profile, the locks of the VM's
    state (hot-add rules), and, for a running VM, CPU reserve admission.  ``set_vm`` and
    the Settings dialog's live check both ask it.
    """
    errors = FieldErrors()
    for name in sorted(set(changes) - EDITABLE_FIELDS):
        errors.add(name, f"'{name}' is not a setting that can be changed.")
    known = {k: v for k, v in changes.items() if k in EDITABLE_FIELDS}
    for name, value in known.items():
        if value == getattr(vm.config, name):
            continue
        reason = rules.field_lock(host, vm, name, value)
        if reason is not None:
            errors.add(name, reason)
    try:
        new = replace(vm.config, **known)
    except TypeError as exc:  # pragma: no cover - guarded by EDITABLE_FIELDS
        errors.add(sorted(known)[0], str(exc))
        return errors.by_field
    check_config(errors, new, host.profile, guest_of_config(host, new),
                 host.logical_processors, host.other_names(vm.id), set(host.net.switches))
    if new.hard_drives != vm.config.hard_drives:
        errors.attempt(vm_files.check_attachments, host.lab, new.hard_drives,
                       vm.config.hard_drives)
    if (vm.state in PARTITION_STATES and "cpu_reserve_pct" not in errors.by_field
            and (new.cpu_reserve_pct, new.cpu_count) != (vm.config.cpu_reserve_pct,
                                                         vm.config.cpu_count)):
        shortfall = admission.reserve_shortfall(host, vm, new)
        if shortfall is not None:
            errors.add("cpu_reserve_pct", shortfall)
    return errors.by_field


def set_vm(host: Host, vm: VmRuntime, changes: dict[str, Any]) -> VmConfig:
    """Apply a change set atomically: all fields or none (:meth:`change_errors`)."""
    errors = change_errors(host, vm, changes)
    if errors:
        raise ValidationError.for_fields(errors)
    new = replace(vm.config, **changes)
    old_name = vm.config.name
    vm.config = new
    host.names.note(vm)
    tables.sync_table(host, vm)
    if new.name != old_name:
        host.log(ev.CH_VMMS, ev.EV_VM_RENAMED, Level.INFORMATION,
                 f"'{old_name}' was renamed to '{new.name}'. (Virtual machine ID {vm.id})", vm)
    changed = sorted(k for k, v in changes.items() if v is not None)
    host.log(ev.CH_VMMS, ev.EV_VM_CONFIG, Level.INFORMATION,
             f"'{new.name}' configuration changed: {', '.join(changed)}.", vm)
    host.lab.publish(ev.VmListChanged(host.lab.sim.now_us, host.id, vm.id, "config"))
    return new


def replace_config(host: Host, vm: VmRuntime, cfg: VmConfig) -> None:
    """A whole configuration from a checkpoint or an import (validated by the caller)."""
    vm.config = cfg
    host.names.note(vm)
    tables.sync_table(host, vm)
    host.lab.publish(ev.VmListChanged(host.lab.sim.now_us, host.id, vm.id, "config"))


def rename(host: Host, vm: VmRuntime, new_name: str) -> None:
    rules.require(host, vm, Operation.RENAME)
    set_vm(host, vm, {"name": new_name})
