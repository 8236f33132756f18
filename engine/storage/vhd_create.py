"""Writing new VHD files: an empty fixed, dynamic or differencing disk, or a compacted or
converted copy built block by block.

New files are built under a temporary name and published when complete, so a failed or
cancelled creation leaves nothing behind. The layout of a new sparse file is qemu's:
footer copy at 0, dynamic header at 0x200, BAT at 0x600 padded to a sector, then (for a
differencing disk) the W2ku and W2ru parent locators, then blocks in the order written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import TypeAlias

import numpy as np

from hvlab.engine import fileguard
from hvlab.engine.storage import vhd_format as fmt
from hvlab.engine.storage.errors import VhdError
from hvlab.engine.storage.fileio import (
    Buffer,
    PositionedFile,
    discard,
    publish_new,
    require_absent,
    sync_folder,
    temporary_sibling,
)
from hvlab.engine.storage.locators import basename, locator_space, locator_texts
from hvlab.engine.storage.vhd import (
    FILL_CHUNK,
    Cancelled,
    Progress,
    VhdDisk,
    VhdDynamic,
    check_cancelled,
    new_unique_id,
    now_vhd_timestamp,
)
from hvlab.engine.storage.vhd_open import open_vhd

#: Writes a new image into an empty file.
FillFile: TypeAlias = Callable[[PositionedFile], None]


class SparseImageWriter:
    """Lays out a dynamic or differencing file in an empty file: prefix first, then blocks
    appended in any order, then the BAT and the footer at :meth:`finish`."""

    def __init__(self, file: PositionedFile, footer: fmt.Footer, header: fmt.DynamicHeader,
                 locators: list[tuple[fmt.PlatformCode, bytes]]) -> None:
        self._file = file
        self.footer = footer
        entries = -(-footer.current_size // header.block_size)
        table_offset = fmt.FOOTER_SIZE + fmt.HEADER_SIZE
        position = table_offset + -(-(4 * entries) // fmt.SECTOR) * fmt.SECTOR
        placed: list[fmt.ParentLocator] = []
        for code, blob in locators:
            space = locator_space(len(blob))
            placed.append(fmt.ParentLocator(code, space, len(blob), position))
            file.write(blob + bytes(space - len(blob)), position)
            position += space
        placed += [fmt.EMPTY_LOCATOR] * (len(header.locators) - len(placed))
        self.header = replace(header, table_offset=table_offset, max_table_entries=entries,
                              locators=tuple(placed))
        self._bat = np.full(entries, fmt.UNALLOCATED, dtype=">u4")
        self._position = position
        file.write(footer.pack() + self.header.pack(), 0)

    def add_block(self, block: int, bitmap: Buffer, data: Buffer) -> None:
        """Append a block: its packed sector bitmap and its ``block_size`` bytes of data."""
        self._file.writev([bitmap, data], self._position)
        self._bat[block] = self._position // fmt.SECTOR
        self._position += self.header.block_span

    def finish(self) -> None:
        raw = self._bat.tobytes()
        self._file.write(raw + b"\xff" * (-len(raw) % fmt.SECTOR), self.header.table_offset)
        self._file.write(self.footer.pack(), self._position)


def create_vhd(path: str | os.PathLike[str], size: int = 0, *,
               disk_type: fmt.DiskType = fmt.DiskType.DYNAMIC,
               block_size: int = fmt.DEFAULT_BLOCK_SIZE,
               parent: str | os.PathLike[str] | None = None, zero_fill: bool = True,
               round_size: bool = True, unique_id: bytes | None = None,
               timestamp: int | None = None, progress: Progress | None = None,
               cancelled: Cancelled | None = None) -> None:
    """Create a new VHD file; it appears under ``path`` only when complete.

    ``size`` (bytes) is rounded up to a CHS-exact size as ``qemu-img create`` does
    (:func:`fmt.rounded_disk_size`) unless ``round_size`` is False. A differencing disk takes its
    size and block size from ``parent``. A fixed disk is zero-filled in chunks, reporting
    ``progress``, unless ``zero_fill`` is False (then the file is sparse). ``unique_id``
    (16 bytes) and ``timestamp`` (seconds since 2000) default to a random id and now.
    A cancelled creation raises :class:`OperationCancelled` and leaves nothing behind.
    """
    target = os.fspath(path)
    require_absent(target)
    ident = unique_id if unique_id is not None else new_unique_id()
    if len(ident) != 16:
        raise VhdError("A virtual hard disk's unique id is 16 bytes.")
    stamp = timestamp if timestamp is not None else now_vhd_timestamp()
    if disk_type is fmt.DiskType.DIFFERENCING:
        if parent is None:
            raise VhdError("A differencing disk needs a parent disk.")
        with open_vhd(parent, resolve_parent=False) as parent_disk:
            footer = fmt.new_footer(disk_type, parent_disk.size, ident, stamp)
            footer = replace(footer, cylinders=parent_disk.footer.cylinders,
                             heads=parent_disk.footer.heads,
                             sectors_per_track=parent_disk.footer.sectors_per_track)
            size_of_block = (parent_disk.block_size if isinstance(parent_disk, VhdDynamic)
                             else fmt.DEFAULT_BLOCK_SIZE)
            header = parent_header(fmt.DynamicHeader(0, 0, size_of_block), parent_disk)
            locators = parent_locators(target, parent_disk)
        build_new_file(target, lambda file: _write_sparse(file, footer, header, locators, progress))
        return
    if parent is not None:
        raise VhdError("Only a differencing disk has a parent disk.")
    if block_size not in fmt.CREATABLE_BLOCK_SIZES:
        raise VhdError(f"The block size must be 512 KB or 2 MB, not {block_size:,} bytes.")
    size = fmt.rounded_disk_size(size) if round_size else exact_disk_size(size)
    footer = fmt.new_footer(disk_type, size, ident, stamp)
    if disk_type is fmt.DiskType.FIXED:
        build_new_file(target, lambda file: write_fixed_image(file, footer, zero_fill, progress,
                                                      cancelled))
    else:
        header = fmt.DynamicHeader(0, 0, block_size)
        build_new_file(target, lambda file: _write_sparse(file, footer, header, [], progress))


def exact_disk_size(size: int) -> int:
    """``size`` unchanged, after the range checks of :func:`fmt.rounded_disk_size`."""
    fmt.rounded_disk_size(size)
    if size % fmt.SECTOR:
        raise VhdError(f"The size {size:,} bytes is not a whole number of 512-byte sectors.")
    return size


def parent_header(header: fmt.DynamicHeader, parent: VhdDisk) -> fmt.DynamicHeader:
    """``header`` with the parent's id, time stamp and file name."""
    return replace(header, parent_unique_id=parent.unique_id,
                   parent_timestamp=parent.footer.timestamp, parent_name=basename(parent.path))


