"""Export and import of a VM as a folder (Export-VM, Import-VM).

An export folder holds ``Virtual Machines/<id>.json`` (configuration, checkpoints, saved
state and the disk chain, every path relative to the export folder), ``Virtual Hard
Disks/`` (the configured disks), ``Snapshots/`` (checkpoint differencing disks) and the
saved-state file.  Export writes into a temporary folder it creates itself and renames it
into place; it never removes anything it did not create.

Import validates everything before it writes anything: every id has the UUID form, no path
may leave the chosen folder, every file it names is there, unknown fields are reported.
The files a library manages are then copied into it, under ``imports/<vm id>/``: the
checkpoint disks always (the library merges and deletes them later), the configured disks
too for Restore and Copy; Register leaves those where they are, attached in place.  A
failed import leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from hvlab.engine import fileguard
from hvlab.engine.config import VmConfig
from hvlab.engine.errors import HvError, InvalidStateError, ValidationError
from hvlab.engine.lifecycle import Operation, VmState
from hvlab.engine.names import CHECKPOINT_NAME, VM_NAME, check_name
from hvlab.engine.storage import reconnect_disk
from hvlab.engine.vmms import inventory, rules, saved_state, settings
from hvlab.engine.vmms.runtime import Checkpoint, SavedState
from hvlab.engine.vmms.vm_files import (
    VHD_FOLDER,
    base_path,
    chain_file,
    chain_path,
    checkpoint_problem,
    resolve,
    saved_state_path,
    saved_state_problem,
    write_saved_state,
)

if TYPE_CHECKING:
    from hvlab.engine.vmms.host import Host
    from hvlab.engine.vmms.lab import Lab
    from hvlab.engine.vmms.runtime import VmRuntime

EXPORT_SCHEMA = 1
MANIFEST_DIR = "Virtual Machines"
SNAPSHOT_DIR = "Snapshots"
#: The library folder imported VMs' files are copied into, one folder per VM id.
IMPORTS_DIR = "imports"
_KNOWN = {"schema", "config", "state", "saved_state", "checkpoints", "current_checkpoint",
          "checkpoint_counter", "current_disks", "disk_parents", "boot_number"}
_MAX_COUNTER = 2**31


def _rel(path: str | os.PathLike[str], root: Path) -> str:
    return PurePosixPath(Path(path).resolve().relative_to(root.resolve())).as_posix()


def _drives(cfg: dict[str, Any], where: Callable[[str], str]) -> dict[str, Any]:
    """A configuration dict with each hard drive's path put through ``where``."""
    return dict(cfg, hard_drives=[dict(h, path=where(h["path"]))
                                  for h in cfg.get("hard_drives", [])])


def plan_export(lab: Lab, host: Host, vm: VmRuntime, folder: Path) -> tuple[Path, list[tuple[
        Path, Path]], dict[str, Any]]:
    """Where each file goes and the manifest; refuses a VM that is not Off or Saved."""
    reason = rules.operation_blocker(host, vm, Operation.EXPORT)
    if reason is not None:
        raise InvalidStateError(f"'{vm.name}' cannot be exported now.", [
            "The operation cannot be performed while the object is in its current state.",
            reason])
    target = folder / vm.name
    if target.exists():
        raise ValidationError("folder", f"'{target}' already exists; choose another folder.")
    copies: list[tuple[Path, Path]] = []
    renames: dict[str, str] = {}  # the VM's record of a file -> its path in the export
    taken: set[Path] = set()

    def copy(stored: str, src: Path, sub: str) -> None:
        dst = target / sub / src.name
        n = 1
        while dst in taken:  # two files of one name from different folders
            n += 1
            dst = target / sub / f"{src.stem}-{n}{src.suffix}"
        taken.add(dst)
        copies.append((src, dst))
        renames[stored] = _rel(dst, target)

    for d in vm.config.hard_drives:
        src = base_path(lab, d)
        if src is not None and src.exists() and chain_path(lab, src) not in renames:
            copy(chain_path(lab, src), src, VHD_FOLDER)
    for child in vm.disk_parents:
        copy(child, chain_file(lab, child), SNAPSHOT_DIR)
    saved = saved_state_path(lab, vm)
    if vm.saved_state is not None and saved is not None and saved.exists():
        copies.append((saved, target / f"{vm.id}.vsv"))

    def mapped(stored: str) -> str:
        return renames.get(stored, "")

    def drive(path: str) -> str:
        p = resolve(lab, path)
        return mapped(chain_path(lab, p)) if p is not None else path

    manifest = {
        "schema": EXPORT_SCHEMA,
        "config": _drives(vm.config.to_dict(), drive),
        "state": vm.state.value,
        "saved_state": vm.saved_state.to_dict() if vm.saved_state is not None else None,
        "checkpoints": [dict(cp.to_dict(), disks={k: mapped(v) for k, v in cp.disks.items()},
                             config=_drives(cp.config, drive))
                        for cp in vm.checkpoints],
        "current_checkpoint": vm.current_checkpoint,
        "checkpoint_counter": vm.checkpoint_counter,
        "current_disks": {k: mapped(v) for k, v in vm.current_disks.items()},
        "disk_parents": {mapped(c): mapped(p) for c, p in vm.disk_parents.items()},
        "boot_number": vm.boot_number,
    }
    return target, copies, manifest


