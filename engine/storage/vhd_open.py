"""Opening a VHD: find and check the footer, header, BAT and parent locators, then the
parent chain of a differencing disk.

Every structure is validated before it is used, and no size read from the file is trusted
for an allocation before it has been checked against the file's length, so a damaged or
hostile file is rejected with a :class:`VhdCorruptError` naming what is wrong, quickly.
"""

from __future__ import annotations

import itertools
import os
import stat
import uuid

import numpy as np

from hvlab.engine.storage import vhd_format as fmt
from hvlab.engine.storage.errors import VhdCorruptError, VhdError, VhdParentError
from hvlab.engine.storage.fileio import PositionedFile
from hvlab.engine.storage.locators import MAX_LOCATOR_LENGTH, PATH_CODES, locator_room
from hvlab.engine.storage.vhd import BatArray, VhdDifferencing, VhdDisk, VhdDynamic, VhdFixed

#: Deepest differencing chain we follow (also stops loops between crafted files).
MAX_CHAIN_DEPTH = 128


def open_vhd(path: str | os.PathLike[str], *, writable: bool = False,
             parent: str | os.PathLike[str] | None = None, resolve_parent: bool = True,
             check_parent_timestamp: bool = True) -> VhdDisk:
    """Open and validate a VHD file.

    A differencing disk opens its parent chain read-only: ``parent`` names the parent file,
    otherwise the locators are searched (:meth:`VhdDifferencing.parent_paths`). With
    ``resolve_parent=False`` the chain is not opened, which is enough to inspect the disk,
    write to it, compact it or reconnect it. Raises :class:`VhdCorruptError` for a bad
    structure and :class:`VhdParentError` when the parent is missing or is not the disk the
    child was made from (unique id, and time stamp unless ``check_parent_timestamp`` is off).
    A damaged trailing footer of a dynamic or differencing disk is recovered from the copy
    at offset 0 (``disk.footer_recovered``) and, when ``writable``, rewritten.
    """
    return _open(os.fspath(path), writable=writable,
                 parent=None if parent is None else os.fspath(parent),
                 resolve_parent=resolve_parent, check_timestamp=check_parent_timestamp,
                 chain=())


