"""A VM's real files: its virtual hard disks, checkpoint chains and saved-state file.

Files live under the lab's ``storage_root`` (the library folder): base disks in
``Virtual Hard Disks/``, checkpoint differencing disks (``.avhd``) and the saved-state file
(``.vsv``) in the VM's folder ``vms/<id>/``.  A lab without a storage root (an in-memory lab)
records disk paths but has no files; checkpoints then keep configuration and saved state only.

Checkpoints follow Hyper-V: taking one freezes each current disk and continues on a new
``.avhd`` child; applying one starts a new child of the checkpoint's disks; deleting one
merges what can be merged so that no data written after it is lost.  The chain bookkeeping
(``disk_parents``) is the VM's own record of the ``.avhd`` files it made.

The VM's records (``current_disks``, ``disk_parents``, each checkpoint's ``disks``) keep a
file inside the library as a path relative to the library folder (``vms/<id>/x_1A2B.avhd``,
``Virtual Hard Disks/x.vhd``), so a copied or moved library is whole; a disk the user keeps
elsewhere stays absolute.  :func:`chain_path` and :func:`chain_file` convert.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from hvlab.engine import events as ev
from hvlab.engine import fileguard
from hvlab.engine.config import HardDrive, VmConfig
from hvlab.engine.errors import (
    DiskAttachError,
    HvError,
    InvalidStateError,
    NotFoundError,
    ResourceLimitError,
    ValidationError,
)
from hvlab.engine.events import Level
from hvlab.engine.guest import GuestPhase
from hvlab.engine.lifecycle import Operation
from hvlab.engine.names import CHECKPOINT_NAME, check_name, normalize
from hvlab.engine.storage import (
    DiskType,
    VhdCorruptError,
    VhdDisk,
    VhdError,
    VhdParentError,
    create_vhd,
    merge_disk,
    open_vhd,
    reconnect_disk,
    vhd_problem,
)
from hvlab.engine.storage.writeback import OnFailure, PendingWrites

if TYPE_CHECKING:
    from hvlab.engine.host import Host, VmRuntime
    from hvlab.engine.lab import Lab

VHD_FOLDER = "Virtual Hard Disks"
VMS_FOLDER = "vms"
DEFAULT_DISK_BYTES = 127 * 1024**3
#: Guest writes touch this much of the disk (a working area), in 4 KiB pages: a busy disk
#: grows by at most 32 MiB, so a lab left running does not fill the host's disk.
WORKING_AREA_PAGES = 8 * 1024
VHD_EPOCH_UNIX = 946684800  # 2000-01-01
SAVED_STATE_SCHEMA = 1
MAX_OPEN_DISKS = 64


def drive_key(d: HardDrive) -> str:
    return f"{d.controller.lower()}{d.controller_number}:{d.location}"


def vm_folder(lab: Lab, vm_id: str) -> Path | None:
    if lab.storage_root is None:
        return None
    return lab.storage_root / VMS_FOLDER / fileguard.id_folder(vm_id, "virtual machine")


def vhd_folder(lab: Lab) -> Path | None:
    return None if lab.storage_root is None else lab.storage_root / VHD_FOLDER


def resolve(lab: Lab, path: str) -> Path | None:
    """A disk path as a file: absolute paths as given; relative ones in the VHD folder."""
    p = Path(path)
    if p.is_absolute():
        return p
    folder = vhd_folder(lab)
    return None if folder is None else folder / p


def base_path(lab: Lab, d: HardDrive) -> Path | None:
    return resolve(lab, d.path)


def current_path(lab: Lab, vm: VmRuntime, d: HardDrive) -> Path | None:
    current = vm.current_disks.get(drive_key(d))
    return chain_file(lab, current) if current else base_path(lab, d)


def chain_path(lab: Lab, path: Path) -> str:
    """How a VM's records keep ``path``: relative to the library folder when it is inside
    (POSIX separators), else absolute."""
    root = lab.storage_root
    if root is not None:
        try:
            inside = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
        except ValueError:
            pass
        else:
            return PurePosixPath(*inside.parts).as_posix()
    return os.fspath(path)


def chain_file(lab: Lab, stored: str) -> Path:
    """The file a VM's record names (see :func:`chain_path`)."""
    p = Path(stored)
    if p.is_absolute() or lab.storage_root is None:
        return p
    return lab.storage_root / Path(*PurePosixPath(stored).parts)


