"""Open virtual hard disks: read and write sectors of fixed, dynamically expanding and
differencing VHDs.

:func:`hvlab.engine.storage.open_vhd` returns a :class:`VhdFixed`, :class:`VhdDynamic` or
:class:`VhdDifferencing`. All read and write whole 512-byte sectors at any address::

    with open_vhd("disk.vhd", writable=True) as disk:
        disk.write_sectors(0, b"\\xab" * 4096)
        data = disk.read_sectors(0, 8)

Writes go straight to the file (no cache), in an order that keeps the file valid at every
instant (docs/vhd.md). A disk object is for one thread at a time.
"""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import replace
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from hvlab.engine.storage.errors import OperationCancelled, VhdError, VhdInUseError, VhdParentError
from hvlab.engine.storage.fileio import Buffer, PositionedFile
from hvlab.engine.storage.locators import (
    PATH_CODES,
    basename,
    candidate_paths,
    locator_room,
    locator_space,
    locator_texts,
)
from hvlab.engine.storage.vhd_format import (
    FOOTER_SIZE,
    SECTOR,
    UNALLOCATED,
    DiskType,
    DynamicHeader,
    Footer,
    ParentLocator,
    PlatformCode,
    decode_locator_path,
    encode_locator_path,
    vhd_timestamp,
)

#: Percent done, 0.0 to 100.0. Called from the thread running the operation.
Progress: TypeAlias = Callable[[float], None]
#: Polled between chunks of work; True stops the operation.
Cancelled: TypeAlias = Callable[[], bool]

BatArray: TypeAlias = npt.NDArray[np.uint32]

#: New blocks written by one pwritev during a large sequential write.
_BATCH_BYTES = 64 * 1024 * 1024
#: Bitmaps cached per disk before the cache is dropped (512 bytes each for 2 MiB blocks).
_BITMAP_CACHE_LIMIT = 65536
#: Zero-fill chunk of fixed disks (new, expand).
FILL_CHUNK = 8 * 1024 * 1024


def now_vhd_timestamp() -> int:
    """The current wall-clock time as a VHD time stamp.

    The one wall-clock read of the storage layer: VHD files leave the lab and other tools
    expect a real creation time. Callers that need determinism pass ``timestamp=``.
    """
    return vhd_timestamp(time.time())


def new_unique_id() -> bytes:
    return uuid.uuid4().bytes


def as_byte_view(data: Buffer | npt.NDArray[np.generic]) -> memoryview:
    """A flat byte view of bytes-like data or a C-contiguous numpy array, without a copy."""
    if isinstance(data, np.ndarray):
        if not data.flags.c_contiguous:
            data = np.ascontiguousarray(data)
        return data.reshape(-1).view(np.uint8).data
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def check_cancelled(cancelled: Cancelled | None, what: str) -> None:
    if cancelled is not None and cancelled():
        raise OperationCancelled(what)


def bitmap_for(bitmap_size: int, first: int, count: int) -> npt.NDArray[np.uint8]:
    """A packed sector bitmap (MSB = lowest sector) with sectors first..first+count-1 set."""
    bits = np.zeros(bitmap_size * 8, dtype=np.uint8)
    bits[first:first + count] = 1
    return np.packbits(bits)


