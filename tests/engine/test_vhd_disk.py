"""The VHD engine itself: sector I/O rules, on-disk invariants, footer recovery, old and
Windows-made layouts, and how a differencing disk finds (or refuses) its parent."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from hvlab.engine.errors import HvError
from hvlab.engine.storage import (
    DiskType,
    VhdCorruptError,
    VhdDifferencing,
    VhdDynamic,
    VhdError,
    VhdInUseError,
    VhdParentError,
    create_vhd,
    open_vhd,
    reconnect_disk,
)
from hvlab.engine.storage.vhd_format import checksum, vhd_timestamp

M = 1024 * 1024
KB512 = 512 * 1024


def new_dynamic(path: Path, size: int = 8 * M, block_size: int = 2 * M) -> Path:
    create_vhd(path, size, block_size=block_size)
    return path


def refooter(raw: bytearray, at: int) -> None:
    """Recompute the checksum of the footer at ``at`` after a test edited it."""
    raw[at + 64:at + 68] = bytes(4)
    raw[at + 64:at + 68] = struct.pack(">I", checksum(raw[at:at + 512], 64))


def reheader(raw: bytearray, at: int = 512) -> None:
    raw[at + 36:at + 40] = bytes(4)
    raw[at + 36:at + 40] = struct.pack(">I", checksum(raw[at:at + 1024], 36))


# ---------------------------------------------------------------------------- sector I/O

def test_errors_are_hv_errors_with_clear_messages(tmp_path: Path) -> None:
    path = new_dynamic(tmp_path / "d.vhd")
    with open_vhd(path) as disk:
        with pytest.raises(VhdError, match="outside the virtual hard disk"):
            disk.read_sectors(disk.sectors - 1, 2)
        with pytest.raises(VhdError, match="outside"):
            disk.read_sectors(-1, 1)
        with pytest.raises(VhdInUseError, match="read-only"):
            disk.write_sectors(0, bytes(512))
    with open_vhd(path, writable=True) as disk:
        with pytest.raises(VhdError, match="whole number of sectors"):
            disk.write_sectors(0, bytes(100))
        with pytest.raises(VhdError, match="outside"):
            disk.write_sectors(disk.sectors, bytes(512))
    with pytest.raises(HvError, match="cannot find the file"):
        open_vhd(tmp_path / "missing.vhd")
    with pytest.raises(VhdError, match="file exists"):
        create_vhd(path, 8 * M)


@pytest.mark.parametrize("kind", [DiskType.FIXED, DiskType.DYNAMIC])
def test_unwritten_sectors_read_as_zeros_and_writes_read_back(tmp_path: Path,
                                                             kind: DiskType) -> None:
    path = tmp_path / "d.vhd"
    create_vhd(path, 6 * M, disk_type=kind, block_size=KB512)
    rng = np.random.default_rng(1)
    with open_vhd(path, writable=True) as disk:
        assert not any(disk.read_sectors(0, disk.sectors))
        words = rng.integers(0, 2**32, 300, dtype=np.uint32)  # numpy data, 1200 bytes...
        with pytest.raises(VhdError):
            disk.write_sectors(5, words)
        sectors = rng.integers(0, 256, (3, 512), dtype=np.uint8)  # ...and a 2-D array
        disk.write_sectors(1023, sectors)  # across a block boundary
        buf = np.zeros(3 * 512, dtype=np.uint8)
        disk.read_into(1023, buf)
        assert (buf == sectors.reshape(-1)).all()
        with pytest.raises(VhdError, match="contiguous"):
            disk.read_into(0, np.zeros((512, 2), dtype=np.uint8)[:, 0])
        with pytest.raises(VhdError, match="writable"):
            disk.read_into(0, memoryview(bytes(512)))
        assert disk.read_sectors(1026, 1) == bytes(512)


def test_new_dynamic_disk_is_small_and_blocks_are_complete(tmp_path: Path) -> None:
    path = new_dynamic(tmp_path / "d.vhd", 100 * M)
    assert path.stat().st_size == 512 + 1024 + 512 + 512  # 51 BAT entries fit one sector
    with open_vhd(path, writable=True) as disk:
        assert isinstance(disk, VhdDynamic)
        disk.write_sectors(4096 + 10, b"\xab" * 1024)  # two sectors in block 1
        offset = disk.block_offset(1)
        assert offset == 2048
        bits = disk.block_bitmap(1)
        assert np.flatnonzero(bits).tolist() == [10, 11]
    raw = path.read_bytes()
    assert len(raw) == 2048 + 512 + 2 * M + 512  # one complete block, then the footer
    data = raw[2048 + 512:2048 + 512 + 2 * M]
    assert data[10 * 512:12 * 512] == b"\xab" * 1024
    assert not any(data[:10 * 512]) and not any(data[12 * 512:])
    assert raw[2048:2050] == b"\x00\x30"  # bitmap: MSB first, sectors 10 and 11 of byte 1
    assert raw[-512:] == raw[:512]  # the footer moved to the end, the copy is the same


def test_large_sequential_write_allocates_in_order(tmp_path: Path) -> None:
    path = new_dynamic(tmp_path / "d.vhd", 40 * M)
    data = np.random.default_rng(2).integers(0, 256, 33 * M, dtype=np.uint8)
    with open_vhd(path, writable=True) as disk:
        assert isinstance(disk, VhdDynamic)
        disk.write_sectors(0, data)
        offsets = [disk.block_offset(b) for b in range(17)]
        assert offsets == [2048 + i * (512 + 2 * M) for i in range(17)]
        assert disk.block_bitmap(16)[:2048].all() and not disk.block_bitmap(16)[2048:].any()
    with open_vhd(path) as disk:
        assert disk.read_sectors(0, len(data) // 512) == data.tobytes()


# ---------------------------------------------------------------------------- recovery

def test_damaged_trailing_footer_is_recovered_from_the_copy(tmp_path: Path) -> None:
    path = new_dynamic(tmp_path / "d.vhd")
    with open_vhd(path, writable=True) as disk:
        disk.write_sectors(0, b"\x11" * 4096)
    raw = bytearray(path.read_bytes())
    raw[-512 + 48] ^= 0x40  # current size, checksum now wrong
    path.write_bytes(raw)
    with open_vhd(path) as disk:
        assert disk.footer_recovered
        assert disk.read_sectors(0, 8) == b"\x11" * 4096
        assert any("recovered the footer" in note for note in disk.notes)
    assert path.read_bytes() == raw  # read-only: untouched
    with open_vhd(path, writable=True) as disk:
        assert "rewrote the damaged trailing footer" in disk.notes
    fixed = path.read_bytes()
    assert fixed[-512:] == fixed[:512]
    with open_vhd(path) as disk:
        assert not disk.footer_recovered


def test_both_footers_damaged_or_a_fixed_disk_footer_damaged_is_corrupt(tmp_path: Path) -> None:
    path = new_dynamic(tmp_path / "d.vhd")
    raw = bytearray(path.read_bytes())
    raw[-512 + 70] ^= 1
    raw[70] ^= 1
    path.write_bytes(raw)
    with pytest.raises(VhdCorruptError, match="copy at offset 0 is damaged too") as err:
        open_vhd(path)
    assert err.value.structure == "footer" and err.value.field == "checksum"
    fixed = tmp_path / "f.vhd"
    create_vhd(fixed, 2 * M, disk_type=DiskType.FIXED)
    raw = bytearray(fixed.read_bytes())
    raw[-1 - 300] ^= 1
    fixed.write_bytes(raw)
    with pytest.raises(VhdCorruptError, match="footer checksum"):
        open_vhd(fixed)


def test_crash_after_block_data_before_footer_and_bat(tmp_path: Path) -> None:
    # Our write order is block, footer, BAT entry. A crash after the block leaves the old
    # BAT and no trailing footer: the copy at 0 recovers the disk as it was before.
    path = new_dynamic(tmp_path / "d.vhd", 8 * M, KB512)
    with open_vhd(path, writable=True) as disk:
        disk.write_sectors(0, b"\x22" * 512)
    before = path.read_bytes()
    with open_vhd(path, writable=True) as disk:
        disk.write_sectors(1024 * 3, b"\x33" * 512)
    after = path.read_bytes()
    end = len(before) - 512  # where the old footer was and the new block went
    path.write_bytes(before[:end] + after[end:end + 512 + KB512])  # block, no footer
    with open_vhd(path, writable=True) as disk:
        assert disk.footer_recovered
        assert disk.read_sectors(0, 1) == b"\x22" * 512
        assert disk.read_sectors(1024 * 3, 1) == bytes(512)
        disk.write_sectors(1024 * 5, b"\x44" * 512)
    with open_vhd(path) as disk:
        assert not disk.footer_recovered
        assert disk.read_sectors(1024 * 5, 1) == b"\x44" * 512
        assert disk.read_sectors(0, 1) == b"\x22" * 512


@pytest.mark.parametrize("kind", [DiskType.FIXED, DiskType.DYNAMIC])
def test_a_511_byte_footer_is_accepted(tmp_path: Path, kind: DiskType) -> None:
    path = tmp_path / "old.vhd"
    create_vhd(path, 2 * M, disk_type=kind)
    with open_vhd(path, writable=True) as disk:
        disk.write_sectors(3, b"\x55" * 512)
    path.write_bytes(path.read_bytes()[:-1])
    with open_vhd(path, writable=True) as disk:
        assert "511-byte footer" in disk.notes[0]
        assert disk.read_sectors(3, 1) == b"\x55" * 512
        disk.write_sectors(3000, b"\x66" * 512)
    with open_vhd(path) as disk:
        assert disk.read_sectors(3000, 1) == b"\x66" * 512


def test_old_qemu_footer_checksum_with_zero_uuid_is_accepted(tmp_path: Path) -> None:
    path = new_dynamic(tmp_path / "d.vhd")
    raw = bytearray(path.read_bytes())
    for at in (0, len(raw) - 512):
        saved = raw[at + 68:at + 84]
        raw[at + 68:at + 84] = bytes(16)
        refooter(raw, at)
        raw[at + 68:at + 84] = saved
    path.write_bytes(raw)
    with open_vhd(path) as disk:
        assert disk.footer.checksum_quirk
        assert any("zero unique id" in note for note in disk.notes)


# ---------------------------------------------------------------------------- Windows layout

def windows_differencing(folder: Path, parent: Path) -> tuple[Path, bytes]:
    """A differencing disk laid out like fat-differential.vhd (a public test image in the
    log2timeline dfvfs test data), built byte by byte here, independently of the engine:
    creator ``win `` 10.0, header at 0x200, W2ku at 0x1000 (space 4096), BAT at 0x2000
    padded to 4 KiB, W2ru at 0x3000 (space 65536), block data 4 KiB-aligned, parent time
    stamp 0, a zero gap before the footer."""
    with open_vhd(parent) as disk:
        parent_id, size = disk.unique_id, disk.size
    block_size, entries = 2 * M, -(-size // (2 * M))
    w2ku = "C:\\Hyper-V\\Disks\\fat-parent.vhd".encode("utf-16-le")
    w2ru = ".\\fat-parent.vhd".encode("utf-16-le")
    header = bytearray(1024)
    header[0:8] = b"cxsparse"
    struct.pack_into(">QQIII", header, 8, 2**64 - 1, 0x2000, 0x00010000, entries, block_size)
    header[40:56] = parent_id
    name = "C:\\Hyper-V\\Disks\\fat-parent.vhd".encode("utf-16-be")
    header[64:64 + len(name)] = name
    struct.pack_into(">IIIIQ", header, 576, 0x57326B75, 4096, len(w2ku), 0, 0x1000)
    struct.pack_into(">IIIIQ", header, 600, 0x57327275, 65536, len(w2ru), 0, 0x3000)
    reheader(header, 0)
    first_block = 0x13E00
    span = 512 + block_size
    footer_at = first_block + span
    footer_at += -footer_at % 4096 + 4096  # Windows' gap before the footer
    raw = bytearray(footer_at + 512)
    raw[0x200:0x600] = header
    raw[0x1000:0x1000 + len(w2ku)] = w2ku
    raw[0x2000:0x3000] = b"\xff" * 0x1000
    struct.pack_into(">I", raw, 0x2000, first_block // 512)  # block 0 allocated
    raw[0x3000:0x3000 + len(w2ru)] = w2ru
    sectors = [134, 143, *range(152, 160), 184, 185, 188, *range(190, 193), 194, 196]
    bits = np.zeros(4096, dtype=np.uint8)
    bits[sectors] = 1
    raw[first_block:first_block + 512] = np.packbits(bits).tobytes()
    model = bytearray(4096 * 512)
    for s in sectors:
        sector = bytes([s % 251 + 1]) * 512
        raw[first_block + 512 + s * 512:first_block + 512 + (s + 1) * 512] = sector
        model[s * 512:(s + 1) * 512] = sector
    footer = bytearray(512)
    footer[0:8] = b"conectix"
    struct.pack_into(">IIQI4sI4sQQHBBI", footer, 8, 2, 0x00010000, 0x200, 0x2A000000,
                     b"win ", 0x000A0000, b"Wi2k", size, size, 964, 8, 17, 4)
    footer[68:84] = bytes(range(16))
    refooter(footer, 0)
    raw[0:512] = footer
    raw[footer_at:footer_at + 512] = footer
    child = folder / "fat-differential.vhd"
    child.write_bytes(raw)
    return child, bytes(model)


def test_windows_made_differencing_disk_reads_and_grows(tmp_path: Path) -> None:
    parent = tmp_path / "fat-parent.vhd"
    create_vhd(parent, 64 * M)
    with open_vhd(parent, writable=True) as disk:
        disk.write_sectors(0, b"\x99" * (300 * 512))
    child, block0 = windows_differencing(tmp_path, parent)
    expected = bytearray(b"\x99" * (300 * 512) + bytes(4096 * 512 - 300 * 512))
    for s in range(4096):
        if any(block0[s * 512:(s + 1) * 512]):
            expected[s * 512:(s + 1) * 512] = block0[s * 512:(s + 1) * 512]
    with open_vhd(child) as disk:
        assert isinstance(disk, VhdDifferencing) and disk.parent is not None
        assert disk.parent_paths()[0] == str(parent)  # W2ru wins: C:\ does not exist here
        assert disk.read_sectors(0, 4096) == expected
        assert disk.footer.creator_app == b"win "
    with open_vhd(child, writable=True) as disk:
        assert isinstance(disk, VhdDynamic)
        disk.write_sectors(4096 * 2 + 1, b"\x12" * 512)  # a new block where the gap was
        assert disk.block_offset(2) == 0x13E00 + 512 + 2 * M
    raw = child.read_bytes()
    assert len(raw) == 0x13E00 + 2 * (512 + 2 * M) + 512 and raw[-512:-504] == b"conectix"
    with open_vhd(child) as disk:
        assert disk.read_sectors(0, 4096) == expected
        assert disk.read_sectors(4096 * 2, 2) == bytes(512) + b"\x12" * 512


# ---------------------------------------------------------------------------- parents

def make_child(tmp_path: Path, parent_dir: str = ".") -> tuple[Path, Path]:
    folder = tmp_path / parent_dir
    folder.mkdir(exist_ok=True)
    parent = new_dynamic(folder / "base.vhd", 4 * M, KB512)
    with open_vhd(parent, writable=True) as disk:
        disk.write_sectors(0, b"\x01" * 4096)
    child = tmp_path / "child.avhd"
    create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=parent)
    with open_vhd(child, writable=True) as disk:
        disk.write_sectors(4, b"\x02" * 512)
    return parent, child


def test_locators_hold_utf16le_paths_and_the_header_the_name(tmp_path: Path) -> None:
    parent, child = make_child(tmp_path, "parents dir ü")
    raw = child.read_bytes()
    header = raw[512:1536]
    assert header[64:64 + 16].decode("utf-16-be") == "base.vhd"
    found = {}
    for i in range(8):
        code, space, length, _r, offset = struct.unpack_from(">IIIIQ", header, 576 + 24 * i)
        if code:
            assert offset % 512 == 0 and space == 4096
            found[code] = raw[offset:offset + length].decode("utf-16-le")
    assert found == {0x57326B75: str(parent.resolve()),
                     0x57327275: ".\\parents dir ü\\base.vhd"}
    with open_vhd(child) as disk:
        assert disk.read_sectors(0, 8) == b"\x01" * 2048 + b"\x02" * 512 + b"\x01" * 1536


def test_a_folder_moved_as_a_whole_still_opens(tmp_path: Path) -> None:
    make_child(tmp_path, "sub")
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    shutil.move(tmp_path, moved)
    try:
        with open_vhd(moved / "child.avhd") as disk:
            assert isinstance(disk, VhdDifferencing) and disk.parent is not None
            assert disk.parent.path == str(moved / "sub" / "base.vhd")
    finally:
        shutil.move(moved, tmp_path)


def test_a_missing_or_wrong_parent_is_refused_then_reconnected(tmp_path: Path) -> None:
    parent, child = make_child(tmp_path, "a")
    elsewhere = tmp_path / "b" / "renamed.vhd"
    elsewhere.parent.mkdir()
    parent.rename(elsewhere)
    with pytest.raises(VhdParentError, match="cannot be found") as err:
        open_vhd(child)
    assert "base.vhd" in err.value.message
    with open_vhd(child, resolve_parent=False) as disk:  # inspection needs no parent
        assert disk.disk_type is DiskType.DIFFERENCING
        with pytest.raises(VhdParentError, match="not open"):
            disk.read_sectors(0, 1)
    impostor = new_dynamic(tmp_path / "a" / "base.vhd", 4 * M, KB512)
    with pytest.raises(VhdParentError, match="does not match"):
        open_vhd(child)
    with pytest.raises(VhdParentError, match="made from a parent with id"):
        reconnect_disk(child, impostor)
    info = reconnect_disk(child, elsewhere)
    assert info.parent_found and info.parent_path == str(elsewhere)
    with open_vhd(child) as disk:
        assert disk.read_sectors(0, 8) == b"\x01" * 2048 + b"\x02" * 512 + b"\x01" * 1536


def test_parent_time_stamp_is_checked(tmp_path: Path) -> None:
    _parent, child = make_child(tmp_path)
    raw = bytearray(child.read_bytes())
    raw[512 + 56:512 + 60] = struct.pack(">I", 12345)
    reheader(raw)
    child.write_bytes(raw)
    with pytest.raises(VhdParentError, match="modified after"):
        open_vhd(child)
    with open_vhd(child, check_parent_timestamp=False) as disk:
        assert disk.read_sectors(4, 1) == b"\x02" * 512
    for stamp in (0, vhd_timestamp(os.stat(_parent).st_mtime)):  # Windows, VirtualBox
        raw[512 + 56:512 + 60] = struct.pack(">I", stamp)
        reheader(raw)
        child.write_bytes(raw)
        with open_vhd(child) as disk:
            assert disk.read_sectors(4, 1) == b"\x02" * 512


def test_a_parent_loop_is_refused(tmp_path: Path) -> None:
    parent, a = make_child(tmp_path)
    b = tmp_path / "b.avhd"
    create_vhd(b, disk_type=DiskType.DIFFERENCING, parent=a)
    with pytest.raises(VhdParentError, match="loop"):
        reconnect_disk(a, b, ignore_id_mismatch=True)
    # Crafted by hand: a's parent is b (renamed to the name a looks for), b's parent is a.
    with open_vhd(b) as disk:
        b_id = disk.unique_id
    raw = bytearray(a.read_bytes())
    raw[512 + 40:512 + 60] = b_id + bytes(4)
    reheader(raw)
    a.write_bytes(raw)
    parent.rename(tmp_path / "old-base.vhd")
    b.rename(parent)
    with pytest.raises(VhdParentError, match="cannot be found"):
        open_vhd(a)


def test_closing_closes_the_whole_chain(tmp_path: Path) -> None:
    _parent, child = make_child(tmp_path)
    disk = open_vhd(child)
    assert isinstance(disk, VhdDifferencing) and disk.parent is not None
    parent = disk.parent
    disk.close()
    assert disk.closed and parent.closed