def chain_files(vm: VmRuntime) -> Iterator[str]:
    """Every path the VM's records name: current disks, chain links, checkpoint disks."""
    yield from vm.current_disks.values()
    for child, parent in vm.disk_parents.items():
        yield child
        yield parent
    for cp in vm.checkpoints:
        yield from cp["disks"].values()


def _count(value: object, low: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value < 2**63


def saved_state_problem(record: object) -> str | None:
    """Why a saved-state record read from a file cannot be restored, or None."""
    if not isinstance(record, dict):
        return "the saved state is not a record"
    if not _count(record.get("memory_mb"), 1) or not _count(record.get("uptime_us")):
        return "the saved state has no valid memory size or uptime"
    if record.get("phase") not in {int(p) for p in GuestPhase}:
        return "the saved state has no valid guest phase"
    if not _count(record.get("plan_index"), -1):
        return "the saved state has no valid boot step"
    left = record.get("frozen_left_us")
    if left is not None and not _count(left):
        return "the saved state has no valid pending boot step"
    memory = record.get("memory_record")
    if memory is not None and not (isinstance(memory, dict) and _count(memory.get("pages"))
                                   and isinstance(memory.get("runs"), list)):
        return "the saved state has no valid memory record"
    return None


def checkpoint_problem(cp: object) -> str | None:
    """Why a checkpoint record read from a file cannot be used, or None.  Its id names
    files, so it must be an id."""
    if not isinstance(cp, dict) or not fileguard.is_uuid(cp.get("id")):
        return "a checkpoint has no valid id"
    if cp.get("parent") is not None and not fileguard.is_uuid(cp["parent"]):
        return f"the checkpoint {cp['id']} has no valid parent id"
    if not isinstance(cp.get("name"), str) or not _count(cp.get("created_us")) \
            or not isinstance(cp.get("config"), dict):
        return f"the checkpoint {cp['id']} has no valid name, time or configuration"
    disks = cp.get("disks")
    if not isinstance(disks, dict) or not all(isinstance(t, str) for t in disks.values()):
        return f"the checkpoint {cp['id']} has no valid disks"
    if cp.get("saved_state") is not None:
        return saved_state_problem(cp["saved_state"])
    return None


def chain_problem(configs: Iterable[VmConfig], runtime: dict[str, Any]) -> str | None:
    """Why the disk records of a VM's runtime (as read from a file) cannot be trusted, or
    None.  A checkpoint disk it made lies inside the library; the only files outside it may
    name are the disks its configurations attach."""
    bases = {os.path.normpath(d.path) for cfg in configs for d in cfg.hard_drives
             if isinstance(d.path, str) and os.path.isabs(d.path)}

    def inside(text: object) -> bool:
        if not isinstance(text, str) or not text or os.path.isabs(text) or "\\" in text \
                or "\0" in text:
            return False
        parts = PurePosixPath(text).parts
        return bool(parts) and ".." not in parts

    def allowed(text: object) -> bool:
        return inside(text) or (isinstance(text, str) and os.path.isabs(text)
                                and "\0" not in text and os.path.normpath(text) in bases)

    checkpoints = runtime.get("checkpoints", [])
    links = runtime.get("disk_parents", {})
    current = runtime.get("current_disks", {})
    if not (isinstance(checkpoints, list) and isinstance(links, dict)
            and isinstance(current, dict)):
        return "its checkpoint records are not lists and tables"
    for child, parent in links.items():
        if not inside(child):
            return f"the checkpoint disk '{child}' is not a file of the library"
        if not allowed(parent):
            return f"the parent disk '{parent}' is neither in the library nor attached"
    for text in current.values():
        if not allowed(text):
            return f"the current disk '{text}' is neither in the library nor attached"
    for cp in checkpoints:
        problem = checkpoint_problem(cp)
        if problem:
            return problem
        if not all(allowed(t) for t in cp["disks"].values()):
            return f"the checkpoint {cp['id']} names a disk outside the library"
    now = runtime.get("current_checkpoint")
    if now is not None and now not in {cp["id"] for cp in checkpoints}:
        return "the current checkpoint is not one of its checkpoints"
    if runtime.get("saved_state") is not None:
        return saved_state_problem(runtime["saved_state"])
    return None


def _ident(lab: Lab, *parts: object) -> bytes:
    """A deterministic 16-byte id (a VHD's unique id) from the seed and a name."""
    digest = hashlib.sha256(":".join(map(str, (lab.seed, *parts))).encode()).digest()
    return digest[:16]


def vhd_time(lab: Lab) -> int:
    """VHD time stamps follow the simulated clock (seconds since 2000), so runs repeat."""
    return int(lab.now_us // 1_000_000)


class DiskHandles:
    """Open writable disks for guest writes, least recently used closed first, and the
    guest writes held back for them (:mod:`hvlab.engine.storage.writeback`): whatever uses a
    disk through :meth:`get` or :meth:`close` finds the held writes in the file first."""

    def __init__(self) -> None:
        self._open: OrderedDict[str, VhdDisk] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self._held = PendingWrites()

    def get(self, path: Path) -> VhdDisk:
        disk = self._open_disk(path)
        if path in self._held:
            self._held.write_out(path, disk)
        return disk

    def _open_disk(self, path: Path) -> VhdDisk:
        key = os.fspath(path)
        disk = self._open.pop(key, None)
        if disk is None:
            disk = open_vhd(key, writable=True)
            self._sizes[key] = disk.size
            while len(self._open) >= MAX_OPEN_DISKS:
                _, old = self._open.popitem(last=False)
                old.close()
        self._open[key] = disk
        return disk

    def size(self, path: Path) -> int:
        """The guest size of the disk at ``path`` in bytes, opening it only the first time
        (or after :meth:`close`: a disk operation may have resized it)."""
        known = self._sizes.get(os.fspath(path))
        return known if known is not None else self._open_disk(path).size

    def hold(self, path: Path, lba: int, data: bytes, on_failure: OnFailure) -> None:
        """A guest write, written out with the others held for the disk (see the module
        :mod:`hvlab.engine.storage.writeback`); ``on_failure`` reports a write that failed."""
        self._held.hold(path, lba, data, on_failure)
        if self._held.over_limit:
            self.write_out()

    def write_out(self, paths: Iterable[Path] | None = None) -> None:
        """Write the held guest writes of ``paths`` (default: every disk) to their files."""
        for path in self._held.paths() if paths is None else paths:
            if path not in self._held:
                continue
            try:
                disk = self._open_disk(path)
            except (HvError, OSError) as err:
                on_failure = self._held.failure_handler(path)
                self._held.drop(path)
                if on_failure is None:
                    raise
                on_failure(err)
                continue
            self._held.write_out(path, disk)

    def __del__(self) -> None:
        # A lab dropped without close() (tests, scripts) still closes its files cleanly.
        with contextlib.suppress(Exception):
            self.write_out()
        for disk in self._open.values():
            disk.close()
        self._open.clear()

    def close(self, paths: list[Path] | None = None) -> None:
        self.write_out(paths)
        keys = list(self._open) if paths is None else [os.fspath(p) for p in paths]
        if paths is None:
            self._sizes.clear()
        for key in keys:
            self._sizes.pop(key, None)
        for key in keys:
            disk = self._open.pop(key, None)
            if disk is not None:
                disk.close()


# -- creating disks and guest writes --------------------------------------------------------

#: File name endings of virtual hard disks (Hyper-V's; hvlab writes VHD content).
DISK_SUFFIXES = (".vhd", ".avhd", ".vhdx", ".avhdx")


def check_attachments(lab: Lab, drives: tuple[HardDrive, ...],
                      before: tuple[HardDrive, ...] = ()) -> None:
    """Refuse a drive path that is not a virtual hard disk, before anything is attached:
    the name must end as a disk's does, and in a lab with files an existing file must be a
    VHD (:func:`hvlab.engine.storage.vhd_problem`).  A path that does not exist yet is a new disk,
    made when the VM is created.  Paths already attached (``before``) are not checked again."""
    known = {d.path for d in before}
    for d in drives:
        if d.path in known:
            continue
        if not d.path.lower().endswith(DISK_SUFFIXES):
            raise ValidationError(
                "hard_drives", f"'{d.path}' is not a virtual hard disk file: its name must end "
                               f"in {', '.join(DISK_SUFFIXES[:-1])} or {DISK_SUFFIXES[-1]}.")
        path = base_path(lab, d)
        if path is None or not (path.exists() or path.is_symlink()):
            continue
        problem = vhd_problem(path)
        if problem is not None:
            raise ValidationError("hard_drives", problem)


def create_missing_disks(lab: Lab, cfg: VmConfig) -> list[Path]:
    """Give each drive whose file does not exist a new dynamic disk (127 GB, Hyper-V's
    default); a bootable drive gets the guest's installed OS written to it.  Returns the
    files made; if one fails, those made before it are removed again."""
    made: list[Path] = []
    try:
        for d in cfg.hard_drives:
            path = base_path(lab, d)
            if path is None or path.exists():
                continue
            fileguard.mkdir(path.parent, parents=True)
            create_vhd(path, DEFAULT_DISK_BYTES, unique_id=_ident(lab, "vhd", path.name),
                       timestamp=vhd_time(lab))
            made.append(path)
            if d.bootable:
                write_os_image(lab, cfg, path)
    except BaseException:
        for path in made:
            lab.disk_handles.close([path])
            fileguard.unlink(path, missing_ok=True)
        raise
    return made


def _pattern(seed: bytes, length: int) -> bytes:
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed).digest()[:8], "little"))
    return rng.integers(0, 256, length, dtype=np.uint8).tobytes()


