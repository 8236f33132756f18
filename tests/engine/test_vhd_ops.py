"""The Edit Disk operations as jobs: progress, Cancel that leaves nothing partial, and
every byte preserved (checked with our reader and with qemu-img for fixed/dynamic)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from hvlab.engine.storage import (
    DiskType,
    OperationCancelled,
    VhdDifferencing,
    VhdDynamic,
    VhdError,
    VhdInUseError,
    compact_disk,
    convert_disk,
    create_vhd,
    expand_disk,
    inspect_disk,
    merge_disk,
    new_disk,
    open_vhd,
    reconnect_disk,
    rounded_disk_size,
)
from hvlab.engine.storage.vhd_format import SECTOR
from tests.engine.vhd_oracles import qemu_img, qemu_info, qemu_to_raw, random_writes, run

M = 1024 * 1024
KB512 = 512 * 1024


class Job:
    """Records progress and cancels after ``cancel_after`` reports (never when None)."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.reports: list[float] = []
        self.cancel_after = cancel_after

    def progress(self, percent: float) -> None:
        self.reports.append(percent)

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.reports) >= self.cancel_after


def only_file(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def content(path: Path) -> bytearray:
    with open_vhd(path) as disk:
        return disk.read_sectors(0, disk.sectors)


def written_dynamic(path: Path, size: int = 24 * M, block_size: int = 2 * M,
                    seed: int = 1) -> bytearray:
    create_vhd(path, size, block_size=block_size)
    with open_vhd(path, writable=True) as disk:
        model = bytearray(disk.size)
        random_writes(disk, model, np.random.default_rng(seed), 20)
    return model


# ---------------------------------------------------------------------------- new

def test_new_fixed_disk_reports_progress_and_cancel_leaves_nothing(tmp_path: Path) -> None:
    job = Job()
    info = new_disk(tmp_path / "f.vhd", 40 * M, disk_type=DiskType.FIXED,
                    progress=job.progress, cancelled=job.cancelled)
    assert info.disk_type is DiskType.FIXED and info.maximum_size == rounded_disk_size(40 * M)
    assert job.reports == sorted(job.reports) and job.reports[-1] == 100.0
    assert len(job.reports) >= 5
    cancel = Job(cancel_after=2)
    with pytest.raises(OperationCancelled, match="cancelled"):
        new_disk(tmp_path / "g.vhd", 40 * M, disk_type=DiskType.FIXED,
                 progress=cancel.progress, cancelled=cancel.cancelled)
    assert only_file(tmp_path) == ["f.vhd"]


def test_new_refuses_bad_requests(tmp_path: Path) -> None:
    with pytest.raises(VhdError, match="512 KB or 2 MB"):
        new_disk(tmp_path / "a.vhd", 8 * M, block_size=M)
    with pytest.raises(VhdError, match="2040 GB"):
        new_disk(tmp_path / "a.vhd", 2041 * 1024 * M)
    with pytest.raises(VhdError, match="positive"):
        new_disk(tmp_path / "a.vhd", 0)
    with pytest.raises(VhdError, match="needs a parent"):
        new_disk(tmp_path / "a.vhd", disk_type=DiskType.DIFFERENCING)
    assert only_file(tmp_path) == []


def test_exact_size_on_request(tmp_path: Path) -> None:
    create_vhd(tmp_path / "a.vhd", 64 * M, round_size=False)
    with open_vhd(tmp_path / "a.vhd") as disk:
        assert disk.size == 64 * M  # Hyper-V style; qemu ≤ 9.2 would see the CHS size
    assert qemu_info(tmp_path / "a.vhd", current_size=True)["virtual-size"] == 64 * M


# ---------------------------------------------------------------------------- inspect

def test_inspect_reports_what_hyper_v_shows_and_the_block_picture(tmp_path: Path) -> None:
    path = tmp_path / "d.vhd"
    create_vhd(path, 10 * M, block_size=KB512)
    with open_vhd(path, writable=True) as disk:
        disk.write_sectors(0, bytes(512) * 1024)  # a whole block (of zeros)
        disk.write_sectors(1024 * 3, b"\x01" * 512 * 256)  # a quarter of block 3
    info = inspect_disk(path)
    assert info.format == "VHD" and info.disk_type is DiskType.DYNAMIC
    assert info.path == str(path) and info.file_size == path.stat().st_size
    assert info.maximum_size == 10_514_432 and info.block_size == KB512
    assert info.geometry == (302, 4, 17) and info.creator == "hvlb 1.0 (Wi2k)"
    assert info.blocks_total == 21 and info.blocks_allocated == 2
    assert info.block_fill[0] == 1.0 and info.block_fill[3] == 0.25
    assert not info.block_fill.flags.writeable
    fixed = new_disk(tmp_path / "f.vhd", 3 * M, disk_type=DiskType.FIXED, zero_fill=False)
    assert fixed.blocks_allocated == fixed.blocks_total == 2


def test_inspect_a_differencing_disk_whose_parent_is_missing(tmp_path: Path) -> None:
    parent = tmp_path / "p.vhd"
    create_vhd(parent, 4 * M)
    child_info = new_disk(tmp_path / "c.avhd", disk_type=DiskType.DIFFERENCING, parent=parent)
    assert child_info.parent_found and child_info.parent_path == str(parent)
    assert child_info.parent_unique_id == inspect_disk(parent).unique_id
    parent.unlink()
    info = inspect_disk(tmp_path / "c.avhd")
    assert not info.parent_found and info.parent_path == str(parent)
    assert any("cannot be found" in note for note in info.notes)


# ---------------------------------------------------------------------------- compact

def test_compact_releases_zero_blocks_and_keeps_every_byte(tmp_path: Path) -> None:
    qemu_img()
    path = tmp_path / "d.vhd"
    model = written_dynamic(path)
    with open_vhd(path, writable=True) as disk:
        assert isinstance(disk, VhdDynamic)
        for block in (1, 4, 7):  # zero whole allocated blocks, as a guest's wipe would
            disk.write_sectors(block * 4096, bytes(2 * M))
            model[block * 2 * M:(block + 1) * 2 * M] = bytes(2 * M)
        allocated = len(disk.allocated_blocks())
        ident = disk.unique_id
    job = Job()
    result = compact_disk(path, progress=job.progress, cancelled=job.cancelled)
    assert result.blocks_released == 3 and job.reports[-1] == 100.0
    assert result.file_size_after == result.file_size_before - 3 * (512 + 2 * M)
    assert path.stat().st_size == result.file_size_after
    with open_vhd(path) as disk:
        assert isinstance(disk, VhdDynamic)
        assert len(disk.allocated_blocks()) == allocated - 3 and disk.unique_id == ident
        assert disk.read_sectors(0, disk.sectors) == model
    assert qemu_to_raw(path, tmp_path / "x.raw") == model
    assert only_file(tmp_path) == ["d.vhd"]


def test_compact_cancelled_or_refused_leaves_the_disk_untouched(tmp_path: Path) -> None:
    path = tmp_path / "d.vhd"
    written_dynamic(path)
    before = path.read_bytes()
    job = Job(cancel_after=3)
    with pytest.raises(OperationCancelled):
        compact_disk(path, progress=job.progress, cancelled=job.cancelled)
    assert path.read_bytes() == before and only_file(tmp_path) == ["d.vhd"]
    fixed = tmp_path / "f.vhd"
    create_vhd(fixed, 2 * M, disk_type=DiskType.FIXED)
    with pytest.raises(VhdError, match="only dynamically expanding and differencing"):
        compact_disk(fixed)
    raw = bytearray(path.read_bytes())
    for at in (0, len(raw) - 512):  # mark the disk as belonging to a saved VM
        raw[at + 84] = 1
        raw[at + 64:at + 68] = bytes(4)
        raw[at + 64:at + 68] = (~sum(raw[at:at + 512]) & 0xFFFFFFFF).to_bytes(4, "big")
    path.write_bytes(raw)
    with pytest.raises(VhdInUseError, match="saved state"):
        compact_disk(path)
    with pytest.raises(VhdInUseError, match="saved state"):
        expand_disk(path, 64 * M)


# ---------------------------------------------------------------------------- convert

@pytest.mark.parametrize(("source_type", "target_type"), [
    (DiskType.FIXED, DiskType.DYNAMIC), (DiskType.DYNAMIC, DiskType.FIXED),
    (DiskType.DYNAMIC, DiskType.DYNAMIC)])
def test_convert_keeps_every_byte(tmp_path: Path, source_type: DiskType,
                                  target_type: DiskType) -> None:
    qemu_img()
    source, target = tmp_path / "s.vhd", tmp_path / "t.vhd"
    create_vhd(source, 20 * M, disk_type=source_type, block_size=KB512)
    with open_vhd(source, writable=True) as disk:
        model = bytearray(disk.size)
        random_writes(disk, model, np.random.default_rng(4), 10)
    job = Job()
    info = convert_disk(source, target, disk_type=target_type, progress=job.progress,
                        cancelled=job.cancelled)
    assert info.disk_type is target_type and info.maximum_size == len(model)
    assert info.unique_id != inspect_disk(source).unique_id
    assert content(target) == model
    assert qemu_to_raw(target, tmp_path / "x.raw") == model
    if target_type is DiskType.DYNAMIC:
        touched = {lba // 4096 for lba in range(len(model) // SECTOR)
                   if any(model[lba * SECTOR:(lba + 1) * SECTOR])}
        assert info.blocks_allocated == len(touched)


def test_convert_a_chain_and_cancel(tmp_path: Path) -> None:
    base, child, flat = tmp_path / "b.vhd", tmp_path / "c.avhd", tmp_path / "flat.vhd"
    model = written_dynamic(base, 12 * M)
    create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=base)
    with open_vhd(child, writable=True) as disk:
        random_writes(disk, model, np.random.default_rng(9), 10)
    convert_disk(child, flat, disk_type=DiskType.FIXED)
    assert content(flat) == model
    job = Job(cancel_after=2)
    with pytest.raises(OperationCancelled):
        convert_disk(child, tmp_path / "gone.vhd", progress=job.progress,
                     cancelled=job.cancelled)
    assert only_file(tmp_path) == ["b.vhd", "c.avhd", "flat.vhd"]
    with pytest.raises(VhdError, match="file exists"):
        convert_disk(child, flat)