#: Bytes in the MB of a host's ``storage_mb_per_s`` (as saving a VM's memory counts it).
MB = 1 << 20


def transfer_seconds(size_bytes: int, storage_mb_per_s: float) -> float:
    """The simulated time an export or import takes to copy ``size_bytes`` at the host's
    storage rate (docs/engine.md, "Export and import take time")."""
    return size_bytes / (storage_mb_per_s * MB)


def export_bytes(copies: list[tuple[Path, Path]]) -> int:
    """What an export copies: the bytes of every file it writes but its manifest."""
    return sum(src.stat().st_size for src, _ in copies)


def stage_export(target: Path, copies: list[tuple[Path, Path]], manifest: dict[str, Any],
                 vm_id: str, progress: Any, cancelled: Any) -> Path:
    """Copy into a new temporary folder beside ``target`` and return it; the export is put
    into place by :func:`place_export` when its simulated time has passed, or removed by
    :func:`discard_export` when it is cancelled first."""
    fileguard.mkdir(target.parent, parents=True)
    tmp = fileguard.make_temporary_folder(target.parent, target.name, ".exporting")
    try:
        total = sum(src.stat().st_size for src, _ in copies) or 1
        done = 0
        for src, dst in copies:
            if cancelled():
                from hvlab.engine.storage import OperationCancelled

                raise OperationCancelled("The export was cancelled.")
            out = tmp / dst.relative_to(target)
            fileguard.mkdir(out.parent, parents=True)
            fileguard.copy_file(src, out)
            done += src.stat().st_size
            progress(done / total)
        fileguard.mkdir(tmp / MANIFEST_DIR)
        name = fileguard.id_folder(vm_id, "virtual machine")
        fileguard.write_atomic(tmp / MANIFEST_DIR / f"{name}.json",
                               json.dumps(manifest, indent=2).encode("utf-8"))
    except BaseException:
        discard_export(tmp)
        raise
    return tmp


def place_export(tmp: Path, target: Path) -> Path:
    """Rename the finished export into place (all or nothing)."""
    try:
        if target.exists():
            raise ValidationError("folder", f"'{target}' already exists; choose another "
                                            "folder.")
        fileguard.replace_file(tmp, target)
    except BaseException:
        discard_export(tmp)
        raise
    return target


def discard_export(tmp: Path) -> None:
    """Remove an export's temporary folder: only that folder, made by this export."""
    with contextlib.suppress(OSError, HvError):
        fileguard.rmtree(tmp)


def write_export(target: Path, copies: list[tuple[Path, Path]], manifest: dict[str, Any],
                 vm_id: str, progress: Any, cancelled: Any) -> Path:
    """Copy into a new temporary folder, then rename it into place (all or nothing).  Only
    that folder, made by this export, is ever removed."""
    return place_export(stage_export(target, copies, manifest, vm_id, progress, cancelled),
                        target)


def _inside(folder: Path, rel: object, what: str) -> Path:
    """A manifest path, refused unless it is relative and stays inside ``folder``."""
    if not isinstance(rel, str) or not rel:
        raise ValidationError("path", f"The {what} has no path in the export.")
    p = PurePosixPath(rel)
    if p.is_absolute() or Path(rel).is_absolute() or ".." in p.parts or "\\" in rel \
            or (len(rel) > 1 and rel[1] == ":") or "\0" in rel:
        raise ValidationError(
            "path", f"The {what} path '{rel}' points outside the import folder; the import "
                    "was refused and nothing was written.")
    full = (folder / Path(*p.parts)).resolve()
    if not full.is_relative_to(folder.resolve()):
        raise ValidationError("path", f"The {what} path '{rel}' points outside the import "
                                      "folder; the import was refused and nothing was written.")
    if not full.is_file():
        raise ValidationError("path", f"The {what} '{rel}' is missing from the export "
                                      f"folder '{folder}'.")
    return full