def write_os_image(lab: Lab, cfg: VmConfig, path: Path) -> None:
    """The OS install phase: a deterministic pattern where an OS puts its files (boot
    sector, system files, page file), so the dynamic disk grows as a real one would."""
    guest = cfg.guest_os.encode()
    with open_vhd(path, writable=True) as disk:
        for lba, label in ((0, b"boot"), (128 * 2048, b"system"), (1024 * 2048, b"pagefile")):
            if lba * 512 < disk.size:
                disk.write_sectors(lba, _pattern(guest + label + cfg.id.encode(), 64 * 1024))
        disk.flush()


def guest_writes(lab: Lab, host: Host, vm: VmRuntime, second: int, iops: float) -> None:
    """What the workload wrote in the last second: a bounded number of 4 KiB pages at
    deterministic places in the disk's working area."""
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
        path = current_path(lab, vm, d)
        if path is None or not path.exists():
            continue
        seed = f"{vm.key}:{second}:{i}".encode()
        page = int.from_bytes(hashlib.sha256(seed).digest()[:4], "little") % WORKING_AREA_PAGES
        lba = (2048 * 2048) + page * 8  # past the OS image, 4 KiB aligned
        failed = _write_failed(lab, host, vm, path)
        try:
            size = lab.disk_handles.size(path)
        except (HvError, OSError) as err:
            failed(err)
            return
        if (lba + 8) * 512 <= size:
            lab.disk_handles.hold(path, lba, _pattern(seed, 4096), failed)


