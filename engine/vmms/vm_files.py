"""A VM's real files: its virtual hard disks, checkpoint chains and saved-state file.

Files live under the lab's ``storage_root`` (the library folder): base disks in
``Virtual Hard Disks/``, checkpoint differencing disks (``.avhd``) and the saved-state file
(``.vsv``) in the VM's folder ``vms/<id>/``.  A lab without a storage root (an in-memory lab)
records disk paths but has no files; checkpoints then keep configuration and saved state only.

The chain bookkeeping (``disk_parents``) is the VM's own record of the ``.avhd`` files it
made (see :mod:`hvlab.engine.vmms.checkpoints`).

The VM's records (``current_disks``, ``disk_parents``, each checkpoint's ``disks``) keep a
file inside the library as a path relative to the library folder (``vms/<id>/x_1A2B.avhd``,
``Virtual Hard Disks/x.vhd``), so a copied or moved library is whole; a disk the user keeps
elsewhere stays absolute.  :func:`chain_path` and :func:`chain_file` convert.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from hvlab.engine import fileguard
from hvlab.engine.config import HardDrive, VmConfig
from hvlab.engine.errors import (
    DiskAttachError,
    HvError,
    InvalidStateError,
    NotFoundError,
    ValidationError,
)
from hvlab.engine.guest import GuestPhase
from hvlab.engine.storage import (
    VhdCorruptError,
    VhdDisk,
    VhdError,
    VhdParentError,
    create_vhd,
    open_vhd,
    vhd_problem,
)
from hvlab.engine.storage.writeback import OnFailure, PendingWrites
from hvlab.engine.vmms.context import LabContext as Lab
from hvlab.engine.vmms.runtime import SavedState, VmRuntime

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


def host_folders(lab: Lab, vm_path: str, vhd_path: str) -> tuple[str, str]:
    """A host's default folders as Hyper-V Settings shows them: those set, else where the
    lab really keeps the files (the library's folders; the working folder for a lab without
    a library), so every field shows paths in the platform's one style."""
    root = lab.storage_root
    here = os.getcwd()
    return (vm_path or (os.fspath(root / VMS_FOLDER) if root is not None else here),
            vhd_path or (os.fspath(root / VHD_FOLDER) if root is not None else here))


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
        yield from cp.disks.values()


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


def ident(lab: Lab, *parts: object) -> bytes:
    """A deterministic 16-byte id (a VHD's unique id) from the seed and a name."""
    digest = hashlib.sha256(":".join(map(str, (lab.seed, *parts))).encode()).digest()
    return digest[:16]


def vhd_time(lab: Lab) -> int:
    """VHD time stamps follow the simulated clock (seconds since 2000), so runs repeat."""
    return int(lab.sim.now_us // 1_000_000)


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
            create_vhd(path, DEFAULT_DISK_BYTES, unique_id=ident(lab, "vhd", path.name),
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


def pattern(seed: bytes, length: int) -> bytes:
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed).digest()[:8], "little"))
    return rng.integers(0, 256, length, dtype=np.uint8).tobytes()


def write_os_image(lab: Lab, cfg: VmConfig, path: Path) -> None:
    """The OS install phase: a deterministic pattern where an OS puts its files (boot
    sector, system files, page file), so the dynamic disk grows as a real one would."""
    guest = cfg.guest_os.encode()
    with open_vhd(path, writable=True) as disk:
        for lba, label in ((0, b"boot"), (128 * 2048, b"system"), (1024 * 2048, b"pagefile")):
            if lba * 512 < disk.size:
                disk.write_sectors(lba, pattern(guest + label + cfg.id.encode(), 64 * 1024))
        disk.flush()


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


def write_saved_state(lab: Lab, vm: VmRuntime, state: SavedState) -> None:
    path = saved_state_path(lab, vm)
    if path is None:
        return
    fileguard.mkdir(path.parent, parents=True)
    # Key order kept as in memory: a restored VM is then identical, down to its record.
    body = json.dumps({"schema": SAVED_STATE_SCHEMA, "vm_id": vm.id, "state": state.to_dict()})
    digest = hashlib.sha256(body.encode()).hexdigest()
    fileguard.write_atomic(path, json.dumps({"sha256": digest, "body": body}).encode())


def read_saved_state(lab: Lab, vm: VmRuntime) -> SavedState | None:
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
            elif (bad := saved_state_problem(data["state"])) is not None:
                problem = bad
            else:
                return SavedState.from_dict(data["state"])
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
        instance = uuid.UUID(bytes=ident(lab, "controller", vm.id, d.controller,
                                          d.controller_number), version=4)
        raise DiskAttachError(
            f"'{vm.name}' failed to start.",
            [f"{device} (Instance ID {{{str(instance).upper()}}}): Failed to Power on with "
             f"Error '{text}' ({code}). (Virtual machine ID {vm.id})",
             f"{attach}: Could not attach '{path}' to location "
             f"{d.controller_number}/{d.location} of {controller}. Error: '{text}' ({code}).",
             why],
            path=os.fspath(path))


def _drive_file(lab: Lab, vm: VmRuntime, key: str) -> Path:
    """The current file (through the checkpoint chain) of the VM's drive ``key``."""
    for d in vm.config.hard_drives:
        if drive_key(d) == key:
            path = current_path(lab, vm, d)
            if path is None:
                raise HvError(f"'{vm.name}' drive {key} has no file.")
            return path
    raise NotFoundError(f"'{vm.name}' has no drive {key}.")


def read_drive(lab: Lab, vm: VmRuntime, key: str, lba: int, count: int) -> bytes:
    """The guest's view of a drive (through its current chain): for tests and Inspect."""
    path = _drive_file(lab, vm, key)
    lab.disk_handles.close([path])
    with open_vhd(path) as disk:
        return bytes(disk.read_sectors(lba, count))


def write_drive(lab: Lab, vm: VmRuntime, key: str, lba: int, data: bytes) -> None:
    """Write as the guest would (tests and demos)."""
    disk = lab.disk_handles.get(_drive_file(lab, vm, key))
    disk.write_sectors(lba, data)
    disk.flush()