def _counter(manifest: dict[str, Any], key: str) -> int:
    value = manifest.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _MAX_COUNTER:
        raise ValueError(f"'{key}' is not a count")
    return value


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
    if not isinstance(manifest, dict) or manifest.get("schema") != EXPORT_SCHEMA:
        raise ValidationError("folder", f"'{manifests[0]}' has an unknown schema.")
    unknown = sorted(set(manifest) - _KNOWN)
    if unknown:
        raise ValidationError("folder", f"'{manifests[0]}' has unknown fields: "
                                        f"{', '.join(unknown)}.")
    try:
        config = VmConfig.from_dict(manifest["config"])
        problem = _manifest_problem(manifest, config)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationError("config", f"The configuration in '{manifests[0]}' is not "
                                        f"valid: {exc}.") from None
    if problem:
        raise ValidationError("config", f"'{manifests[0]}' is not valid: {problem}; the "
                                        "import was refused and nothing was written.")
    check_name(config.name, VM_NAME)
    for d in config.hard_drives:
        _inside(folder, d.path, "virtual hard disk")
    for cp in manifest.get("checkpoints", []):
        for rel in cp["disks"].values():
            _inside(folder, rel, "checkpoint disk")
        for h in cp["config"].get("hard_drives", []):
            if h.get("path"):  # a drive whose disk was not exported has none
                _inside(folder, h["path"], "checkpoint's virtual hard disk")
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


def _manifest_problem(manifest: dict[str, Any], config: VmConfig) -> str | None:
    """What is wrong with the manifest's ids, records and counters (None: nothing)."""
    if not fileguard.is_uuid(config.id):
        return f"the virtual machine id {str(config.id)[:80]!r} is not an id"
    if not all(isinstance(d.path, str) for d in config.hard_drives):
        return "a hard drive has no path"
    _counter(manifest, "checkpoint_counter")
    _counter(manifest, "boot_number")
    checkpoints = manifest.get("checkpoints", [])
    if not isinstance(checkpoints, list):
        return "'checkpoints' is not a list"
    for cp in checkpoints:
        problem = checkpoint_problem(cp)
        if problem:
            return problem
        VmConfig.from_dict(cp["config"])
    now = manifest.get("current_checkpoint")
    if now is not None and now not in {cp["id"] for cp in checkpoints}:
        return "'current_checkpoint' names no checkpoint"
    for key in ("current_disks", "disk_parents"):
        table = manifest.get(key, {})
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            return f"'{key}' is not a table of paths"
    if manifest.get("state") == VmState.SAVED.value:
        problem = saved_state_problem(manifest.get("saved_state"))
        if problem:
            return problem
    return None