def _write_failed(lab: Lab, host: Host, vm: VmRuntime, path: Path) -> OnFailure:
    def report(err: BaseException) -> None:
        # A damaged disk, a full disk, a refused path: logged, the guest carries on.
        if not isinstance(err, (HvError, OSError)):
            raise err
        host.log(ev.CH_WORKER, ev.EV_VM_STORAGE, Level.ERROR,
                 f"'{vm.name}': writing to '{path}' failed: {err}", vm)
        lab.disk_handles.close([path])
    return report


# -- saved state -------------------------------------------------------------------------------

def memory_record(vm: VmRuntime, ram_mb: int) -> dict[str, Any]:
    """A compact, deterministic description of the guest's memory contents: the OS image
    seeded per boot, then one run per 10 s of uptime for the pages the guest dirtied."""
    pages = ram_mb * 256
    return {"pages": pages, "boot": vm.boot_number,
            "base_seed": hashlib.sha256(f"{vm.key}:{vm.boot_number}".encode()).hexdigest()[:16],
            "runs": []}


def dirty_memory(vm: VmRuntime, uptime_s: int) -> None:
    """Each 10 s of uptime the guest rewrites one run of pages (at most 64 runs kept)."""
    record = vm.memory_record
    if not record:
        return
    pages = int(record["pages"])
    digest = hashlib.sha256(f"{vm.key}:{vm.boot_number}:{uptime_s}".encode()).digest()
    first = int.from_bytes(digest[:4], "little") % max(pages - 256, 1)
    record["runs"].append([first, 256, digest[4:12].hex()])
    del record["runs"][:-64]


