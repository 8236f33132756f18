"""Checkpoints, as Hyper-V takes them: taking one freezes each current disk and continues on
a new ``.avhd`` child; applying one starts a new child of the checkpoint's disks; deleting one
merges what can be merged so that no data written after it is lost.  A running VM's
checkpoint keeps its saved state too.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path

from hvlab.engine import events as ev
from hvlab.engine import fileguard
from hvlab.engine.config import VmConfig
from hvlab.engine.errors import (
    InvalidStateError,
    NotFoundError,
    ResourceLimitError,
)
from hvlab.engine.events import Level
from hvlab.engine.lifecycle import Operation, VmState
from hvlab.engine.names import CHECKPOINT_NAME, check_name, checkpoint_name, normalize
from hvlab.engine.storage import (
    DiskType,
    create_vhd,
    merge_disk,
    reconnect_disk,
)
from hvlab.engine.vmms import power, rules, saved_state, settings, vm_files
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import Checkpoint, VmRuntime


def find_checkpoint(vm: VmRuntime, checkpoint_id: str) -> Checkpoint:
    """By id, or by name as the name rule stores it (any composition of an accent)."""
    name = normalize(checkpoint_id, CHECKPOINT_NAME)
    for cp in vm.checkpoints:
        if checkpoint_id in (cp.id, cp.name) or cp.name == name:
            return cp
    raise NotFoundError(f"'{vm.name}' has no checkpoint '{checkpoint_id}'.")


def take_checkpoint(host: Host, vm: VmRuntime, name: str | None) -> Checkpoint:
    """Checkpoint-VM: freeze the disks, copy the configuration, capture the saved state of
    a running VM; the VM continues on new differencing disks."""
    lab = host.lab
    # The same rule available_operations lists, so the console's Checkpoint action and this
    # command never disagree.
    if name is not None:
        name = check_name(name, CHECKPOINT_NAME)
    reason = rules.operation_blocker(host, vm, Operation.CHECKPOINT)
    if reason is not None:
        title = f"Cannot create a {host.profile.words.checkpoint.lower()} of '{vm.name}'."
        if reason == rules.checkpoint_blocker(host, vm):
            raise ResourceLimitError(title, [reason])
        raise InvalidStateError(title, [
            "The operation cannot be performed while the object is in its current state.",
            reason])
    index = vm.checkpoint_counter
    cid = str(uuid.UUID(bytes=vm_files.ident(lab, "checkpoint", vm.id, index), version=4)).upper()
    disks: dict[str, str] = {}
    folder = vm_files.vm_folder(lab, vm.id)
    new_disks: dict[str, str] = {}
    made: list[Path] = []
    try:
        for d in vm.config.hard_drives:
            cur = vm_files.current_path(lab, vm, d)
            if cur is None or not cur.exists() or folder is None:
                continue
            key = vm_files.drive_key(d)
            child = folder / f"{Path(d.path).stem}_{cid[:8]}.avhd"
            fileguard.mkdir(folder, parents=True)
            lab.disk_handles.close([cur])
            create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=cur,
                       unique_id=vm_files.ident(lab, "avhd", child.name),
                       timestamp=vm_files.vhd_time(lab))
            made.append(child)
            disks[key] = vm_files.chain_path(lab, cur)
            new_disks[key] = vm_files.chain_path(lab, child)
    except BaseException:
        for child in made:  # all the disks or none: the VM keeps writing where it did
            fileguard.unlink(child, missing_ok=True)
        raise
    vm.checkpoint_counter += 1
    for key, child_path in new_disks.items():
        vm.disk_parents[child_path] = disks[key]
        vm.current_disks[key] = child_path
    saved = None
    if vm.partition_id is not None:
        saved = saved_state.capture_saved_state(host, vm)
    elif vm.saved_state is not None:
        saved = copy.deepcopy(vm.saved_state)
    record = Checkpoint(cid, name or checkpoint_name(vm.name, lab.sim.now_us),
                        vm.current_checkpoint, lab.sim.now_us, vm.config.to_dict(), saved, disks)
    vm.checkpoints.append(record)
    vm.current_checkpoint = cid
    host.log(ev.CH_VMMS, ev.EV_CHECKPOINT, Level.INFORMATION,
             f"{host.profile.words.checkpoint} '{record.name}' of '{vm.name}' was created.",
             vm)
    return record


def apply_checkpoint(host: Host, vm: VmRuntime, checkpoint_id: str) -> None:
    """Restore-VMSnapshot: the VM returns to the checkpoint (Saved if it was running then,
    else Off); what it did since the checkpoint is discarded."""
    lab = host.lab
    cp = find_checkpoint(vm, checkpoint_id)
    if vm.state.transitional:
        raise InvalidStateError(
            f"Cannot apply the checkpoint to '{vm.name}'.",
            [f"The operation cannot be performed while the virtual machine is {vm.state.value}."])
    if vm.partition_id is not None:
        power.power_off(host, vm, "checkpoint applied")
    if vm.saved_state is not None:
        saved_state.discard_saved_state(host, vm)
    config = VmConfig.from_dict(cp.config)
    adapters = tuple(a if a.switch is None or a.switch in host.net.switches
                     else type(a)(**{**a.__dict__, "switch": None})
                     for a in config.network_adapters)
    from dataclasses import replace

    settings.replace_config(host, vm, replace(config, id=vm.id, name=vm.name,
                                              network_adapters=adapters))
    folder = vm_files.vm_folder(lab, vm.id)
    stamp = vm.checkpoint_counter
    vm.checkpoint_counter += 1
    for key, frozen in cp.disks.items():
        if folder is None:
            break
        child = folder / f"{Path(frozen).stem.split('_')[0]}_{cp.id[:8]}_{stamp}.avhd"
        fileguard.mkdir(folder, parents=True)
        parent = vm_files.chain_file(lab, frozen)
        lab.disk_handles.close([parent])
        create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=parent,
                   unique_id=vm_files.ident(lab, "avhd", child.name),
                   timestamp=vm_files.vhd_time(lab))
        vm.disk_parents[vm_files.chain_path(lab, child)] = frozen
        vm.current_disks[key] = vm_files.chain_path(lab, child)
    vm.current_checkpoint = cp.id
    collect(host, vm)
    if cp.saved_state is not None:
        saved_state.restore_saved_state_record(host, vm, copy.deepcopy(cp.saved_state))
    host.log(ev.CH_VMMS, ev.EV_CHECKPOINT, Level.INFORMATION,
             f"{host.profile.words.checkpoint} '{cp.name}' was applied to '{vm.name}'.", vm)


def rename_checkpoint(host: Host, vm: VmRuntime, checkpoint_id: str, name: str) -> None:
    cp = find_checkpoint(vm, checkpoint_id)
    cp.name = check_name(name, CHECKPOINT_NAME)


def delete_checkpoint(host: Host, vm: VmRuntime, checkpoint_id: str, subtree: bool) -> None:
    """Remove-VMSnapshot [-IncludeAllChildSnapshots]: the checkpoint goes; its disk is
    merged into the disk that follows it where that is the only one, so nothing written
    after the checkpoint is lost."""
    cp = find_checkpoint(vm, checkpoint_id)
    if vm.state.transitional:
        raise InvalidStateError(
            f"Cannot delete the {host.profile.words.checkpoint.lower()} of '{vm.name}'.",
            [f"The operation cannot be performed while the virtual machine is {vm.state.value}."])
    doomed = {cp.id}
    if subtree:
        changed = True
        while changed:
            changed = False
            for other in vm.checkpoints:
                if other.parent in doomed and other.id not in doomed:
                    doomed.add(other.id)
                    changed = True
    for other in vm.checkpoints:
        if other.parent in doomed and other.id not in doomed:
            other.parent = cp.parent
    if vm.current_checkpoint in doomed:
        vm.current_checkpoint = cp.parent
    vm.checkpoints = [c for c in vm.checkpoints if c.id not in doomed]
    collect(host, vm)
    waits = " Its differencing disk is merged when the virtual machine is turned off." \
        if merge_pending(vm) and merge_waits(host, vm) else ""
    word = host.profile.words.checkpoint  # "Snapshot" on 2008 and 2008 R2
    host.log(ev.CH_VMMS, ev.EV_CHECKPOINT, Level.INFORMATION,
             f"{word} '{cp.name}'{' and its subtree' if subtree else ''} of '{vm.name}' "
             f"was deleted.{waits}", vm)


def _merge_candidate(vm: VmRuntime) -> tuple[str, str] | None:
    """A (parent, child) pair of disks to merge: the parent is no checkpoint's state and
    has only that one child."""
    children: dict[str, list[str]] = {}
    for child, parent in vm.disk_parents.items():
        children.setdefault(parent, []).append(child)
    frozen = {p for cp in vm.checkpoints for p in cp.disks.values()}
    return next(((parent, kids[0]) for parent, kids in sorted(children.items())
                 if len(kids) == 1 and parent not in frozen), None)


def merge_waits(host: Host, vm: VmRuntime) -> bool:
    """Before Windows Server 2012 a deleted snapshot's differencing disk is merged only
    while the VM is turned off (the profile's ``live_merge``)."""
    return not host.profile.features.live_merge and vm.state is not VmState.OFF


def merge_pending(vm: VmRuntime) -> bool:
    """A deleted checkpoint's disk still waits to be merged."""
    return _merge_candidate(vm) is not None


def merge_when_off(host: Host, vm: VmRuntime) -> None:
    """The VM was turned off: merge what waited (2008 and 2008 R2 hosts)."""
    if vm.state is not VmState.OFF or not merge_pending(vm):
        return
    collect(host, vm)
    host.log(ev.CH_VMMS, ev.EV_CHECKPOINT, Level.INFORMATION,
             f"The differencing disks of the deleted "
             f"{host.profile.words.checkpoints.lower()} of '{vm.name}' were merged now that "
             "it is turned off.", vm)


def collect(host: Host, vm: VmRuntime) -> None:
    """Retire the .avhd files nothing needs, and merge a disk into its parent where the
    parent is no checkpoint's state and has only that one child.  Retired files are deleted
    by the library after the commit that stops naming them (Lab.retire_file), so a crash in
    between never leaves a committed chain without its files."""
    lab = host.lab
    base = {vm_files.chain_path(lab, p) for d in vm.config.hard_drives
            if (p := vm_files.base_path(lab, d)) is not None}
    while True:
        referenced = set(vm.current_disks.values()) | base
        for cp in vm.checkpoints:
            referenced |= set(cp.disks.values())
        needed = set()
        for path in referenced:
            while path and path not in needed:
                needed.add(path)
                path = vm.disk_parents.get(path, "")
        for path in [p for p in vm.disk_parents if p not in needed]:
            lab.disk_handles.close([vm_files.chain_file(lab, path)])
            del vm.disk_parents[path]
            lab.retire_file(vm_files.chain_file(lab, path))
        merge = _merge_candidate(vm)
        if merge is None or merge_waits(host, vm):
            return
        parent, child = merge
        grandchildren = [c for c, p in vm.disk_parents.items() if p == child]
        lab.disk_handles.close(
            [vm_files.chain_file(lab, p) for p in (parent, child, *grandchildren)])
        merge_disk(vm_files.chain_file(lab, child), delete_child=False)
        del vm.disk_parents[child]
        for key, path in list(vm.current_disks.items()):
            if path == child:
                vm.current_disks[key] = parent
        for cp in vm.checkpoints:
            for key, path in list(cp.disks.items()):
                if path == child:
                    cp.disks[key] = parent
        for grandchild in grandchildren:
            reconnect_disk(vm_files.chain_file(lab, grandchild), vm_files.chain_file(lab, parent),
                           ignore_id_mismatch=True)
            vm.disk_parents[grandchild] = parent
        lab.retire_file(vm_files.chain_file(lab, child))