def parent_locators(child_path: str, parent: VhdDisk) -> list[tuple[fmt.PlatformCode, bytes]]:
    return [(code, fmt.encode_locator_path(code, text))
            for code, text in locator_texts(child_path, parent.path)]


def _write_sparse(file: PositionedFile, footer: fmt.Footer, header: fmt.DynamicHeader,
                  locators: list[tuple[fmt.PlatformCode, bytes]],
                  progress: Progress | None) -> None:
    SparseImageWriter(file, footer, header, locators).finish()
    if progress is not None:
        progress(100.0)


def write_fixed_image(file: PositionedFile, footer: fmt.Footer, zero_fill: bool,
                      progress: Progress | None, cancelled: Cancelled | None) -> None:
    """Zeros (or a sparse hole) and the footer of a fixed disk, into an empty file."""
    size = footer.current_size
    if zero_fill:
        zeros = memoryview(bytes(min(FILL_CHUNK, max(size, fmt.SECTOR))))
        done = 0
        while done < size:
            check_cancelled(cancelled, f"creating '{file.path}'")
            step = min(len(zeros), size - done)
            file.write(zeros[:step], done)
            done += step
            if progress is not None:
                progress(100.0 * done / size)
    file.write(footer.pack(), size)
    if progress is not None:
        progress(100.0)


def build_new_file(target: str, fill: FillFile, *, replace_existing: bool = False) -> None:
    """Run ``fill`` on an empty temporary file next to ``target``, make it durable, then give
    it ``target``'s name (replacing the old file only with ``replace_existing``). Any
    exception, including a cancellation, removes the temporary file."""
    if not replace_existing:
        require_absent(target)
    temporary = temporary_sibling(target, "replace" if replace_existing else "new")
    try:
        with PositionedFile(temporary, create=True) as file:
            fill(file)
            file.sync()
        if replace_existing:
            fileguard.replace_file(temporary, target)
        else:
            publish_new(temporary, target)
        sync_folder(target)
    except BaseException:
        discard(temporary)
        raise
