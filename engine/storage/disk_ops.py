"""The Edit Disk operations of Hyper-V Manager, as functions a worker thread can run as jobs.

Each long operation takes ``progress`` (called with percent done, 0.0–100.0) and
``cancelled`` (polled between chunks; True stops the work and raises
:class:`OperationCancelled`). Operations that write a new file build it under a temporary
name, so a cancelled or failed one leaves no partial file; see each function for what an
in-place edit leaves when cancelled.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from hvlab.engine import fileguard
from hvlab.engine.storage import vhd
from hvlab.engine.storage.errors import VhdError, VhdInUseError, VhdParentError
from hvlab.engine.storage.fileio import PositionedFile
from hvlab.engine.storage.vhd_create import SparseImageWriter, build_new_file, create_vhd
from hvlab.engine.storage.vhd_format import (
    CREATABLE_BLOCK_SIZES,
    CREATOR_APP,
    CREATOR_HOST_OS,
    CREATOR_VERSION,
    DEFAULT_BLOCK_SIZE,
    NO_DATA_OFFSET,
    SECTOR,
    DiskType,
    DynamicHeader,
    Footer,
    PlatformCode,
    rounded_disk_size,
)
from hvlab.engine.storage.vhd_open import find_parent, open_vhd

#: Grid of the allocation picture of a fixed disk, which has no blocks.
FIXED_PICTURE_BLOCK = DEFAULT_BLOCK_SIZE


@dataclass(frozen=True, eq=False)
class VhdInfo:
    """What Hyper-V's Inspect Disk shows, and the block picture. Sizes in bytes."""

    path: str
    disk_type: DiskType
    file_size: int
    maximum_size: int
    unique_id: uuid.UUID
    #: Creation time stamp, seconds since 2000-01-01 00:00 UTC (the footer's).
    created: int
    creator: str
    geometry: tuple[int, int, int]
    saved_state: bool
    #: Data bytes per block (2 MiB or 512 KiB); for a fixed disk the picture's grid.
    block_size: int
    #: Per block, the fraction (0.0–1.0) of its sectors this file holds; all 1.0 when fixed.
    block_fill: npt.NDArray[np.float32] = field(repr=False)
    parent_path: str | None = None
    parent_found: bool = False
    parent_unique_id: uuid.UUID | None = None
    notes: tuple[str, ...] = ()
    format: str = "VHD"

    @property
    def blocks_total(self) -> int:
        return int(self.block_fill.size)

    @property
    def blocks_allocated(self) -> int:
        return int(np.count_nonzero(self.block_fill))


@dataclass(frozen=True)
class CompactResult:
    file_size_before: int
    file_size_after: int
    blocks_released: int


# ---------------------------------------------------------------------------- new, inspect

def new_disk(path: str | os.PathLike[str], size: int = 0, *,
             disk_type: DiskType = DiskType.DYNAMIC, block_size: int = DEFAULT_BLOCK_SIZE,
             parent: str | os.PathLike[str] | None = None, zero_fill: bool = True,
             progress: vhd.Progress | None = None,
             cancelled: vhd.Cancelled | None = None) -> VhdInfo:
    """New Virtual Hard Disk: :func:`create_vhd` (size rounded as qemu does), then inspect."""
    create_vhd(path, size, disk_type=disk_type, block_size=block_size, parent=parent,
               zero_fill=zero_fill, progress=progress, cancelled=cancelled)
    return inspect_disk(path)