def saved_state_path(lab: Lab, vm: VmRuntime) -> Path | None:
    folder = vm_folder(lab, vm.id)
    return None if folder is None else folder / f"{vm.id}.vsv"


def write_saved_state(lab: Lab, vm: VmRuntime, state: dict[str, Any]) -> None:
    path = saved_state_path(lab, vm)
    if path is None:
        return
    fileguard.mkdir(path.parent, parents=True)
    # Key order kept as in memory: a restored VM is then identical, down to its record.
    body = json.dumps({"schema": SAVED_STATE_SCHEMA, "vm_id": vm.id, "state": state})
    digest = hashlib.sha256(body.encode()).hexdigest()
    fileguard.write_atomic(path, json.dumps({"sha256": digest, "body": body}).encode())


def read_saved_state(lab: Lab, vm: VmRuntime) -> dict[str, Any] | None:
    """The saved state on disk (None when there is no file); raises with the reason when
    the file is damaged."""
    path = saved_state_path(lab, vm)
    if path is None:
        return None
    problem = ""
    try:
        outer = json.loads(path.read_text(encoding="utf-8"))
        body = str(outer["body"])
        if hashlib.sha256(body.encode()).hexdigest() != outer["sha256"]:
            problem = "its checksum does not match its contents"
        else:
            data = json.loads(body)
            if data.get("schema") != SAVED_STATE_SCHEMA or data.get("vm_id") != vm.id:
                problem = "it belongs to another virtual machine or another hvlab version"
            else:
                state: dict[str, Any] = data["state"]
                return state
    except FileNotFoundError:
        # Saved before the lab had a folder (an in-memory lab written as a new library):
        # the record kept with the VM is the saved state.
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem = f"it cannot be read ({exc})"
    raise InvalidStateError(
        f"'{vm.name}' failed to restore its saved state.",
        [f"The saved state file '{path}' is corrupt: {problem}.",
         "Delete the saved state (Delete Saved State) to start the virtual machine from Off."],
    )


def remove_saved_state(lab: Lab, vm: VmRuntime) -> None:
    path = saved_state_path(lab, vm)
    if path is not None:
        fileguard.unlink(path, missing_ok=True)


# -- checkpoints -------------------------------------------------------------------------------