# ---------------------------------------------------------------------------- expand

def test_expand_fixed_keeps_data_and_cancel_restores(tmp_path: Path) -> None:
    qemu_img()
    path = tmp_path / "f.vhd"
    create_vhd(path, 10 * M, disk_type=DiskType.FIXED)
    with open_vhd(path, writable=True) as disk:
        model = bytearray(disk.size)
        random_writes(disk, model, np.random.default_rng(5), 10)
    before = path.read_bytes()
    job = Job(cancel_after=1)
    with pytest.raises(OperationCancelled):
        expand_disk(path, 40 * M, progress=job.progress, cancelled=job.cancelled)
    assert path.read_bytes() == before
    job = Job()
    info = expand_disk(path, 40 * M, progress=job.progress, cancelled=job.cancelled)
    assert info.maximum_size == rounded_disk_size(40 * M) and job.reports[-1] == 100.0
    expected = model + bytes(info.maximum_size - len(model))
    assert content(path) == expected
    assert qemu_to_raw(path, tmp_path / "x.raw") == expected
    assert path.stat().st_size == info.maximum_size + 512


@pytest.mark.parametrize(("start", "grow_to", "block_size", "moves_bat"), [
    (10 * M, 100 * M, 2 * M, False),  # 6 → 51 entries: the BAT's sector has room
    (1 * M, 70 * M, KB512, True),  # 3 → 141 entries: the BAT moves to the end of the file
])
def test_expand_dynamic(tmp_path: Path, start: int, grow_to: int, block_size: int,
                        moves_bat: bool) -> None:
    qemu_img()
    path = tmp_path / "d.vhd"
    model = written_dynamic(path, start, block_size, seed=3)
    with open_vhd(path) as disk:
        assert isinstance(disk, VhdDynamic)
        table = disk.header.table_offset
    info = expand_disk(path, grow_to)
    size = rounded_disk_size(grow_to)
    assert info.maximum_size == size and qemu_info(path)["virtual-size"] == size
    with open_vhd(path, writable=True) as disk:
        assert isinstance(disk, VhdDynamic)
        assert (disk.header.table_offset != table) is moves_bat
        assert disk.header.max_table_entries == -(-size // block_size)
        model += bytes(size - len(model))
        disk.write_sectors(disk.sectors - 1, b"\x7e" * 512)  # a block after the moved BAT
        model[-512:] = b"\x7e" * 512
        assert disk.read_sectors(0, disk.sectors) == model
    raw = path.read_bytes()
    assert raw[:512] == raw[-512:]
    assert qemu_to_raw(path, tmp_path / "x.raw") == model
    with pytest.raises(VhdError, match="must be larger"):
        expand_disk(path, start)


def test_expand_refuses_differencing(tmp_path: Path) -> None:
    create_vhd(tmp_path / "p.vhd", 4 * M)
    create_vhd(tmp_path / "c.avhd", disk_type=DiskType.DIFFERENCING, parent=tmp_path / "p.vhd")
    with pytest.raises(VhdError, match="size of its parent"):
        expand_disk(tmp_path / "c.avhd", 8 * M)


# ---------------------------------------------------------------------------- merge, reconnect

def test_merge_cancelled_keeps_the_childs_view_and_can_resume(tmp_path: Path) -> None:
    base, child = tmp_path / "b.vhd", tmp_path / "c.avhd"
    model = written_dynamic(base, 16 * M, KB512)
    create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=base)
    with open_vhd(child, writable=True) as disk:
        random_writes(disk, model, np.random.default_rng(6), 30)
    job = Job(cancel_after=3)
    with pytest.raises(OperationCancelled):
        merge_disk(child, progress=job.progress, cancelled=job.cancelled)
    assert child.exists() and content(child) == model
    job = Job()
    merge_disk(child, progress=job.progress, cancelled=job.cancelled)
    assert not child.exists() and content(base) == model and job.reports[-1] == 100.0