def inspect_disk(path: str | os.PathLike[str]) -> VhdInfo:
    """Inspect Disk: format, type, sizes, identity, parent, and block usage.

    A differencing disk's parent is looked for but need not exist (``parent_found``).
    """
    with open_vhd(path, resolve_parent=False) as disk:
        footer = disk.footer
        parent_path: str | None = None
        parent_found = False
        parent_id: uuid.UUID | None = None
        notes = list(disk.notes)
        if isinstance(disk, vhd.VhdDifferencing):
            parent_id = uuid.UUID(bytes=disk.parent_unique_id)
            try:
                parent_path, parent_found = find_parent(disk), True
            except VhdError as err:
                candidates = disk.parent_paths()
                parent_path = candidates[0] if candidates else None
                notes.append(err.message)
        if isinstance(disk, vhd.VhdDynamic):
            block_size = disk.block_size
            fill = _block_fill(disk)
        else:
            block_size = FIXED_PICTURE_BLOCK
            fill = np.ones(-(-disk.size // block_size), dtype=np.float32)
        fill.setflags(write=False)
        creator = (f"{footer.creator_app.decode('latin-1').rstrip(chr(0))} "
                   f"{footer.creator_version >> 16}.{footer.creator_version & 0xFFFF} "
                   f"({footer.creator_host_os.decode('latin-1').rstrip(chr(0))})")
        return VhdInfo(
            path=os.path.abspath(disk.path), disk_type=disk.disk_type,
            file_size=disk.file_size, maximum_size=disk.size,
            unique_id=uuid.UUID(bytes=disk.unique_id), created=footer.timestamp,
            creator=creator,
            geometry=(footer.cylinders, footer.heads, footer.sectors_per_track),
            saved_state=bool(footer.saved_state), block_size=block_size, block_fill=fill,
            parent_path=parent_path, parent_found=parent_found, parent_unique_id=parent_id,
            notes=tuple(notes))


def _block_fill(disk: vhd.VhdDynamic) -> npt.NDArray[np.float32]:
    fill = np.zeros(disk.block_count, dtype=np.float32)
    spb = disk.sectors_per_block
    last_sectors = disk.sectors - (disk.block_count - 1) * spb
    for block in disk.allocated_blocks().tolist():
        in_disk = last_sectors if block == disk.block_count - 1 else spb
        bits = disk.block_bitmap(block)[:in_disk]
        # A dynamic block whose bitmap says "nothing" still occupies the file; show a sliver.
        fill[block] = max(float(np.count_nonzero(bits)) / in_disk, 1.0 / spb)
    return fill


# ---------------------------------------------------------------------------- compact

def compact_disk(path: str | os.PathLike[str], *, progress: vhd.Progress | None = None,
                 cancelled: vhd.Cancelled | None = None) -> CompactResult:
    """Compact: rewrite a dynamic or differencing disk without its empty blocks.

    A dynamic disk drops blocks whose data is all zeros; a differencing disk drops only
    blocks whose bitmap is empty (a written zero sector hides the parent's data, so it
    stays). Blocks are repacked in order into a new file that then replaces the old one
    (same unique id, so children stay valid). Cancelling leaves the disk untouched.
    """
    target = os.fspath(path)
    with open_vhd(target, resolve_parent=False) as disk:
        if not isinstance(disk, vhd.VhdDynamic):
            raise VhdError(f"Cannot compact '{target}': only dynamically expanding and "
                           "differencing disks can be compacted.")
        if disk.footer.saved_state:
            raise VhdInUseError(f"Cannot compact '{target}': the disk belongs to a virtual "
                                "machine in the saved state.")
        before = disk.file_size
        released = 0

        def fill(file: PositionedFile) -> None:
            nonlocal released
            header = DynamicHeader(0, 0, disk.block_size)
            locators: list[tuple[PlatformCode, bytes]] = []
            if isinstance(disk, vhd.VhdDifferencing):
                header = replace(disk.header, table_offset=0, max_table_entries=0)
                locators = _locator_blobs(disk)
            writer = SparseImageWriter(file, disk.footer, header, locators)
            blocks = disk.allocated_blocks().tolist()
            for done, block in enumerate(blocks, 1):
                vhd.check_cancelled(cancelled, f"compacting '{target}'")
                bitmap, data = disk.read_block(block)
                if _releasable(disk, bitmap, data):
                    released += 1
                else:
                    writer.add_block(block, bitmap, data)
                if progress is not None:
                    progress(99.0 * done / len(blocks))
            writer.finish()

        build_new_file(target, fill, replace_existing=True)
    if progress is not None:
        progress(100.0)
    return CompactResult(before, os.path.getsize(target), released)


def _releasable(disk: vhd.VhdDynamic, bitmap: bytes, data: bytes) -> bool:
    if isinstance(disk, vhd.VhdDifferencing):
        spb = disk.sectors_per_block
        return not np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8))[:spb].any()
    return not np.frombuffer(data, dtype=np.uint64).any()