def find_checkpoint(vm: VmRuntime, checkpoint_id: str) -> dict[str, Any]:
    """By id, or by name as the name rule stores it (any composition of an accent)."""
    name = normalize(checkpoint_id, CHECKPOINT_NAME)
    for cp in vm.checkpoints:
        if checkpoint_id in (cp["id"], cp["name"]) or cp["name"] == name:
            return cp
    raise NotFoundError(f"'{vm.name}' has no checkpoint '{checkpoint_id}'.")


def take_checkpoint(host: Host, vm: VmRuntime, name: str | None) -> dict[str, Any]:
    """Checkpoint-VM: freeze the disks, copy the configuration, capture the saved state of
    a running VM; the VM continues on new differencing disks."""
    lab = host.lab
    # The same rule available_operations lists, so the console's Checkpoint action and this
    # command never disagree.
    if name is not None:
        name = check_name(name, CHECKPOINT_NAME)
    reason = host.operation_blocker(vm, Operation.CHECKPOINT)
    if reason is not None:
        title = f"Cannot create a checkpoint of '{vm.name}'."
        if reason == host.checkpoint_blocker(vm):
            raise ResourceLimitError(title, [reason])
        raise InvalidStateError(title, [
            "The operation cannot be performed while the object is in its current state.",
            reason])
    index = vm.checkpoint_counter
    cid = str(uuid.UUID(bytes=_ident(lab, "checkpoint", vm.id, index), version=4)).upper()
    disks: dict[str, str] = {}
    folder = vm_folder(lab, vm.id)
    new_disks: dict[str, str] = {}
    made: list[Path] = []
    try:
        for d in vm.config.hard_drives:
            cur = current_path(lab, vm, d)
            if cur is None or not cur.exists() or folder is None:
                continue
            key = drive_key(d)
            child = folder / f"{Path(d.path).stem}_{cid[:8]}.avhd"
            fileguard.mkdir(folder, parents=True)
            lab.disk_handles.close([cur])
            create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=cur,
                       unique_id=_ident(lab, "avhd", child.name), timestamp=vhd_time(lab))
            made.append(child)
            disks[key] = chain_path(lab, cur)
            new_disks[key] = chain_path(lab, child)
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
        saved = host.capture_saved_state(vm)
    elif vm.saved_state is not None:
        saved = copy.deepcopy(vm.saved_state)
    record = {"id": cid, "name": name or f"{vm.name} - ({lab.now_us // 1_000_000} s)",
              "parent": vm.current_checkpoint, "created_us": lab.now_us,
              "config": vm.config.to_dict(), "saved_state": saved, "disks": disks}
    vm.checkpoints.append(record)
    vm.current_checkpoint = cid
    host.log(ev.CH_VMMS, ev.EV_CHECKPOINT, Level.INFORMATION,
             f"Checkpoint '{record['name']}' of '{vm.name}' was created.", vm)
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
        host.power_off(vm, "checkpoint applied")
    if vm.saved_state is not None:
        host.discard_saved_state(vm)
    config = VmConfig.from_dict(cp["config"])
    adapters = tuple(a if a.switch is None or a.switch in host.net.switches
                     else type(a)(**{**a.__dict__, "switch": None})
                     for a in config.network_adapters)
    from dataclasses import replace

    host.replace_config(vm, replace(config, id=vm.id, name=vm.name, network_adapters=adapters))
    folder = vm_folder(lab, vm.id)
    stamp = vm.checkpoint_counter
    vm.checkpoint_counter += 1
    for key, frozen in cp["disks"].items():
        if folder is None:
            break
        child = folder / f"{Path(frozen).stem.split('_')[0]}_{cp['id'][:8]}_{stamp}.avhd"
        fileguard.mkdir(folder, parents=True)
        parent = chain_file(lab, frozen)
        lab.disk_handles.close([parent])
        create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=parent,
                   unique_id=_ident(lab, "avhd", child.name), timestamp=vhd_time(lab))
        vm.disk_parents[chain_path(lab, child)] = frozen
        vm.current_disks[key] = chain_path(lab, child)
    vm.current_checkpoint = cp["id"]
    collect(host, vm)
    if cp["saved_state"] is not None:
        host.restore_saved_state_record(vm, copy.deepcopy(cp["saved_state"]))
    host.log(ev.CH_VMMS, ev.EV_CHECKPOINT, Level.INFORMATION,
             f"Checkpoint '{cp['name']}' was applied to '{vm.name}'.", vm)