def vhd_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be attached as a virtual hard disk, or None when it can: it is
    missing, not a regular file, has no VHD footer, is damaged, or is a differencing disk
    whose parent chain is broken.  Only a regular file is opened, so a pipe or a device
    cannot block or feed the check."""
    text = os.fspath(path)
    try:
        info = os.stat(text)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            return f"The system cannot find the file '{text}'. (0x80070002)"
        return f"'{text}' cannot be read: {exc.strerror or exc}."
    if not stat.S_ISREG(info.st_mode):
        if stat.S_ISDIR(info.st_mode):
            return f"'{text}' is a folder, not a virtual hard disk file."
        return f"'{text}' is not a regular file, so it cannot be a virtual hard disk."
    try:
        with PositionedFile(text) as file:
            size = file.size()
            # The trailing footer (512 bytes, or 511 from old Virtual PC) or the copy at 0.
            starts = {0, size - fmt.FOOTER_SIZE, size - fmt.FOOTER_SIZE + 1}
            ends = [file.read(8, at) for at in sorted(starts) if 0 <= at <= size - 8]
        if fmt.FOOTER_COOKIE not in ends:
            return (f"The file '{text}' is not a virtual hard disk: it has no VHD footer "
                    "(cookie \"conectix\").")
        with open_vhd(text):
            return None
    except VhdError as err:
        return err.text


def find_parent(child: VhdDifferencing, *, check_timestamp: bool = True) -> str:
    """The path of ``child``'s parent: the first candidate whose unique id (and time stamp)
    match. Raises :class:`VhdParentError` naming what was tried."""
    return _find_parent(child, None, check_timestamp, ())


def _open(path: str, *, writable: bool, parent: str | None, resolve_parent: bool,
          check_timestamp: bool, chain: tuple[str, ...]) -> VhdDisk:
    file = PositionedFile(path, writable=writable)
    disk: VhdDisk | None = None
    try:
        disk = _open_file(file, path)
        if isinstance(disk, VhdDifferencing) and resolve_parent:
            chain = (*chain, os.path.realpath(path))
            found = _find_parent(disk, parent, check_timestamp, chain)
            disk.parent = _open(found, writable=False, parent=None, resolve_parent=True,
                                check_timestamp=check_timestamp, chain=chain)
        if writable and disk.footer_recovered and isinstance(disk, VhdDynamic):
            disk.rewrite_trailing_footer()
            disk.notes.append("rewrote the damaged trailing footer")
    except BaseException:
        if disk is not None:
            disk.close()
        file.close()
        raise
    return disk


def _open_file(file: PositionedFile, path: str) -> VhdDisk:
    size = file.size()
    footer, footer_offset, notes = _read_footer(file, path, size)
    if footer.disk_type is fmt.DiskType.FIXED:
        if footer_offset < footer.current_size:
            raise VhdCorruptError(path, "footer", "current size",
                                  f"is {footer.current_size:,} bytes, but the file holds only "
                                  f"{footer_offset:,} bytes of data")
        return VhdFixed(file, footer, footer_offset, notes)
    limit = footer_offset if footer_offset >= 0 else size
    if footer.data_offset + fmt.HEADER_SIZE > limit:
        raise VhdCorruptError(path, "footer", "data offset",
                              f"0x{footer.data_offset:X} puts the dynamic header past the end "
                              "of the file")
    header = fmt.parse_header(file.read(fmt.HEADER_SIZE, footer.data_offset), path,
                              footer.current_size)
    if header.table_offset + 4 * header.max_table_entries > limit:
        raise VhdCorruptError(path, "dynamic header", "table offset",
                              f"0x{header.table_offset:X} with {header.max_table_entries:,} "
                              f"entries puts the BAT past the end of the data at {limit:,}")
    bat: BatArray = np.frombuffer(file.read(4 * header.max_table_entries, header.table_offset),
                                  dtype=">u4").copy()
    differencing = footer.disk_type is fmt.DiskType.DIFFERENCING
    next_free = _validate_layout(path, footer, header, bat, limit, differencing)
    cls = VhdDifferencing if differencing else VhdDynamic
    recovered = footer_offset < 0
    if recovered:
        # The trailing footer belongs after the data, or at the very end of a longer file
        # (where the damaged one is, or after Windows' alignment gap).
        footer_offset = max(next_free, size - fmt.FOOTER_SIZE)
    disk = cls(file, footer, footer_offset, notes, header, bat, next_free)
    disk.footer_recovered = recovered
    return disk


def _read_footer(file: PositionedFile, path: str, size: int) -> tuple[fmt.Footer, int, list[str]]:
    """The footer, its offset (-1 when recovered from the copy at offset 0), and notes."""
    if size < fmt.FOOTER_SIZE - 1:
        raise VhdCorruptError(path, "file", "length",
                              f"is {size} bytes, too short to hold a VHD footer")
    notes: list[str] = []
    try:
        if size < fmt.FOOTER_SIZE:
            raise VhdCorruptError(path, "footer", "length", "is 511 bytes")
        footer = fmt.parse_footer(file.read(fmt.FOOTER_SIZE, size - fmt.FOOTER_SIZE), path)
        offset = size - fmt.FOOTER_SIZE
    except VhdCorruptError as trailing:
        try:
            # Virtual PC before 2004 wrote a 511-byte footer (the last reserved byte missing).
            tail = file.read(fmt.FOOTER_SIZE - 1, size - fmt.FOOTER_SIZE + 1)
            footer = fmt.parse_footer(tail + b"\0", path)
            offset = size - fmt.FOOTER_SIZE + 1
            notes.append("511-byte footer (Virtual PC before 2004)")
        except VhdCorruptError:
            footer, offset = _recover_footer(file, path, size, trailing), -1
            notes.append(f"recovered the footer from the copy at offset 0: {trailing.field} "
                         f"{trailing.problem}")
    if footer.checksum_quirk:
        notes.append("footer checksum was computed with a zero unique id (old qemu)")
    return footer, offset, notes


def _recover_footer(file: PositionedFile, path: str, size: int,
                    trailing: VhdCorruptError) -> fmt.Footer:
    """The spec's rule: a damaged footer is replaced by the copy at offset 0, which only
    dynamic and differencing disks have."""
    head = file.read(fmt.FOOTER_SIZE, 0) if size >= fmt.FOOTER_SIZE else b""
    if head[:8] != fmt.FOOTER_COOKIE:
        raise trailing
    try:
        copy = fmt.parse_footer(head, path, "footer copy at offset 0")
    except VhdCorruptError as err:
        raise VhdCorruptError(path, trailing.structure, trailing.field,
                              f"{trailing.problem}, and the footer copy at offset 0 is damaged "
                              f"too ({err.field} {err.problem})") from err
    if copy.disk_type is fmt.DiskType.FIXED:
        raise trailing
    return copy


def _validate_layout(path: str, footer: fmt.Footer, header: fmt.DynamicHeader, bat: BatArray,
                     limit: int, differencing: bool) -> int:
    """Check that every structure and block lies inside the data and nothing overlaps.

    Returns where the next block goes: after the last structure, reserved locator space or
    block, as a sector-aligned offset.
    """
    extents: list[tuple[int, int, str]] = [
        (0, fmt.FOOTER_SIZE, "footer copy at offset 0"),
        (footer.data_offset, footer.data_offset + fmt.HEADER_SIZE, "dynamic header"),
        (header.table_offset, header.table_offset + 4 * header.max_table_entries, "BAT"),
    ]
    reserved_end = max(end for _start, end, _name in extents)
    if differencing:
        for index, loc in enumerate(header.locators):
            if loc.code not in PATH_CODES or loc.data_length == 0:
                continue
            where = f"parent locator {index}"
            if loc.data_length > MAX_LOCATOR_LENGTH:
                raise VhdCorruptError(path, where, "data length",
                                      f"{loc.data_length:,} is too large for a path")
            if loc.data_offset % fmt.SECTOR:
                raise VhdCorruptError(path, where, "data offset",
                                      f"0x{loc.data_offset:X} is not sector-aligned")
            if loc.data_offset + loc.data_length > limit:
                raise VhdCorruptError(path, where, "data offset",
                                      f"0x{loc.data_offset:X} with length {loc.data_length} "
                                      "lies past the end of the file")
            extents.append((loc.data_offset, loc.data_offset + loc.data_length, where))
            reserved_end = max(reserved_end, loc.data_offset + locator_room(loc))
    for (a_start, a_end, a_name), (b_start, _b_end, b_name) in itertools.pairwise(
            sorted(extents)):
        if b_start < a_end:
            structure = "dynamic header" if "BAT" in (a_name, b_name) else b_name
            field = "table offset" if "BAT" in (a_name, b_name) else "data offset"
            raise VhdCorruptError(path, structure, field,
                                  f"0x{b_start:X}: the {b_name} overlaps the {a_name} "
                                  f"(0x{a_start:X}–0x{a_end:X})")
    next_free = -(-reserved_end // fmt.SECTOR) * fmt.SECTOR
    allocated = np.flatnonzero(bat != fmt.UNALLOCATED)
    if allocated.size == 0:
        return next_free
    starts = bat[allocated].astype(np.int64) * fmt.SECTOR
    ends = starts + header.block_span
    past = np.flatnonzero(ends > limit)
    if past.size:
        b = int(allocated[past[0]])
        raise VhdCorruptError(path, "BAT", f"entry {b}",
                              f"points to sector {int(bat[b]):,}, so the block ends at byte "
                              f"{int(ends[past[0]]):,}, past the end of the data at {limit:,} "
                              "(the file is truncated)")
    for start, end, name in extents:
        hit = np.flatnonzero((starts < end) & (ends > start))
        if hit.size:
            b = int(allocated[hit[0]])
            raise VhdCorruptError(path, "BAT", f"entry {b}",
                                  f"points to sector {int(bat[b]):,}, inside the {name}")
    order = np.argsort(starts, kind="stable")
    clash = np.flatnonzero(starts[order][1:] < ends[order][:-1])
    if clash.size:
        a = int(allocated[order[clash[0]]])
        b = int(allocated[order[clash[0] + 1]])
        raise VhdCorruptError(path, "BAT", f"entry {b}",
                              f"points to sector {int(bat[b]):,}, overlapping block {a} at "
                              f"sector {int(bat[a]):,}")
    return max(next_free, int(ends.max()))


def _find_parent(child: VhdDifferencing, explicit: str | None, check_timestamp: bool,
                 chain: tuple[str, ...]) -> str:
    if len(chain) >= MAX_CHAIN_DEPTH:
        raise VhdParentError(f"The differencing chain of '{chain[0]}' is deeper than "
                             f"{MAX_CHAIN_DEPTH} disks (or loops).")
    candidates = [explicit] if explicit is not None else child.parent_paths()
    wrong: list[str] = []
    for candidate in candidates:
        if not os.path.isfile(candidate) or os.path.realpath(candidate) in chain:
            continue
        if os.path.realpath(candidate) == os.path.realpath(child.path):
            continue
        with _open(candidate, writable=False, parent=None, resolve_parent=False,
                   check_timestamp=check_timestamp, chain=chain) as disk:
            if disk.unique_id != child.parent_unique_id:
                wrong.append(f"'{candidate}' has id {uuid.UUID(bytes=disk.unique_id)}")
                continue
            if check_timestamp and not _parent_time_matches(child, disk):
                raise VhdParentError(
                    f"The parent of the differencing disk '{child.path}' was modified after "
                    f"the disk was created: the disk records parent time stamp "
                    f"{child.header.parent_timestamp}, but '{candidate}' has "
                    f"{disk.footer.timestamp}.")
        return candidate
    expected = uuid.UUID(bytes=child.parent_unique_id)
    if wrong:
        raise VhdParentError(
            f"The parent virtual hard disk of '{child.path}' does not match: it must have id "
            f"{expected}, but " + "; ".join(wrong) + ". Reconnect the disk to its parent.")
    tried = ", ".join(f"'{c}'" for c in candidates) or "no path recorded"
    raise VhdParentError(f"The parent virtual hard disk of '{child.path}' cannot be found "
                         f"(id {expected}; looked for {tried}). Reconnect the disk to its "
                         "parent.")


def _parent_time_matches(child: VhdDifferencing, parent: VhdDisk) -> bool:
    """0 (Windows writes it), the parent's footer time stamp (we write it) or the parent
    file's modification time (VirtualBox and Xen's vhd-util write that)."""
    stamp = child.header.parent_timestamp
    if stamp in (0, parent.footer.timestamp):
        return True
    return stamp == fmt.vhd_timestamp(parent.file_mtime())