def _locator_blobs(disk: vhd.VhdDifferencing) -> list[tuple[PlatformCode, bytes]]:
    """The parent locators' data as stored, to carry over to a rewritten file."""
    blobs: list[tuple[PlatformCode, bytes]] = []
    for loc in disk.header.locators:
        if loc.in_use and loc.data_length and loc.code in PlatformCode._value2member_map_:
            raw = disk._file.read(loc.data_length, loc.data_offset)
            blobs.append((PlatformCode(loc.code), raw))
    return blobs


# ---------------------------------------------------------------------------- convert, merge

def convert_disk(source: str | os.PathLike[str], destination: str | os.PathLike[str], *,
                 disk_type: DiskType = DiskType.DYNAMIC, block_size: int = DEFAULT_BLOCK_SIZE,
                 progress: vhd.Progress | None = None,
                 cancelled: vhd.Cancelled | None = None) -> VhdInfo:
    """Convert: copy what a disk (with its parent chain) shows into a new fixed or dynamic
    disk. The size and geometry are kept; the copy gets a new unique id. A dynamic copy
    allocates only blocks with non-zero data. Cancelling leaves no destination file."""
    if disk_type is DiskType.DIFFERENCING:
        raise VhdError("Convert makes a fixed size or dynamically expanding disk.")
    if block_size not in CREATABLE_BLOCK_SIZES:
        raise VhdError(f"The block size must be 512 KB or 2 MB, not {block_size:,} bytes.")
    target = os.fspath(destination)
    with open_vhd(source) as disk:
        data_offset = NO_DATA_OFFSET if disk_type is DiskType.FIXED else SECTOR
        footer = replace(disk.footer, disk_type=disk_type, data_offset=data_offset,
                         unique_id=vhd.new_unique_id(), timestamp=vhd.now_vhd_timestamp(),
                         original_size=disk.size, saved_state=0, checksum_quirk=False,
                         features=disk.footer.features & ~1)
        footer = _our_creator(footer)
        if disk_type is DiskType.FIXED:
            build_new_file(target, lambda file: _copy_fixed(disk, file, footer, progress,
                                                            cancelled))
        else:
            header = DynamicHeader(0, 0, block_size)
            build_new_file(target, lambda file: _copy_sparse(disk, file, footer, header, [],
                                                             progress, cancelled))
    return inspect_disk(target)


def _our_creator(footer: Footer) -> Footer:
    return replace(footer, creator_app=CREATOR_APP, creator_version=CREATOR_VERSION,
                   creator_host_os=CREATOR_HOST_OS)