def do_import(lab: Lab, host: Host, folder: Path, mode: str, manifest: dict[str, Any],
              config: VmConfig, new_id: str, key: int) -> VmRuntime:
    """Register (configured disks stay), Restore (copied in, same id) or Copy (copied in,
    new id)."""
    if mode not in ("register", "restore", "copy"):
        raise ValidationError("mode", "The import type must be register, restore or copy.")
    vm_id = fileguard.id_folder(new_id if mode == "copy" else config.id, "virtual machine")
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
    links: dict[str, str] = manifest.get("disk_parents", {})
    bases, copied = _import_files(manifest, config, mode)
    root = lab.storage_root
    if root is None and (mode != "register" or links):
        raise InvalidStateError("The virtual machine cannot be imported.",
                                ["This lab has no library folder to copy files into."])
    final = None if root is None else root / IMPORTS_DIR / vm_id
    source = Path(os.path.abspath(folder))

    def place(rel: str) -> str:
        """A configured disk's path as the VM's configuration keeps it."""
        if not rel:
            return rel
        if final is None or rel not in copied:
            return os.fspath(source / Path(*PurePosixPath(rel).parts))
        assert root is not None
        return PurePosixPath(*Path(os.path.relpath(final / Path(*PurePosixPath(rel).parts),
                                                   root / VHD_FOLDER)).parts).as_posix()

    def link(rel: str) -> str:
        """A file of the chain as the VM's records keep it."""
        if final is None or rel not in copied:
            return chain_path(lab, source / Path(*PurePosixPath(rel).parts))
        return chain_path(lab, final / Path(*PurePosixPath(rel).parts))

    drives = tuple(replace(d, path=place(d.path)) for d in config.hard_drives)
    cfg = replace(config, id=vm_id, name=name, hard_drives=drives)
    settings.validate(host, cfg)
    staging: Path | None = None
    moved = False
    try:
        if final is not None and copied:
            staging = _stage(final, source, sorted(copied), links, bases, mode)
            fileguard.replace_file(staging, final)
            moved = True
        vm = inventory.add_vm(host, cfg, key)
    except BaseException:
        # Only what this import made: its staging folder, or that folder renamed into place.
        with contextlib.suppress(OSError, HvError):
            if moved and final is not None:
                fileguard.rmtree(final)
            elif staging is not None:
                fileguard.rmtree(staging)
        raise
    vm.checkpoints = [Checkpoint.from_dict(
        dict(cp, disks={k: link(v) for k, v in cp["disks"].items()},
             config=_drives(dict(cp["config"], id=vm_id, name=name), place)))
        for cp in manifest.get("checkpoints", [])]
    vm.current_checkpoint = manifest.get("current_checkpoint")
    vm.checkpoint_counter = int(manifest.get("checkpoint_counter", 0))
    vm.current_disks = {k: link(v) for k, v in manifest.get("current_disks", {}).items()}
    vm.disk_parents = {link(c): link(p) for c, p in links.items()}
    vm.boot_number = int(manifest.get("boot_number", 0))
    saved = manifest.get("saved_state")
    if manifest.get("state") == VmState.SAVED.value and saved is not None:
        saved_state.restore_saved_state_record(host, vm, SavedState.from_dict(saved))
    return vm


def _import_files(manifest: dict[str, Any], config: VmConfig,
                  mode: str) -> tuple[set[str], set[str]]:
    """The configured disks of an export, and the files an import of ``mode`` copies into
    the library (paths relative to the export folder)."""
    links: dict[str, str] = manifest.get("disk_parents", {})
    bases = {d.path for d in config.hard_drives}
    bases |= {h["path"] for cp in manifest.get("checkpoints", [])
              for h in cp["config"].get("hard_drives", []) if h.get("path")}
    chain = set(links) | set(links.values()) | set(manifest.get("current_disks", {}).values())
    chain |= {v for cp in manifest.get("checkpoints", []) for v in cp["disks"].values()}
    return bases, chain - bases if mode == "register" else chain | bases


def import_bytes(folder: Path, manifest: dict[str, Any], config: VmConfig, mode: str) -> int:
    """What an import of ``mode`` copies into the library, in bytes (Register copies only
    the checkpoint disks; Restore and Copy every disk)."""
    copied = _import_files(manifest, config, mode)[1]
    return sum((folder / Path(*PurePosixPath(rel).parts)).stat().st_size
               for rel in copied if rel)


def _stage(final: Path, source: Path, files: list[str], links: dict[str, str],
           bases: set[str], mode: str) -> Path:
    """Copy ``files`` (paths relative to the export) into a new staging folder beside
    ``final`` and re-point each differencing disk at its parent's new place."""
    if final.exists():
        raise InvalidStateError("The virtual machine cannot be imported.", [
            f"The folder '{final}' already exists in the library; remove it, or import the "
            "virtual machine as a copy (new id)."])
    fileguard.mkdir(final.parent, parents=True)
    staging = fileguard.make_temporary_folder(final.parent, final.name, ".importing")
    try:
        for rel in files:
            out = staging / Path(*PurePosixPath(rel).parts)
            fileguard.mkdir(out.parent, parents=True)
            fileguard.copy_file(source / Path(*PurePosixPath(rel).parts), out)
        for child, parent in links.items():
            stays = mode == "register" and parent in bases
            new_parent = (source if stays else staging) / Path(*PurePosixPath(parent).parts)
            reconnect_disk(staging / Path(*PurePosixPath(child).parts), new_parent)
    except BaseException:
        with contextlib.suppress(OSError, HvError):
            fileguard.rmtree(staging)
        raise
    return staging


__all__ = ["discard_export", "do_import", "export_bytes", "import_bytes", "place_export",
           "plan_export", "read_import", "stage_export", "transfer_seconds", "write_export",
           "write_saved_state"]
