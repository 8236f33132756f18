"""The structures of Microsoft's VHD format (specification v1.0, 2006): footer, dynamic
header, parent locators, checksums, disk geometry and the sizes qemu agrees with.

Everything here is bytes in, dataclasses out (and back); nothing touches a file. Parsing
validates every field the engine relies on and raises :class:`VhdCorruptError` naming the
structure and field. Integers are big-endian on disk. See docs/vhd.md.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, replace

from hvlab.engine.storage.errors import VhdCorruptError, VhdError

SECTOR = 512
KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

#: The largest disk the format allows: 2040 GiB (0xFF000000 sectors, qemu's VHD_MAX_SECTORS).
MAX_DISK_SIZE = 2040 * GiB
#: The largest CHS geometry, 65535 cylinders × 16 heads × 255 sectors (≈127.5 GiB).
MAX_CHS_SECTORS = 65535 * 16 * 255
DEFAULT_BLOCK_SIZE = 2 * MiB
#: Block sizes Virtual PC and Hyper-V were tested with; we create only these.
CREATABLE_BLOCK_SIZES = (512 * KiB, 2 * MiB)

FOOTER_SIZE = 512
HEADER_SIZE = 1024
FOOTER_COOKIE = b"conectix"
HEADER_COOKIE = b"cxsparse"
VERSION_1_0 = 0x00010000
FEATURES_RESERVED = 0x00000002  # bit 1 "must be set to 1"; bit 0 is Temporary
#: Data offset of a fixed disk: the spec text says 0xFFFFFFFF, every real tool writes 64 ones.
NO_DATA_OFFSET = 0xFFFFFFFFFFFFFFFF
NO_DATA_OFFSET_32 = 0xFFFFFFFF
UNALLOCATED = 0xFFFFFFFF

#: Our creator application id. qemu ≤ 9.2 sizes unknown creators by CHS, so we create
#: CHS-exact sizes (see :func:`rounded_disk_size`).
CREATOR_APP = b"hvlb"
CREATOR_VERSION = 0x00010000
CREATOR_HOST_OS = b"Wi2k"

#: Seconds between the Unix epoch and the VHD epoch, 2000-01-01 00:00:00 UTC.
VHD_EPOCH_UNIX = 946684800

# Footer: cookie, features, version, data offset, time stamp, creator app, creator version,
# creator host OS, original size, current size, C, H, S, disk type, checksum, unique id,
# saved state, reserved.
_FOOTER = struct.Struct(">8sIIQI4sI4sQQHBBII16sB427s")
# Dynamic header up to the parent locators: cookie, data offset, table offset, version,
# max table entries, block size, checksum, parent unique id, parent time stamp, reserved,
# parent unicode name.
_HEADER = struct.Struct(">8sQQIIII16sII512s")
_LOCATOR = struct.Struct(">IIIIQ")
_LOCATORS_AT = _HEADER.size  # 576
_LOCATOR_COUNT = 8
_FOOTER_CHECKSUM_AT = 64
_HEADER_CHECKSUM_AT = 36
assert _FOOTER.size == FOOTER_SIZE
assert _LOCATORS_AT + _LOCATOR_COUNT * _LOCATOR.size + 256 == HEADER_SIZE


class DiskType(enum.IntEnum):
    """Footer disk type values. Hyper-V's names: Fixed size, Dynamically expanding,
    Differencing."""

    FIXED = 2
    DYNAMIC = 3
    DIFFERENCING = 4

    @property
    def label(self) -> str:
        return {2: "Fixed size", 3: "Dynamically expanding", 4: "Differencing"}[self.value]


class PlatformCode(enum.IntEnum):
    """Parent locator platform codes."""

    NONE = 0
    WI2R = 0x57693272  # deprecated, relative, narrow string
    WI2K = 0x5769326B  # deprecated, absolute, narrow string
    W2RU = 0x57327275  # relative Windows path, UTF-16LE
    W2KU = 0x57326B75  # absolute Windows path, UTF-16LE
    MAC = 0x4D616320  # Mac OS alias blob (not usable here)
    MACX = 0x4D616358  # UTF-8 file:// URL


def checksum(data: bytes | bytearray | memoryview, checksum_at: int) -> int:
    """The spec's one's-complement byte sum, with the 4 checksum bytes taken as zero."""
    raw = bytes(data)
    total = sum(raw) - sum(raw[checksum_at:checksum_at + 4])
    return ~total & 0xFFFFFFFF


def vhd_timestamp(unix_seconds: float) -> int:
    """A VHD time stamp (seconds since 2000-01-01 UTC, uint32) for a Unix time."""
    return max(0, min(0xFFFFFFFF, int(unix_seconds) - VHD_EPOCH_UNIX))


# ---------------------------------------------------------------------------- geometry

def chs_geometry(total_sectors: int) -> tuple[int, int, int]:
    """Cylinders, heads, sectors per track by the spec appendix's algorithm (rounds down)."""
    total = min(total_sectors, MAX_CHS_SECTORS)
    if total >= 65535 * 16 * 63:
        spt, heads = 255, 16
        cth = total // spt
    else:
        spt = 17
        cth = total // spt
        heads = max(4, (cth + 1023) // 1024)
        if cth >= heads * 1024 or heads > 16:
            spt, heads = 31, 16
            cth = total // spt
        if cth >= heads * 1024:
            spt, heads = 63, 16
            cth = total // spt
    return cth // heads, heads, spt


def rounded_disk_size(requested_bytes: int) -> int:
    """The size a new disk gets for a requested size, as ``qemu-img create -f vpc`` does it.

    Below the largest CHS geometry (≈127.5 GiB) the size is rounded **up** to the smallest
    cylinders × heads × sectors product that holds the request, so C·H·S·512 equals the
    current size and qemu (which sizes unknown creators by CHS) sees exactly our size. At
    and above it, CHS is pinned at 65535/16/255 and the exact request (rounded up to a
    sector) is kept, which every reader takes from the current size field.
    """
    if requested_bytes <= 0:
        raise VhdError(f"The size of a virtual hard disk must be positive, not {requested_bytes}"
                       " bytes.")
    sectors = -(-requested_bytes // SECTOR)
    if sectors > MAX_DISK_SIZE // SECTOR:
        raise VhdError(f"The size {requested_bytes:,} bytes is too large: a VHD holds at most "
                       "2040 GB.")
    target = min(sectors, MAX_CHS_SECTORS)
    probe = target
    c, h, s = chs_geometry(probe)
    while c * h * s < target:
        probe += 1
        c, h, s = chs_geometry(probe)
    if c * h * s == MAX_CHS_SECTORS:
        return sectors * SECTOR
    return c * h * s * SECTOR


def sector_bitmap_size(block_size: int) -> int:
    """Bytes of the sector bitmap in front of each block: one bit per sector, whole sectors."""
    bitmap_bytes = -(-(block_size // SECTOR) // 8)
    return -(-bitmap_bytes // SECTOR) * SECTOR


# ---------------------------------------------------------------------------- footer

@dataclass(frozen=True)
class Footer:
    """The hard disk footer (512 bytes at the end of every VHD, copied at 0 when dynamic)."""

    disk_type: DiskType
    current_size: int
    original_size: int
    data_offset: int
    timestamp: int
    unique_id: bytes
    cylinders: int
    heads: int
    sectors_per_track: int
    features: int = FEATURES_RESERVED
    version: int = VERSION_1_0
    creator_app: bytes = CREATOR_APP
    creator_version: int = CREATOR_VERSION
    creator_host_os: bytes = CREATOR_HOST_OS
    saved_state: int = 0
    #: True when the checksum only matched with the unique id taken as zero (a 2013 qemu bug).
    checksum_quirk: bool = False

    def pack(self) -> bytes:
        raw = bytearray(_FOOTER.pack(
            FOOTER_COOKIE, self.features, self.version, self.data_offset, self.timestamp,
            self.creator_app, self.creator_version, self.creator_host_os, self.original_size,
            self.current_size, self.cylinders, self.heads, self.sectors_per_track,
            int(self.disk_type), 0, self.unique_id, self.saved_state, bytes(427)))
        struct.pack_into(">I", raw, _FOOTER_CHECKSUM_AT, checksum(raw, _FOOTER_CHECKSUM_AT))
        return bytes(raw)

    def resized(self, current_size: int) -> Footer:
        c, h, s = chs_geometry(current_size // SECTOR)
        return replace(self, current_size=current_size, cylinders=c, heads=h,
                       sectors_per_track=s)

    @property
    def temporary(self) -> bool:
        return bool(self.features & 1)


def new_footer(disk_type: DiskType, size: int, unique_id: bytes, timestamp: int) -> Footer:
    c, h, s = chs_geometry(size // SECTOR)
    data_offset = NO_DATA_OFFSET if disk_type is DiskType.FIXED else FOOTER_SIZE
    return Footer(disk_type, size, size, data_offset, timestamp, unique_id, c, h, s)


def parse_footer(raw: bytes, path: str, where: str = "footer") -> Footer:
    """Validate and decode a 512-byte footer. ``where`` names it in errors (``footer`` or
    ``footer copy at offset 0``)."""
    if len(raw) != FOOTER_SIZE:
        raise VhdCorruptError(path, where, "length", f"is {len(raw)} bytes, expected 512")
    (cookie, features, version, data_offset, timestamp, creator_app, creator_version,
     creator_os, original_size, current_size, cylinders, heads, spt, disk_type, stored,
     unique_id, saved_state, _reserved) = _FOOTER.unpack(raw)
    if cookie != FOOTER_COOKIE:
        raise VhdCorruptError(path, where, "cookie", f"is {cookie!r}, expected b'conectix'")
    quirk = False
    computed = checksum(raw, _FOOTER_CHECKSUM_AT)
    if stored != computed:
        # Old qemu summed the footer before filling in the unique id; libvhdi accepts it.
        if stored == checksum(raw[:68] + bytes(16) + raw[84:], _FOOTER_CHECKSUM_AT):
            quirk = True
        else:
            raise VhdCorruptError(path, where, "checksum",
                                  f"is 0x{stored:08X} but the footer's bytes give 0x{computed:08X}")
    if version >> 16 != 1:
        raise VhdCorruptError(path, where, "file format version",
                              f"is 0x{version:08X}; only version 1.0 (0x00010000) is supported")
    if disk_type not in (2, 3, 4):
        raise VhdCorruptError(path, where, "disk type",
                              f"is {disk_type}; expected 2 (fixed), 3 (dynamic) or "
                              "4 (differencing)")
    if current_size % SECTOR:
        raise VhdCorruptError(path, where, "current size",
                              f"{current_size} is not a multiple of 512 bytes")
    if current_size > MAX_DISK_SIZE:
        raise VhdCorruptError(path, where, "current size",
                              f"{current_size:,} bytes exceeds the 2040 GiB maximum")
    if saved_state not in (0, 1):
        raise VhdCorruptError(path, where, "saved state", f"is {saved_state}; expected 0 or 1")
    kind = DiskType(disk_type)
    if kind is DiskType.FIXED:
        if data_offset not in (NO_DATA_OFFSET, NO_DATA_OFFSET_32):
            raise VhdCorruptError(path, where, "data offset",
                                  f"is 0x{data_offset:X}, but a fixed disk has no dynamic header "
                                  "(0xFFFFFFFFFFFFFFFF)")
    elif data_offset % SECTOR or data_offset < FOOTER_SIZE:
        raise VhdCorruptError(path, where, "data offset",
                              f"0x{data_offset:X} is not a sector-aligned offset after the "
                              "footer copy")
    return Footer(kind, current_size, original_size, data_offset, timestamp, bytes(unique_id),
                  cylinders, heads, spt, features, version, bytes(creator_app), creator_version,
                  bytes(creator_os), saved_state, quirk)


# ---------------------------------------------------------------------------- header

@dataclass(frozen=True)
class ParentLocator:
    """One of the eight parent locator entries of a differencing disk's header.

    ``data_space`` is stored as bytes, as Virtual PC and Hyper-V do (the spec says sectors;
    readers use only ``data_length``).
    """

    code: int
    data_space: int
    data_length: int
    data_offset: int

    @property
    def in_use(self) -> bool:
        return self.code != PlatformCode.NONE


EMPTY_LOCATOR = ParentLocator(0, 0, 0, 0)


@dataclass(frozen=True)
class DynamicHeader:
    """The 1024-byte dynamic disk header of dynamic and differencing disks."""

    table_offset: int
    max_table_entries: int
    block_size: int
    parent_unique_id: bytes = bytes(16)
    parent_timestamp: int = 0
    parent_name: str = ""
    locators: tuple[ParentLocator, ...] = (EMPTY_LOCATOR,) * _LOCATOR_COUNT
    version: int = VERSION_1_0
    data_offset: int = NO_DATA_OFFSET

    def pack(self) -> bytes:
        name = self.parent_name.encode("utf-16-be")[:512]
        raw = bytearray(_HEADER.pack(
            HEADER_COOKIE, self.data_offset, self.table_offset, self.version,
            self.max_table_entries, self.block_size, 0, self.parent_unique_id,
            self.parent_timestamp, 0, name.ljust(512, b"\0")))
        locators = list(self.locators) + [EMPTY_LOCATOR] * (_LOCATOR_COUNT - len(self.locators))
        for loc in locators[:_LOCATOR_COUNT]:
            raw += _LOCATOR.pack(loc.code, loc.data_space, loc.data_length, 0, loc.data_offset)
        raw += bytes(256)
        struct.pack_into(">I", raw, _HEADER_CHECKSUM_AT, checksum(raw, _HEADER_CHECKSUM_AT))
        return bytes(raw)

    @property
    def bitmap_size(self) -> int:
        return sector_bitmap_size(self.block_size)

    @property
    def block_span(self) -> int:
        """File bytes of one block: its sector bitmap and its data."""
        return self.bitmap_size + self.block_size


def parse_header(raw: bytes, path: str, current_size: int) -> DynamicHeader:
    """Validate and decode a 1024-byte dynamic disk header for a disk of ``current_size``."""
    where = "dynamic header"
    if len(raw) != HEADER_SIZE:
        raise VhdCorruptError(path, where, "length", f"is {len(raw)} bytes, expected 1024")
    (cookie, data_offset, table_offset, version, entries, block_size, stored, parent_id,
     parent_ts, _reserved, name_raw) = _HEADER.unpack_from(raw)
    if cookie != HEADER_COOKIE:
        raise VhdCorruptError(path, where, "cookie", f"is {cookie!r}, expected b'cxsparse'")
    computed = checksum(raw, _HEADER_CHECKSUM_AT)
    if stored != computed:
        raise VhdCorruptError(path, where, "checksum",
                              f"is 0x{stored:08X} but the header's bytes give 0x{computed:08X}")
    if version >> 16 != 1:
        raise VhdCorruptError(path, where, "header version",
                              f"is 0x{version:08X}; only version 1.0 (0x00010000) is supported")
    if block_size < SECTOR or block_size & (block_size - 1):
        raise VhdCorruptError(path, where, "block size",
                              f"{block_size} is not a power of two of at least 512 bytes")
    if table_offset % SECTOR:
        raise VhdCorruptError(path, where, "table offset",
                              f"0x{table_offset:X} is not sector-aligned")
    needed = -(-current_size // block_size)
    if entries < needed:
        raise VhdCorruptError(path, where, "max table entries",
                              f"is {entries}, too few for {current_size:,} bytes in blocks of "
                              f"{block_size:,} (needs {needed})")
    locators = tuple(
        ParentLocator(code, space, length, offset)
        for code, space, length, _res, offset in (
            _LOCATOR.unpack_from(raw, _LOCATORS_AT + i * _LOCATOR.size)
            for i in range(_LOCATOR_COUNT)))
    name = bytes(name_raw).decode("utf-16-be", errors="replace").split("\0", 1)[0]
    return DynamicHeader(table_offset, entries, block_size, bytes(parent_id), parent_ts, name,
                         locators, version, data_offset)


# ---------------------------------------------------------------------------- locators

def encode_locator_path(code: int, path: str) -> bytes:
    """The bytes a parent locator of ``code`` stores for ``path``."""
    if code in (PlatformCode.W2KU, PlatformCode.W2RU):
        return path.encode("utf-16-le")
    if code == PlatformCode.MACX:
        return path.encode("utf-8")
    raise ValueError(f"no encoding for platform code 0x{code:08X}")


def decode_locator_path(code: int, data: bytes) -> str | None:
    """The path in a locator's data, or None when the code holds no usable path."""
    try:
        if code in (PlatformCode.W2KU, PlatformCode.W2RU):
            text = data.decode("utf-16-le")
        elif code in (PlatformCode.WI2K, PlatformCode.WI2R):
            text = data.decode("utf-8")
        elif code == PlatformCode.MACX:
            from urllib.parse import unquote, urlsplit

            text = data.decode("utf-8")
            if text.startswith("file://"):
                text = unquote(urlsplit(text).path)
        else:
            return None
    except UnicodeDecodeError:
        return None
    text = text.split("\0", 1)[0]
    return text or None