def rename_checkpoint(host: Host, vm: VmRuntime, checkpoint_id: str, name: str) -> None:
    cp = find_checkpoint(vm, checkpoint_id)
    cp["name"] = check_name(name, CHECKPOINT_NAME)


def delete_checkpoint(host: Host, vm: VmRuntime, checkpoint_id: str, subtree: bool) -> None:
    """Remove-VMSnapshot [-IncludeAllChildSnapshots]: the checkpoint goes; its disk is
    merged into the disk that follows it where that is the only one, so nothing written
    after the checkpoint is lost."""
    cp = find_checkpoint(vm, checkpoint_id)
    if vm.state.transitional:
        raise InvalidStateError(
            f"Cannot delete the checkpoint of '{vm.name}'.",
            [f"The operation cannot be performed while the virtual machine is {vm.state.value}."])
    doomed = {cp["id"]}
    if subtree:
        changed = True
        while changed:
            changed = False
            for other in vm.checkpoints:
                if other["parent"] in doomed and other["id"] not in doomed:
                    doomed.add(other["id"])
                    changed = True
    for other in vm.checkpoints:
        if other["parent"] in doomed and other["id"] not in doomed:
            other["parent"] = cp["parent"]
    if vm.current_checkpoint in doomed:
        vm.current_checkpoint = cp["parent"]
    vm.checkpoints = [c for c in vm.checkpoints if c["id"] not in doomed]
    collect(host, vm)
    host.log(ev.CH_VMMS, ev.EV_CHECKPOINT, Level.INFORMATION,
             f"Checkpoint '{cp['name']}'{' and its subtree' if subtree else ''} of "
             f"'{vm.name}' was deleted.", vm)


def collect(host: Host, vm: VmRuntime) -> None:
    """Retire the .avhd files nothing needs, and merge a disk into its parent where the
    parent is no checkpoint's state and has only that one child.  Retired files are deleted
    by the library after the commit that stops naming them (Lab.retire_file), so a crash in
    between never leaves a committed chain without its files."""
    lab = host.lab
    base = {chain_path(lab, p) for d in vm.config.hard_drives
            if (p := base_path(lab, d)) is not None}
    while True:
        referenced = set(vm.current_disks.values()) | base
        for cp in vm.checkpoints:
            referenced |= set(cp["disks"].values())
        needed = set()
        for path in referenced:
            while path and path not in needed:
                needed.add(path)
                path = vm.disk_parents.get(path, "")
        for path in [p for p in vm.disk_parents if p not in needed]:
            lab.disk_handles.close([chain_file(lab, path)])
            del vm.disk_parents[path]
            lab.retire_file(chain_file(lab, path))
        children: dict[str, list[str]] = {}
        for child, parent in vm.disk_parents.items():
            children.setdefault(parent, []).append(child)
        frozen = {p for cp in vm.checkpoints for p in cp["disks"].values()}
        merge = next(((parent, kids[0]) for parent, kids in sorted(children.items())
                      if len(kids) == 1 and parent not in frozen), None)
        if merge is None:
            return
        parent, child = merge
        grandchildren = [c for c, p in vm.disk_parents.items() if p == child]
        lab.disk_handles.close([chain_file(lab, p) for p in (parent, child, *grandchildren)])
        merge_disk(chain_file(lab, child), delete_child=False)
        del vm.disk_parents[child]
        for key, path in list(vm.current_disks.items()):
            if path == child:
                vm.current_disks[key] = parent
        for cp in vm.checkpoints:
            for key, path in list(cp["disks"].items()):
                if path == child:
                    cp["disks"][key] = parent
        for grandchild in grandchildren:
            reconnect_disk(chain_file(lab, grandchild), chain_file(lab, parent),
                           ignore_id_mismatch=True)
            vm.disk_parents[grandchild] = parent
        lab.retire_file(chain_file(lab, child))


