"""libvhdi as the oracle for differencing chains, merge and compact (qemu ignores parents).

Chains are built with our engine, written with 4 KiB-aligned writes (see vhd_oracles for the
libvhdi bitmap bug this avoids), and must read identically through libvhdi, through our
reader and in a shadow model. One test writes unaligned sectors and checks that libvhdi's
answer differs from ours exactly as its bug predicts, which also pins our bitmap bit order.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest

from hvlab.engine.storage import (
    DiskType,
    VhdDifferencing,
    compact_disk,
    create_vhd,
    merge_disk,
    open_vhd,
)
from tests.engine.vhd_oracles import libvhdi_read, random_writes, vhdiinfo

M = 1024 * 1024
KB512 = 512 * 1024


def build_chain(folder: Path, base_type: DiskType, block_size: int, depth: int,
                seed: int) -> tuple[list[Path], bytearray]:
    """A base disk and ``depth`` differencing disks on it, each with random aligned writes.
    Returns the paths, child first, and the model of what the last child shows."""
    rng = np.random.default_rng(seed)
    base = folder / "base.vhd"
    create_vhd(base, 12 * M, disk_type=base_type, block_size=block_size)
    with open_vhd(base, writable=True) as disk:
        model = bytearray(disk.size)
        random_writes(disk, model, rng, 25, align=8)
    chain = [base]
    for level in range(depth):
        child = folder / f"child{level}.avhd"
        create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=chain[0])
        with open_vhd(child, writable=True) as disk:
            random_writes(disk, model, rng, 25, align=8)
            # A zero write must hide the parent's data, not fall through to it.
            disk.write_sectors(64, bytes(8 * 512))
            model[64 * 512:72 * 512] = bytes(8 * 512)
        chain.insert(0, child)
    return chain, model


@pytest.mark.parametrize(("base_type", "block_size"), [
    (DiskType.DYNAMIC, 2 * M), (DiskType.DYNAMIC, KB512), (DiskType.FIXED, 2 * M)])
def test_chains_read_identically_through_libvhdi(tmp_path: Path, base_type: DiskType,
                                                 block_size: int) -> None:
    chain, model = build_chain(tmp_path, base_type, block_size, depth=3, seed=block_size)
    with open_vhd(chain[0]) as disk:
        assert disk.read_sectors(0, disk.sectors) == model
    assert libvhdi_read(chain, tmp_path / "out.raw", block_size) == model
    # Each intermediate level too: what a checkpoint shows.
    with open_vhd(chain[1]) as disk:
        mid = disk.read_sectors(0, disk.sectors)
    assert libvhdi_read(chain[1:], tmp_path / "out.raw", block_size) == mid


def test_vhdiinfo_sees_the_parent(tmp_path: Path) -> None:
    chain, _model = build_chain(tmp_path, DiskType.DYNAMIC, 2 * M, depth=1, seed=3)
    info = vhdiinfo(chain[0])
    with open_vhd(chain[1]) as parent, open_vhd(chain[0]) as child:
        assert info["Disk type"] == "Differential"
        assert info["Identifier"] == str(uuid.UUID(bytes=child.unique_id))
        assert info["Parent identifier"] == str(uuid.UUID(bytes=parent.unique_id))
        assert info["Parent filename"] == "base.vhd"
        assert info["Media size"].endswith(f"({parent.size} bytes)")


def test_merge_into_parent_keeps_every_byte(tmp_path: Path) -> None:
    chain, model = build_chain(tmp_path, DiskType.DYNAMIC, KB512, depth=2, seed=5)
    child, parent = chain[0], chain[1]
    merge_disk(child)
    assert not child.exists()
    with open_vhd(parent) as disk:
        assert disk.read_sectors(0, disk.sectors) == model
    assert libvhdi_read(chain[1:], tmp_path / "out.raw", KB512) == model
    merge_disk(parent)  # now the last differencing disk into the dynamic base
    with open_vhd(chain[2]) as disk:
        assert disk.disk_type is DiskType.DYNAMIC
        assert disk.read_sectors(0, disk.sectors) == model
    assert libvhdi_read(chain[2:], tmp_path / "out.raw", KB512) == model


def test_merge_into_a_new_disk_flattens_the_chain(tmp_path: Path) -> None:
    chain, model = build_chain(tmp_path, DiskType.DYNAMIC, 2 * M, depth=2, seed=6)
    before = [p.read_bytes() for p in chain]
    merged = tmp_path / "merged.vhd"
    info = merge_disk(chain[0], merged, disk_type=DiskType.DYNAMIC)
    assert info.disk_type is DiskType.DYNAMIC
    assert [p.read_bytes() for p in chain] == before
    assert libvhdi_read([merged], tmp_path / "out.raw", 2 * M) == model


def test_compact_of_a_differencing_disk_keeps_every_byte(tmp_path: Path) -> None:
    chain, model = build_chain(tmp_path, DiskType.DYNAMIC, 2 * M, depth=1, seed=8)
    child = chain[0]
    with open_vhd(child, writable=True) as disk:
        # Zeros written over the parent's data must survive compaction.
        disk.write_sectors(3 * 4096, bytes(2 * M))
        model[3 * 2 * M:4 * 2 * M] = bytes(2 * M)
    result = compact_disk(child)
    assert result.blocks_released == 0
    with open_vhd(child) as disk:
        assert disk.read_sectors(0, disk.sectors) == model
    assert libvhdi_read(chain, tmp_path / "out.raw", 2 * M) == model


def _libvhdi_bitmap_view(bits: np.ndarray) -> np.ndarray:
    """Which sectors libvhdi 20210425 takes from the child, for a block's bitmap bits: in
    each byte, every bit from the first set one onwards (it does not mask the shift)."""
    per_byte = bits.reshape(-1, 8).astype(bool)
    return np.logical_or.accumulate(per_byte, axis=1).reshape(-1)


def test_unaligned_differencing_writes_match_libvhdis_known_decoding(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    base, child = tmp_path / "base.vhd", tmp_path / "child.vhd"
    create_vhd(base, 4 * M, block_size=KB512)
    with open_vhd(base, writable=True) as disk:
        disk.write_sectors(0, rng.integers(1, 256, disk.size, dtype=np.uint8))
        parent_data = disk.read_sectors(0, disk.sectors)
    create_vhd(child, disk_type=DiskType.DIFFERENCING, parent=base)
    with open_vhd(child, writable=True) as disk:
        assert isinstance(disk, VhdDifferencing)
        model = bytearray(parent_data)
        random_writes(disk, model, rng, 30, max_sectors=13)
        assert disk.read_sectors(0, disk.sectors) == model
        # Predict libvhdi: sectors it wrongly takes from the child read the child's zeros.
        predicted = bytearray(model)
        spb = disk.sectors_per_block
        for block in range(disk.block_count):
            bits = disk.block_bitmap(block)
            wrong = _libvhdi_bitmap_view(bits) & ~bits
            for sib in np.flatnonzero(wrong).tolist():
                lba = block * spb + sib
                if lba < disk.sectors:
                    predicted[lba * 512:(lba + 1) * 512] = bytes(512)
    seen = libvhdi_read([child, base], tmp_path / "out.raw", KB512)
    assert seen == predicted
    assert seen != model  # the test really exercised the bug