def test_merge_refuses_a_disk_without_parent(tmp_path: Path) -> None:
    create_vhd(tmp_path / "d.vhd", 4 * M)
    with pytest.raises(VhdError, match="only a differencing disk can be merged"):
        merge_disk(tmp_path / "d.vhd")


def test_reconnect_with_a_long_path_moves_the_locator(tmp_path: Path) -> None:
    base, child = tmp_path / "b.vhd", tmp_path / "c.avhd"
    model = written_dynamic(base, 8 * M)
    create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=base)
    deep = tmp_path.joinpath(*(["a-rather-long-folder-name-for-testing"] * 60))
    deep.mkdir(parents=True)
    moved = deep / "b.vhd"
    base.rename(moved)
    size_before = child.stat().st_size
    info = reconnect_disk(child, moved)
    assert info.parent_found and info.parent_path == str(moved)
    assert child.stat().st_size > size_before  # the W2ku path no longer fit in 4 KiB
    with open_vhd(child) as disk:
        assert isinstance(disk, VhdDifferencing)
        assert disk.read_sectors(0, disk.sectors) == model
        disk_paths = disk.parent_paths()
    assert disk_paths[0] == str(moved)
    # and the file stays valid for other tools
    assert run(qemu_img(), "info", "-f", "vpc", child).returncode == 0


def test_reconnect_ignoring_the_id_mismatch_adopts_the_new_parent(tmp_path: Path) -> None:
    base, child, other = tmp_path / "b.vhd", tmp_path / "c.avhd", tmp_path / "o.vhd"
    written_dynamic(base, 8 * M)
    create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=base)
    create_vhd(other, 8 * M)
    info = reconnect_disk(child, other, ignore_id_mismatch=True)
    assert info.parent_unique_id == inspect_disk(other).unique_id
    assert not any(content(child))
    small = tmp_path / "small.vhd"
    create_vhd(small, 4 * M)
    with pytest.raises(VhdError, match="sizes differ"):
        reconnect_disk(child, small, ignore_id_mismatch=True)