def _copy_fixed(disk: vhd.VhdDisk, file: PositionedFile, footer: Footer,
                progress: vhd.Progress | None, cancelled: vhd.Cancelled | None) -> None:
    buf = bytearray(min(vhd.FILL_CHUNK, max(disk.size, SECTOR)))
    done = 0
    while done < disk.size:
        vhd.check_cancelled(cancelled, f"writing '{file.path}'")
        step = min(len(buf), disk.size - done)
        view = memoryview(buf)[:step]
        disk.read_into(done // SECTOR, view)
        file.write(view, done)
        done += step
        if progress is not None:
            progress(99.0 * done / disk.size)
    file.write(footer.pack(), disk.size)


def _copy_sparse(disk: vhd.VhdDisk, file: PositionedFile, footer: Footer, header: DynamicHeader,
                 locators: list[tuple[PlatformCode, bytes]], progress: vhd.Progress | None,
                 cancelled: vhd.Cancelled | None) -> None:
    writer = SparseImageWriter(file, footer, header, locators)
    block_size = writer.header.block_size
    spb = block_size // SECTOR
    buf = bytearray(block_size)
    blocks = writer.header.max_table_entries
    for block in range(blocks):
        vhd.check_cancelled(cancelled, f"writing '{file.path}'")
        first = block * spb
        count = min(spb, disk.sectors - first)
        view = memoryview(buf)
        if count < spb:
            view[count * SECTOR:] = bytes((spb - count) * SECTOR)
        disk.read_into(first, view[: count * SECTOR])
        if np.frombuffer(buf, dtype=np.uint64).any():
            bitmap = vhd.bitmap_for(writer.header.bitmap_size, 0, count)
            writer.add_block(block, bitmap.tobytes(), view)
        if progress is not None:
            progress(99.0 * (block + 1) / blocks)
    writer.finish()


def merge_disk(child: str | os.PathLike[str], destination: str | os.PathLike[str] | None = None,
               *, disk_type: DiskType = DiskType.DYNAMIC, delete_child: bool = True,
               progress: vhd.Progress | None = None,
               cancelled: vhd.Cancelled | None = None) -> VhdInfo:
    """Merge a differencing disk.

    Into its parent (``destination`` None): every sector the child holds is written into
    the parent, then the child is deleted (unless ``delete_child`` is False). Any *other*
    children of that parent are no longer valid afterwards (the spec forbids changing a
    parent). Cancelling stops between blocks: the parent then holds some of the child's
    sectors, the child is kept and still reads exactly as before, and merging again
    finishes the job.

    Into a new disk (``destination`` a path): the chain is flattened into a new fixed or
    dynamic disk, leaving the chain untouched (like :func:`convert_disk`).
    """
    child_path = os.fspath(child)
    with open_vhd(child_path) as disk:
        if not isinstance(disk, vhd.VhdDifferencing) or disk.parent is None:
            raise VhdError(f"Cannot merge '{child_path}': only a differencing disk can be "
                           "merged.")
        parent_path = disk.parent.path
    if destination is not None:
        return convert_disk(child_path, destination, disk_type=disk_type, progress=progress,
                            cancelled=cancelled)
    with open_vhd(child_path, resolve_parent=False) as disk, \
            open_vhd(parent_path, writable=True, resolve_parent=False) as parent:
        assert isinstance(disk, vhd.VhdDifferencing)
        if parent.footer.saved_state:
            raise VhdInUseError(f"Cannot merge into '{parent_path}': the disk belongs to a "
                                "virtual machine in the saved state.")
        blocks = disk.allocated_blocks().tolist()
        spb = disk.sectors_per_block
        for done, block in enumerate(blocks, 1):
            vhd.check_cancelled(cancelled, f"merging '{child_path}' into '{parent_path}'")
            _merge_block(disk, parent, block, spb)
            if progress is not None:
                progress(99.0 * done / len(blocks))
        parent.flush()
    if delete_child:
        fileguard.unlink(child_path)
    if progress is not None:
        progress(100.0)
    return inspect_disk(parent_path)


def _merge_block(child: vhd.VhdDifferencing, parent: vhd.VhdDisk, block: int, spb: int) -> None:
    first = block * spb
    in_disk = min(spb, child.sectors - first)
    bits = child.block_bitmap(block)[:in_disk]
    if not bits.any():
        return
    _bitmap, data = child.read_block(block)
    if bits.all():
        parent.write_sectors(first, memoryview(data)[: in_disk * SECTOR])
        return
    padded = np.concatenate(([False], bits, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    for start, stop in edges.reshape(-1, 2).tolist():
        parent.write_sectors(first + start, memoryview(data)[start * SECTOR:stop * SECTOR])


# ---------------------------------------------------------------------------- expand, reconnect

def expand_disk(path: str | os.PathLike[str], new_size: int, *, zero_fill: bool = True,
                progress: vhd.Progress | None = None,
                cancelled: vhd.Cancelled | None = None) -> VhdInfo:
    """Expand: grow a fixed or dynamic disk to ``new_size`` bytes (rounded up as for a new
    disk). A fixed disk's new space is zero-filled with progress (cancelling restores the
    old size); a dynamic disk only grows its BAT. Differencing disks cannot be expanded."""
    target = os.fspath(path)
    size = rounded_disk_size(new_size)
    with open_vhd(target, writable=True, resolve_parent=False) as disk:
        if isinstance(disk, vhd.VhdDifferencing):
            raise VhdError(f"Cannot expand '{target}': a differencing disk has the size of its "
                           "parent.")
        if size <= disk.size:
            raise VhdError(f"Cannot expand '{target}': the new size ({size:,} bytes) must be "
                           f"larger than the current size ({disk.size:,} bytes).")
        if isinstance(disk, vhd.VhdFixed):
            disk.expand(size, zero_fill=zero_fill, progress=progress, cancelled=cancelled)
        else:
            assert isinstance(disk, vhd.VhdDynamic)
            disk.expand(size)
        disk.flush()
    if progress is not None:
        progress(100.0)
    return inspect_disk(target)


def reconnect_disk(child: str | os.PathLike[str], parent: str | os.PathLike[str], *,
                   ignore_id_mismatch: bool = False) -> VhdInfo:
    """Reconnect a differencing disk to its parent at a new path.

    The parent's unique id must be the one the child was made from, unless
    ``ignore_id_mismatch`` (Hyper-V's "Ignore ID mismatch"), which adopts the new parent's
    id. The locators, parent name and parent time stamp are rewritten.
    """
    child_path, parent_path = os.fspath(child), os.fspath(parent)
    _refuse_loop(child_path, parent_path)
    with open_vhd(parent_path, resolve_parent=False) as new_parent, \
            open_vhd(child_path, writable=True, resolve_parent=False) as disk:
        if not isinstance(disk, vhd.VhdDifferencing):
            raise VhdError(f"Cannot reconnect '{child_path}': only a differencing disk has a "
                           "parent.")
        if new_parent.size != disk.size:
            raise VhdParentError(f"Cannot reconnect '{child_path}' to '{parent_path}': the "
                                 f"sizes differ ({disk.size:,} and {new_parent.size:,} bytes).")
        if new_parent.unique_id != disk.parent_unique_id and not ignore_id_mismatch:
            raise VhdParentError(
                f"Cannot reconnect '{child_path}' to '{parent_path}': the differencing disk "
                f"was made from a parent with id {uuid.UUID(bytes=disk.parent_unique_id)}, but "
                f"'{parent_path}' has id {uuid.UUID(bytes=new_parent.unique_id)}.")
        disk.set_parent(new_parent, adopt_id=ignore_id_mismatch)
        disk.flush()
    with open_vhd(child_path, parent=parent_path):
        pass  # the chain now opens through the new path
    return inspect_disk(child_path)


def _refuse_loop(child_path: str, parent_path: str) -> None:
    """The new parent's chain must open and must not pass through the child."""
    child_real = os.path.realpath(child_path)
    with open_vhd(parent_path) as disk:
        link: vhd.VhdDisk | None = disk
        while link is not None:
            if os.path.realpath(link.path) == child_real:
                raise VhdParentError(
                    f"Cannot reconnect '{child_path}' to '{parent_path}': the disk is in that "
                    "parent's own chain, which would make a loop.")
            link = link.parent if isinstance(link, vhd.VhdDifferencing) else None
