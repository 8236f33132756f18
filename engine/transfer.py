"""Export and import of a VM as a folder (Export-VM, Import-VM).

An export folder holds ``Virtual Machines/<id>.json`` (configuration, checkpoints, saved
state and the disk chain, every path relative to the export folder), ``Virtual Hard
Disks/`` (the configured disks), ``Snapshots/`` (checkpoint differencing disks) and the
saved-state file.  Import validates everything before it writes anything: no path may
leave the chosen folder, unknown configuration fields are reported, and a failed import
leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from engine.config import VmConfig
from engine.errors import InvalidStateError, ValidationError
from engine.lifecycle import Operation, VmState
from engine.names import CHECKPOINT_NAME, VM_NAME, check_name
from engine.storage import reconnect_disk
from engine.vmdisks import (
    VHD_FOLDER,
    base_path,
    saved_state_path,
    write_saved_state,
)

if TYPE_CHECKING:
    from engine.host import Host, VmRuntime
    from engine.lab import Lab

EXPORT_SCHEMA = 1
MANIFEST_DIR = "Virtual Machines"
SNAPSHOT_DIR = "Snapshots"


def _rel(path: str | os.PathLike[str], root: Path) -> str:
    return PurePosixPath(Path(path).resolve().relative_to(root.resolve())).as_posix()


def plan_export(lab: Lab, host: Host, vm: VmRuntime, folder: Path) -> tuple[Path, list[tuple[
        Path, Path]], dict[str, Any]]:
    """Where each file goes and the manifest; refuses a VM that is not Off or Saved."""
    reason = host.operation_blocker(vm, Operation.EXPORT)
    if reason is not None:
        raise InvalidStateError(f"'{vm.name}' cannot be exported now.", [
            "The operation cannot be performed while the object is in its current state.",
            reason])
    target = folder / vm.name
    if target.exists():
        raise ValidationError("folder", f"'{target}' already exists; choose another folder.")
    copies: list[tuple[Path, Path]] = []
    renames: dict[str, str] = {}
    for d in vm.config.hard_drives:
        src = base_path(lab, d)
        if src is not None and src.exists():
            dst = target / VHD_FOLDER / src.name
            copies.append((src, dst))
            renames[os.fspath(src)] = _rel(dst, target)
    for child in vm.disk_parents:
        dst = target / SNAPSHOT_DIR / Path(child).name
        copies.append((Path(child), dst))
        renames[child] = _rel(dst, target)
    saved = saved_state_path(lab, vm)
    if vm.saved_state is not None and saved is not None and saved.exists():
        copies.append((saved, target / f"{vm.id}.vsv"))

    def mapped(path: str) -> str:
        return renames.get(path, renames.get(os.fspath(Path(path)), ""))

    cfg = vm.config.to_dict()
    cfg["hard_drives"] = [dict(h, path=mapped(os.fspath(p)) if (p := base_path(lab, d))
                               else h["path"]) for h, d in zip(cfg["hard_drives"],
                                                               vm.config.hard_drives,
                                                               strict=True)]
    manifest = {
        "schema": EXPORT_SCHEMA,
        "config": cfg,
        "state": vm.state.value,
        "saved_state": vm.saved_state,
        "checkpoints": [dict(cp, disks={k: mapped(v) for k, v in cp["disks"].items()})
                        for cp in vm.checkpoints],
        "current_checkpoint": vm.current_checkpoint,
        "checkpoint_counter": vm.checkpoint_counter,
        "current_disks": {k: mapped(v) for k, v in vm.current_disks.items()},
        "disk_parents": {mapped(c): mapped(p) for c, p in vm.disk_parents.items()},
        "boot_number": vm.boot_number,
    }
    return target, copies, manifest


def write_export(target: Path, copies: list[tuple[Path, Path]], manifest: dict[str, Any],
                 vm_id: str, progress: Any, cancelled: Any) -> Path:
    """Copy into a temporary folder, then rename it into place (all or nothing)."""
    tmp = target.with_name(f".{target.name}.exporting")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        total = sum(src.stat().st_size for src, _ in copies) or 1
        done = 0
        for src, dst in copies:
            if cancelled():
                from engine.storage import OperationCancelled

                raise OperationCancelled("The export was cancelled.")
            out = tmp / dst.relative_to(target)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out)
            done += src.stat().st_size
            progress(done / total)
        (tmp / MANIFEST_DIR).mkdir(parents=True, exist_ok=True)
        (tmp / MANIFEST_DIR / f"{vm_id}.json").write_text(json.dumps(manifest, indent=2),
                                                         encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _inside(folder: Path, rel: str, what: str) -> Path:
    """A manifest path, refused unless it is relative and stays inside ``folder``."""
    if not rel:
        raise ValidationError("path", f"The {what} has no path in the export.")
    p = PurePosixPath(rel)
    if p.is_absolute() or Path(rel).is_absolute() or ".." in p.parts or "\\" in rel \
            or (len(rel) > 1 and rel[1] == ":"):
        raise ValidationError(
            "path", f"The {what} path '{rel}' points outside the import folder; the import "
                    "was refused and nothing was written.")
    full = (folder / Path(*p.parts)).resolve()
    if not full.is_relative_to(folder.resolve()):
        raise ValidationError("path", f"The {what} path '{rel}' points outside the import "
                                      "folder; the import was refused and nothing was written.")
    return full


def read_import(folder: Path) -> tuple[dict[str, Any], VmConfig]:
    """Validate an export folder completely (before anything is written)."""
    manifests = sorted((folder / MANIFEST_DIR).glob("*.json"))
    if len(manifests) != 1:
        raise ValidationError("folder", f"'{folder}' is not a virtual machine export: it needs "
                                        f"exactly one file in '{MANIFEST_DIR}'.")
    try:
        manifest = json.loads(manifests[0].read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError("folder", f"'{manifests[0]}' cannot be read: {exc}.") from None
    if manifest.get("schema") != EXPORT_SCHEMA:
        raise ValidationError("folder", f"'{manifests[0]}' has an unknown schema.")
    known = {"schema", "config", "state", "saved_state", "checkpoints", "current_checkpoint",
             "checkpoint_counter", "current_disks", "disk_parents", "boot_number"}
    unknown = sorted(set(manifest) - known)
    if unknown:
        raise ValidationError("folder", f"'{manifests[0]}' has unknown fields: "
                                        f"{', '.join(unknown)}.")
    try:
        config = VmConfig.from_dict(manifest["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError("config", f"The configuration in '{manifests[0]}' is not "
                                        f"valid: {exc}.") from None
    check_name(config.name, VM_NAME)
    for d in config.hard_drives:
        _inside(folder, d.path, "virtual hard disk")
    for cp in manifest.get("checkpoints", []):
        for rel in cp.get("disks", {}).values():
            _inside(folder, rel, "checkpoint disk")
        VmConfig.from_dict(cp["config"])
        cp["name"] = check_name(cp.get("name"), CHECKPOINT_NAME)
    for rel in manifest.get("current_disks", {}).values():
        _inside(folder, rel, "current disk")
    for child, parent in manifest.get("disk_parents", {}).items():
        _inside(folder, child, "differencing disk")
        _inside(folder, parent, "parent disk")
    for path_text in (config.checkpoint_location, config.smart_paging_location):
        if path_text and (Path(path_text).is_absolute() or ".." in Path(path_text).parts):
            raise ValidationError("path", f"The location '{path_text}' points outside the "
                                          "import folder; the import was refused.")
    return manifest, config


def do_import(lab: Lab, host: Host, folder: Path, mode: str, manifest: dict[str, Any],
              config: VmConfig, new_id: str, key: int) -> VmRuntime:
    """Register (files stay), Restore (copied in, same id) or Copy (copied in, new id)."""
    if mode not in ("register", "restore", "copy"):
        raise ValidationError("mode", "The import type must be register, restore or copy.")
    vm_id = new_id if mode == "copy" else config.id
    if any(vm_id in h.vms for h in lab.hosts.values()):
        raise InvalidStateError("The virtual machine cannot be imported.",
                                [f"A virtual machine with id {vm_id} already exists; import "
                                 "it as a copy (new id) instead."])
    name = config.name
    taken = {v.name.casefold() for v in host.vms.values()}
    if name.casefold() in taken:
        if mode != "copy":
            raise InvalidStateError("The virtual machine cannot be imported.",
                                    [f"A virtual machine named '{name}' already exists."])
        n = 2
        while f"{name} ({n})".casefold() in taken:
            n += 1
        name = f"{name} ({n})"
    if mode == "register":
        root = folder
        staging: Path | None = None
    else:
        if lab.storage_root is None:
            raise InvalidStateError("The virtual machine cannot be imported.",
                                    ["This lab has no library folder to copy files into."])
        root = lab.storage_root / "imports" / vm_id
        staging = root.with_name(f".{vm_id}.importing")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(folder, staging)
    try:
        base = staging if staging is not None else root

        def place(rel: str) -> str:
            return os.fspath(root / Path(*PurePosixPath(rel).parts))

        drives = tuple(replace(d, path=place(d.path)) for d in config.hard_drives)
        cfg = replace(config, id=vm_id, name=name, hard_drives=drives)
        host.validate(cfg)
        if staging is not None:
            # Re-point the differencing disks at their parents' new paths, in the copy.
            for child, parent in manifest.get("disk_parents", {}).items():
                reconnect_disk(os.fspath(base / child), os.fspath(base / parent))
            os.replace(staging, root)
        vm = host.add_vm(cfg, key)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            if root.exists() and not any(v.id == vm_id for v in host.vms.values()):
                shutil.rmtree(root, ignore_errors=True)
        raise
    vm.checkpoints = [dict(cp, disks={k: place(v) for k, v in cp["disks"].items()},
                           config=dict(cp["config"], id=vm_id, name=name))
                      for cp in manifest.get("checkpoints", [])]
    vm.current_checkpoint = manifest.get("current_checkpoint")
    vm.checkpoint_counter = int(manifest.get("checkpoint_counter", 0))
    vm.current_disks = {k: place(v) for k, v in manifest.get("current_disks", {}).items()}
    vm.disk_parents = {place(c): place(p) for c, p in manifest.get("disk_parents", {}).items()}
    vm.boot_number = int(manifest.get("boot_number", 0))
    saved = manifest.get("saved_state")
    if manifest.get("state") == VmState.SAVED.value and saved is not None:
        host.restore_saved_state_record(vm, saved)
    return vm


__all__ = ["do_import", "plan_export", "read_import", "write_export",
           "write_saved_state"]