class VhdDisk(ABC):
    """An open VHD file; the base of the three disk types. Sizes are bytes, addresses are
    512-byte sectors (LBAs)."""

    def __init__(self, file: PositionedFile, footer: Footer, footer_offset: int,
                 notes: list[str]) -> None:
        self._file = file
        self.footer = footer
        self._footer_offset = footer_offset
        #: Non-fatal findings made while opening (a recovered footer, a checksum quirk).
        self.notes = notes
        #: True when the trailing footer was damaged and the copy at offset 0 was used.
        self.footer_recovered = False

    @property
    def path(self) -> str:
        return self._file.path

    @property
    def writable(self) -> bool:
        return self._file.writable

    @property
    def disk_type(self) -> DiskType:
        return self.footer.disk_type

    @property
    def size(self) -> int:
        """The size the guest sees, in bytes (the footer's current size)."""
        return self.footer.current_size

    @property
    def sectors(self) -> int:
        return self.footer.current_size // SECTOR

    @property
    def unique_id(self) -> bytes:
        return self.footer.unique_id

    @property
    def file_size(self) -> int:
        return self._file.size()

    def file_mtime(self) -> float:
        return self._file.mtime()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def __enter__(self) -> VhdDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r} {self.size:,} bytes>"

    def close(self) -> None:
        self._file.close()

    def flush(self) -> None:
        """Make every completed write durable (fsync). The structures are always consistent."""
        if self.writable:
            self._file.sync()

    # -- sector I/O
    def read_sectors(self, lba: int, count: int) -> bytearray:
        """``count`` sectors from sector ``lba``, in a new buffer the caller owns (not copied
        again to ``bytes``: large reads are common). Sectors never written read as zeros."""
        self._check_range(lba, count)
        buf = bytearray(count * SECTOR)
        if count:
            self._read_into(lba, memoryview(buf))
        return buf

    def read_into(self, lba: int, buf: memoryview | bytearray | npt.NDArray[np.generic]) -> None:
        """Fill ``buf`` (a whole number of sectors, writable) from sector ``lba``."""
        if isinstance(buf, np.ndarray) and not buf.flags.c_contiguous:
            raise VhdError("A read needs a contiguous buffer to fill.")
        view = as_byte_view(buf)
        if view.readonly:
            raise VhdError("A read needs a writable buffer to fill.")
        if len(view) % SECTOR:
            raise VhdError(f"A read of {len(view)} bytes is not a whole number of sectors.")
        self._check_range(lba, len(view) // SECTOR)
        if len(view):
            self._read_into(lba, view)

    def write_sectors(self, lba: int, data: Buffer | npt.NDArray[np.generic]) -> None:
        """Write ``data`` (a whole number of 512-byte sectors) at sector ``lba``."""
        view = as_byte_view(data)
        if len(view) % SECTOR:
            raise VhdError(f"A write of {len(view)} bytes is not a whole number of sectors.")
        self._check_range(lba, len(view) // SECTOR)
        if not self.writable:
            raise VhdInUseError(f"The virtual hard disk '{self.path}' is open read-only.")
        if len(view):
            self._write(lba, view)

    def _check_range(self, lba: int, count: int) -> None:
        if lba < 0 or count < 0 or lba + count > self.sectors:
            raise VhdError(f"Sectors {lba:,} to {lba + count - 1:,} are outside the virtual hard "
                           f"disk '{self.path}', which has {self.sectors:,} sectors.")

    @abstractmethod
    def _read_into(self, lba: int, out: memoryview) -> None:
        """Fill ``out`` with the sectors from ``lba`` (range checked by the caller)."""

    @abstractmethod
    def _write(self, lba: int, data: memoryview) -> None:
        """Write ``data`` at ``lba`` (range and writability checked by the caller)."""

    def _require_writable(self, action: str) -> None:
        if not self.writable:
            raise VhdInUseError(f"Cannot {action} '{self.path}': it is open read-only.")
        if self.footer.saved_state:
            raise VhdInUseError(f"Cannot {action} '{self.path}': the disk belongs to a virtual "
                                "machine in the saved state.")


class VhdFixed(VhdDisk):
    """A fixed-size disk: the guest's bytes, then the footer."""

    def _read_into(self, lba: int, out: memoryview) -> None:
        self._file.read_into(out, lba * SECTOR)

    def _write(self, lba: int, data: memoryview) -> None:
        self._file.write(data, lba * SECTOR)

    def expand(self, new_size: int, *, zero_fill: bool = True, progress: Progress | None = None,
               cancelled: Cancelled | None = None) -> None:
        """Grow to ``new_size`` bytes (already rounded): new footer first, then zeros where
        the old footer was and, with ``zero_fill``, in the rest of the new space. Cancelling
        restores the old size."""
        self._require_writable("expand")
        old_size, old_footer = self.size, self.footer
        old_end = self._footer_offset + FOOTER_SIZE
        footer = old_footer.resized(new_size)
        self._file.write(footer.pack(), new_size)
        if old_end > new_size + FOOTER_SIZE:
            self._file.truncate(new_size + FOOTER_SIZE)
        self.footer, self._footer_offset = footer, new_size
        fill_end = new_size if zero_fill else min(new_size, old_end)
        zeros = memoryview(bytes(min(FILL_CHUNK, max(SECTOR, fill_end - old_size))))
        done = old_size
        try:
            while done < fill_end:
                check_cancelled(cancelled, f"expanding '{self.path}'")
                step = min(len(zeros), fill_end - done)
                self._file.write(zeros[:step], done)
                done += step
                if progress is not None:
                    progress(100.0 * (done - old_size) / (fill_end - old_size))
        except OperationCancelled:
            self._file.truncate(old_size + FOOTER_SIZE)
            self._file.write(old_footer.pack(), old_size)
            self.footer, self._footer_offset = old_footer, old_size
            raise
        if progress is not None:
            progress(100.0)


class VhdDynamic(VhdDisk):
    """A dynamically expanding disk: footer copy, dynamic header, BAT, blocks, footer."""

    def __init__(self, file: PositionedFile, footer: Footer, footer_offset: int,
                 notes: list[str], header: DynamicHeader, bat: BatArray,
                 next_free: int) -> None:
        super().__init__(file, footer, footer_offset, notes)
        self.header = header
        self._bat = bat
        #: Where the next block goes: after the last structure or block.
        self._next_free = next_free
        self._spb = header.block_size // SECTOR
        self._bitmap_size = header.bitmap_size
        self._span = header.block_span
        self._bitmaps: dict[int, npt.NDArray[np.uint8]] = {}
        self._zeros: memoryview | None = None
        self._full_bitmap = bitmap_for(self._bitmap_size, 0, self._spb)

    # -- structure, for inspection and the disk operations
    @property
    def block_size(self) -> int:
        return self.header.block_size

    @property
    def block_count(self) -> int:
        """Blocks that hold the disk's sectors (the BAT may have more entries)."""
        return -(-self.size // self.header.block_size)

    @property
    def sectors_per_block(self) -> int:
        return self._spb

    def bat(self) -> BatArray:
        """A read-only copy of the BAT (sector numbers of block bitmaps, 0xFFFFFFFF = none)."""
        copy = self._bat.astype(np.uint32)
        copy.setflags(write=False)
        return copy

    def allocated_blocks(self) -> npt.NDArray[np.intp]:
        """Indexes of the allocated blocks among the first :attr:`block_count`."""
        return np.flatnonzero(self._bat[: self.block_count] != UNALLOCATED)

    def block_offset(self, block: int) -> int | None:
        """File offset of a block's bitmap, or None when the block is not allocated."""
        entry = int(self._bat[block])
        return None if entry == UNALLOCATED else entry * SECTOR

    def block_bitmap(self, block: int) -> npt.NDArray[np.bool_]:
        """One bool per sector of ``block``: True where this file holds the sector's data."""
        if int(self._bat[block]) == UNALLOCATED:
            return np.zeros(self._spb, dtype=bool)
        return np.unpackbits(self._bitmap(block))[: self._spb].astype(bool)

    def read_block(self, block: int) -> tuple[bytes, bytes]:
        """The packed sector bitmap and the data of an allocated block, as stored."""
        offset = self.block_offset(block)
        if offset is None:
            raise VhdError(f"Block {block} of '{self.path}' is not allocated.")
        raw = self._file.read(self._span, offset)
        return raw[: self._bitmap_size], raw[self._bitmap_size:]

    # -- reads
    def _read_into(self, lba: int, out: memoryview) -> None:
        pos = 0
        total = len(out)
        while pos < total:
            block, sib = divmod(lba, self._spb)
            count = min((total - pos) // SECTOR, self._spb - sib)
            part = out[pos:pos + count * SECTOR]
            entry = int(self._bat[block])
            if entry == UNALLOCATED:
                self._read_unallocated(lba, part)
            else:
                self._read_allocated(block, entry, sib, lba, part)
            pos += count * SECTOR
            lba += count

    def _read_unallocated(self, lba: int, out: memoryview) -> None:
        np.frombuffer(out, dtype=np.uint8)[:] = 0

    def _read_allocated(self, block: int, entry: int, sib: int, lba: int,
                        out: memoryview) -> None:
        # Unwritten sectors of an allocated block are zero on disk (we zero new blocks and the
        # spec requires it), so the data area is read as is, as qemu does.
        self._file.read_into(out, entry * SECTOR + self._bitmap_size + sib * SECTOR)

    def _bitmap(self, block: int) -> npt.NDArray[np.uint8]:
        cached = self._bitmaps.get(block)
        if cached is None:
            raw = self._file.read(self._bitmap_size, int(self._bat[block]) * SECTOR)
            cached = np.frombuffer(raw, dtype=np.uint8).copy()
            self._remember_bitmap(block, cached)
        return cached

    def _remember_bitmap(self, block: int, bitmap: npt.NDArray[np.uint8]) -> None:
        if len(self._bitmaps) >= _BITMAP_CACHE_LIMIT:
            self._bitmaps.clear()
        self._bitmaps[block] = bitmap

    # -- writes
    def _write(self, lba: int, data: memoryview) -> None:
        pending: list[tuple[int, list[Buffer]]] = []
        pending_bytes = 0
        pos = 0
        total = len(data)
        while pos < total:
            block, sib = divmod(lba, self._spb)
            count = min((total - pos) // SECTOR, self._spb - sib)
            chunk = data[pos:pos + count * SECTOR]
            entry = int(self._bat[block])
            if entry == UNALLOCATED:
                pending.append((block, self._new_block(block, sib, count, chunk)))
                pending_bytes += self._span
                if pending_bytes >= _BATCH_BYTES:
                    self._allocate(pending)
                    pending, pending_bytes = [], 0
            else:
                self._file.write(chunk, entry * SECTOR + self._bitmap_size + sib * SECTOR)
                self._mark_written(block, entry, sib, count)
            pos += count * SECTOR
            lba += count
        if pending:
            self._allocate(pending)

    def _new_block(self, block: int, sib: int, count: int, chunk: memoryview) -> list[Buffer]:
        """Bitmap and complete data of a new block: the written sectors, zeros elsewhere.
        Unwritten sectors of a differencing block keep bit 0, so the parent shows through."""
        if sib == 0 and count == self._spb:
            bitmap = self._full_bitmap
            segments: list[Buffer] = [bitmap.tobytes(), chunk]
        else:
            bitmap = bitmap_for(self._bitmap_size, sib, count)
            zeros = self._zero_block()
            segments = [bitmap.tobytes(), zeros[: sib * SECTOR], chunk,
                        zeros[: (self._spb - sib - count) * SECTOR]]
        self._remember_bitmap(block, bitmap)
        return segments

    def _allocate(self, blocks: list[tuple[int, list[Buffer]]]) -> None:
        """Append new blocks where the footer was, the footer after them, then their BAT
        entries: a crash never leaves an entry pointing at unwritten data, and the footer copy
        at offset 0 stays valid throughout."""
        segments: list[Buffer] = []
        for _block, block_segments in blocks:
            segments.extend(block_segments)
        start = self._extend(segments, len(blocks) * self._span)
        for i, (block, _segments) in enumerate(blocks):
            self._bat[block] = (start + i * self._span) // SECTOR
        first = min(block for block, _ in blocks)
        last = max(block for block, _ in blocks)
        self._file.write(self._bat[first:last + 1].tobytes(),
                         self.header.table_offset + 4 * first)

    def _mark_written(self, block: int, entry: int, sib: int, count: int) -> None:
        """Set the bitmap bits of sectors just written into an allocated block (after the
        data, so a crash shows the old sectors, never garbage)."""
        bitmap = self._bitmap(block)
        bits = np.unpackbits(bitmap)
        if bits[sib:sib + count].all():
            return
        bits[sib:sib + count] = 1
        updated = np.packbits(bits)
        self._file.write(updated.tobytes(), entry * SECTOR)
        self._remember_bitmap(block, updated)

    def _zero_block(self) -> memoryview:
        if self._zeros is None:
            self._zeros = memoryview(bytes(self.header.block_size))
        return self._zeros

    def _extend(self, segments: list[Buffer], length: int) -> int:
        """Write ``segments`` (``length`` bytes, whole sectors) where the next block would go
        and the footer after them; returns their offset. The file ends at the new footer."""
        start = self._next_free
        end = start + length
        old_file_end = self._footer_offset + FOOTER_SIZE
        self._file.writev([*segments, self.footer.pack()], start)
        if old_file_end > end + FOOTER_SIZE:
            self._file.truncate(end + FOOTER_SIZE)
        self._footer_offset = end
        self._next_free = end
        return start

    # -- structure edits for the disk operations
    def rewrite_trailing_footer(self) -> None:
        """Write the footer at its place at the end (repairs a damaged trailing footer)."""
        self._file.write(self.footer.pack(), self._footer_offset)

    def _store_footer(self, footer: Footer) -> None:
        """The trailing footer first, then the copy at offset 0 (the spec's recovery order)."""
        self._file.write(footer.pack(), self._footer_offset)
        self._file.write(footer.pack(), 0)
        self.footer = footer

    def _store_header(self, header: DynamicHeader) -> None:
        self._file.write(header.pack(), self.footer.data_offset)
        self.header = header

    def expand(self, new_size: int) -> None:
        """Grow to ``new_size`` bytes (already rounded). A BAT without room for the new
        entries moves to the end of the file; each step leaves a valid file."""
        self._require_writable("expand")
        needed = -(-new_size // self.header.block_size)
        header = self.header
        if needed > header.max_table_entries:
            bat = np.full(needed, UNALLOCATED, dtype=">u4")
            bat[: header.max_table_entries] = self._bat
            if header.table_offset + 4 * needed <= self._bat_room_end():
                self._file.write(bat[header.max_table_entries:].tobytes(),
                                 header.table_offset + 4 * header.max_table_entries)
                header = replace(header, max_table_entries=needed)
            else:
                raw = bat.tobytes()
                raw += b"\xff" * (-len(raw) % SECTOR)
                table_offset = self._extend([raw], len(raw))
                header = replace(header, table_offset=table_offset, max_table_entries=needed)
            self._bat = bat
            self._store_header(header)
        self._store_footer(self.footer.resized(new_size))

    def _bat_room_end(self) -> int:
        """Where the first structure or block after the BAT starts."""
        start = self.header.table_offset
        ends = [self._next_free]
        if self.footer.data_offset > start:
            ends.append(self.footer.data_offset)
        ends.extend(loc.data_offset for loc in self.header.locators
                    if loc.code in PATH_CODES and loc.data_offset > start)
        allocated = self._bat[self._bat != UNALLOCATED].astype(np.int64) * SECTOR
        after = allocated[allocated > start]
        if after.size:
            ends.append(int(after.min()))
        return min(ends)


class VhdDifferencing(VhdDynamic):
    """A differencing disk: sectors whose bitmap bit is 1 live here, the rest in the parent."""

    def __init__(self, file: PositionedFile, footer: Footer, footer_offset: int,
                 notes: list[str], header: DynamicHeader, bat: BatArray,
                 next_free: int) -> None:
        super().__init__(file, footer, footer_offset, notes, header, bat, next_free)
        #: The opened parent disk (owned: closed with this disk), or None when not resolved.
        self.parent: VhdDisk | None = None

    @property
    def parent_unique_id(self) -> bytes:
        return self.header.parent_unique_id

    def close(self) -> None:
        if self.parent is not None:
            self.parent.close()
        super().close()

    def parent_paths(self) -> list[str]:
        """Where the header says the parent is, best first: W2ru (relative to this disk's
        folder), W2ku, the header's parent name, then those file names next to this disk.
        Nothing is checked to exist."""
        located: list[tuple[PlatformCode, str]] = []
        for code in PATH_CODES:
            for loc in self.header.locators:
                if loc.code == code and loc.data_length:
                    text = decode_locator_path(code, self._file.read(loc.data_length,
                                                                     loc.data_offset))
                    if text:
                        located.append((code, text))
        return candidate_paths(self.path, located, self.header.parent_name)

    def _read_unallocated(self, lba: int, out: memoryview) -> None:
        self._read_parent(lba, out)

    def _read_allocated(self, block: int, entry: int, sib: int, lba: int,
                        out: memoryview) -> None:
        count = len(out) // SECTOR
        bits = np.unpackbits(self._bitmap(block))[sib:sib + count]
        if bits.all():
            super()._read_allocated(block, entry, sib, lba, out)
            return
        if not bits.any():
            self._read_parent(lba, out)
            return
        edges = np.flatnonzero(np.diff(bits)) + 1
        starts = np.concatenate(([0], edges)).tolist()
        stops = np.concatenate((edges, [count])).tolist()
        data_at = entry * SECTOR + self._bitmap_size
        for first, stop in zip(starts, stops, strict=True):
            part = out[first * SECTOR:stop * SECTOR]
            if bits[first]:
                self._file.read_into(part, data_at + (sib + first) * SECTOR)
            else:
                self._read_parent(lba + first, part)

    def _read_parent(self, lba: int, out: memoryview) -> None:
        parent = self.parent
        if parent is None:
            raise VhdParentError(f"The parent of the differencing disk '{self.path}' is not "
                                 "open, so its unchanged sectors cannot be read.")
        count = len(out) // SECTOR
        inside = max(0, min(count, parent.sectors - lba))
        if inside:
            parent._read_into(lba, out[: inside * SECTOR])
        if inside < count:
            np.frombuffer(out, dtype=np.uint8)[inside * SECTOR:] = 0

    def set_parent(self, parent: VhdDisk, *, adopt_id: bool = False) -> None:
        """Point the header and the W2ku/W2ru locators at ``parent`` (Reconnect).

        The parent's time stamp is recorded; its unique id only with ``adopt_id``. A path that
        fits the locator's reserved space is rewritten in place, a longer one goes to the end.
        """
        self._require_writable("reconnect")
        locators = list(self.header.locators)
        for code, text in locator_texts(self.path, parent.path):
            blob = encode_locator_path(code, text)
            slot = next((i for i, loc in enumerate(locators) if loc.code == code), None)
            if slot is None:
                slot = next((i for i, loc in enumerate(locators) if not loc.in_use), None)
                if slot is None:
                    raise VhdError(f"The differencing disk '{self.path}' has no free parent "
                                   "locator entry.")
            old = locators[slot]
            if old.code == code and len(blob) <= locator_room(old):
                offset, space = old.data_offset, old.data_space
                self._file.write(blob + bytes(max(0, old.data_length - len(blob))), offset)
            else:
                space = locator_space(len(blob))
                offset = self._extend([blob + bytes(space - len(blob))], space)
            locators[slot] = ParentLocator(code, space, len(blob), offset)
        self._store_header(replace(
            self.header, locators=tuple(locators), parent_name=basename(parent.path),
            parent_timestamp=parent.footer.timestamp,
            parent_unique_id=parent.unique_id if adopt_id else self.header.parent_unique_id))