# -- starting: every disk must be there ------------------------------------------------------

#: What Hyper-V calls a controller in its start errors, by hvlab's controller kind.
_CONTROLLERS = {"IDE": ("Microsoft Emulated IDE Controller", "IDE/ATAPI", "IDE Controller"),
                "SCSI": ("Microsoft Synthetic SCSI Controller", "Synthetic SCSI",
                         "SCSI Controller")}
_NOT_FOUND = ("The system cannot find the file specified.", "0x80070002")
_CORRUPT = ("The file or directory is corrupted and unreadable.", "0x80070570")
_DENIED = ("General access denied error", "0x80070005")


def check_disks(lab: Lab, vm: VmRuntime) -> None:
    """Raise DiskAttachError, in Hyper-V's words, when a drive's file (or a file of its
    checkpoint chain) is missing, is not a virtual hard disk, or is damaged."""
    if lab.storage_root is None:
        return  # an in-memory lab keeps no files
    for d in vm.config.hard_drives:
        path = current_path(lab, vm, d)
        if path is None:
            continue
        try:
            with open_vhd(path):
                pass
            continue
        except VhdParentError as err:
            (text, code), why = _NOT_FOUND, err.message
        except VhdCorruptError as err:
            (text, code), why = _CORRUPT, err.message
        except fileguard.PathConfinementError as err:
            (text, code), why = _DENIED, err.message
        except VhdError as err:
            missing = not path.exists()
            (text, code), why = (_NOT_FOUND if missing else _CORRUPT), err.message
            if not missing and not path.is_file():
                why = f"'{path}' is not a file."
        device, attach, controller = _CONTROLLERS.get(d.controller.upper(),
                                                      _CONTROLLERS["IDE"])
        instance = uuid.UUID(bytes=_ident(lab, "controller", vm.id, d.controller,
                                          d.controller_number), version=4)
        raise DiskAttachError(
            f"'{vm.name}' failed to start.",
            [f"{device} (Instance ID {{{str(instance).upper()}}}): Failed to Power on with "
             f"Error '{text}' ({code}). (Virtual machine ID {vm.id})",
             f"{attach}: Could not attach '{path}' to location "
             f"{d.controller_number}/{d.location} of {controller}. Error: '{text}' ({code}).",
             why],
            path=os.fspath(path))


def read_drive(lab: Lab, vm: VmRuntime, key: str, lba: int, count: int) -> bytes:
    """The guest's view of a drive (through its current chain): for tests and Inspect."""
    for d in vm.config.hard_drives:
        if drive_key(d) == key:
            path = current_path(lab, vm, d)
            if path is None:
                raise HvError(f"'{vm.name}' drive {key} has no file.")
            lab.disk_handles.close([path])
            with open_vhd(path) as disk:
                return bytes(disk.read_sectors(lba, count))
    raise NotFoundError(f"'{vm.name}' has no drive {key}.")


def write_drive(lab: Lab, vm: VmRuntime, key: str, lba: int, data: bytes) -> None:
    """Write as the guest would (tests and demos)."""
    for d in vm.config.hard_drives:
        if drive_key(d) == key:
            path = current_path(lab, vm, d)
            if path is None:
                raise HvError(f"'{vm.name}' drive {key} has no file.")
            disk = lab.disk_handles.get(path)
            disk.write_sectors(lba, data)
            disk.flush()
            return
    raise NotFoundError(f"'{vm.name}' has no drive {key}.")
