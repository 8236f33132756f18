"""qemu-img and qemu-io as the oracle for fixed and dynamic VHDs.

Ours → qemu: disks we create and write read in qemu exactly as our shadow model says, with
qemu's default size rule (CHS, for our unknown creator id) and with force_size_calc=
current_size. qemu → ours: disks qemu creates, writes or converts read identically here.
qemu cannot check differencing disks (it ignores the parent); libvhdi does that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hvlab.engine.storage import (
    DiskType,
    VhdCorruptError,
    VhdDynamic,
    create_vhd,
    open_vhd,
    rounded_disk_size,
)
from hvlab.engine.storage.vhd_format import FOOTER_SIZE, MAX_CHS_SECTORS, chs_geometry
from tests.engine.vhd_oracles import (
    qemu_compare,
    qemu_img,
    qemu_info,
    qemu_io,
    qemu_to_raw,
    qemu_version,
    random_writes,
    run,
)

M = 1024 * 1024
G = 1024 * M
KB512 = 512 * 1024


@pytest.fixture(autouse=True)
def _qemu() -> None:
    qemu_img()


def test_qemu_version_is_recorded() -> None:
    # qemu ≥ 10.0 sizes unknown creators by current_size, ≤ 9.2 by CHS (vhd.md §2.1); our
    # CHS-exact sizes make both agree, and the tests check both rules.
    assert qemu_version().startswith("qemu-img version")


# ---------------------------------------------------------------------------- sizes

@pytest.mark.parametrize(("request_size", "chs", "size"), [
    (1 * M, (31, 4, 17), 1_079_296),
    (10 * M, (302, 4, 17), 10_514_432),
    (64 * M, (964, 8, 17), 67_125_248),
    (100 * M, (1004, 12, 17), 104_865_792),
    (512 * M, (1041, 16, 63), 537_255_936),
    (1 * G, (2081, 16, 63), 1_073_995_776),
    (4 * G, (8323, 16, 63), 4_295_467_008),
    (32 * G, (16449, 16, 255), 34_361_303_040),
    (127 * G, (65279, 16, 255), 136_365_219_840),
    (128 * G, (65535, 16, 255), 137_438_953_472),
    (1024 * G, (65535, 16, 255), 1_099_511_627_776),
    (2040 * G, (65535, 16, 255), 2_190_433_320_960),
])
def test_sizes_match_qemu_create(request_size: int, chs: tuple[int, int, int],
                                 size: int) -> None:
    # Observed from qemu-img 7.2's `create` (the geometry and footer it writes).
    assert rounded_disk_size(request_size) == size
    assert chs_geometry(size // 512) == chs


def test_rounding_equals_qemu_for_odd_sizes(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    for request in [512, 3 * M + 5, *rng.integers(1, 200 * M, 6).tolist()]:
        path = tmp_path / f"q{request}.vhd"
        run(qemu_img(), "create", "-f", "vpc", path, str(request))
        assert qemu_info(path)["virtual-size"] == rounded_disk_size(request), request
        with open_vhd(path) as disk:
            assert disk.size == rounded_disk_size(request)


# ---------------------------------------------------------------------------- ours → qemu

MATRIX = [
    (DiskType.FIXED, 2 * M, 1 * M),
    (DiskType.FIXED, 2 * M, 10 * M),
    (DiskType.FIXED, 2 * M, 40 * M),
    (DiskType.DYNAMIC, 2 * M, 1 * M),
    (DiskType.DYNAMIC, 2 * M, 10 * M),
    (DiskType.DYNAMIC, 2 * M, 100 * M),
    (DiskType.DYNAMIC, KB512, 1 * M),
    (DiskType.DYNAMIC, KB512, 10 * M),
    (DiskType.DYNAMIC, KB512, 40 * M),
]


@pytest.mark.parametrize(("kind", "block_size", "request_size"), MATRIX,
                         ids=[f"{k.name.lower()}-{b // 1024}K-{s // M}M" for k, b, s in MATRIX])
def test_our_disks_read_identically_in_qemu(tmp_path: Path, kind: DiskType, block_size: int,
                                           request_size: int) -> None:
    path = tmp_path / "ours.vhd"
    create_vhd(path, request_size, disk_type=kind, block_size=block_size)
    rng = np.random.default_rng(request_size + block_size)
    with open_vhd(path, writable=True) as disk:
        model = bytearray(disk.size)
        random_writes(disk, model, rng, 40)
        # One large write across several blocks, not block-aligned.
        big = min(disk.sectors - 3, 3 * block_size // 512 + 5)
        data = rng.integers(0, 256, big * 512, dtype=np.uint8).tobytes()
        disk.write_sectors(3, data)
        model[3 * 512:(3 + big) * 512] = data
        assert disk.read_sectors(0, disk.sectors) == model

    info = qemu_info(path)
    assert info["virtual-size"] == len(model)
    if kind is DiskType.DYNAMIC:
        assert info["cluster-size"] == block_size
    assert qemu_info(path, current_size=True)["virtual-size"] == len(model)
    assert qemu_to_raw(path, tmp_path / "out.raw") == model
    if request_size <= 10 * M:
        assert qemu_to_raw(path, tmp_path / "out.raw", current_size=True) == model
        expected = tmp_path / "expected.raw"
        expected.write_bytes(model)
        compared = qemu_compare(path, expected)
        assert compared.returncode == 0, compared.stdout + compared.stderr


@pytest.mark.parametrize("request_size", [127 * G, 128 * G, 1024 * G, 2040 * G])
def test_large_dynamic_disks_agree_with_qemu(tmp_path: Path, request_size: int) -> None:
    path = tmp_path / "big.vhd"
    create_vhd(path, request_size)
    assert path.stat().st_size < 5 * M  # a new dynamic disk is small on disk
    with open_vhd(path, writable=True) as disk:
        size = disk.size
        disk.write_sectors(0, b"\x5a" * 4096)
        disk.write_sectors(disk.sectors - 8, b"\xa5" * 4096)
        disk.write_sectors(disk.sectors // 2 + 3, b"\x3c" * 512)
    assert qemu_info(path)["virtual-size"] == size
    assert qemu_info(path, current_size=True)["virtual-size"] == size
    if size // 512 < MAX_CHS_SECTORS:
        with open_vhd(path) as disk:
            c, h, s = disk.footer.cylinders, disk.footer.heads, disk.footer.sectors_per_track
            assert c * h * s * 512 == size
    result = run(qemu_io(), "-f", "vpc", "-r",
                 "-c", "read -P 0x5a 0 4k",
                 "-c", f"read -P 0xa5 {size - 4096} 4k",
                 "-c", f"read -P 0x3c {(size // 512 // 2 + 3) * 512} 512",
                 "-c", f"read -P 0 {size // 2} 512", path)
    assert "Pattern verification failed" not in result.stdout + result.stderr
    assert path.stat().st_size < 5 * M + 3 * 2 * M


def test_fresh_dynamic_layout_is_byte_identical_to_qemus(tmp_path: Path) -> None:
    # vhd.md §3.2: qemu's 64 MiB dynamic disk is 2560 bytes; its header is deterministic.
    theirs, ours = tmp_path / "theirs.vhd", tmp_path / "ours.vhd"
    run(qemu_img(), "create", "-f", "vpc", theirs, "64M")
    create_vhd(ours, 64 * M)
    a, b = theirs.read_bytes(), ours.read_bytes()
    assert len(a) == len(b) == 2560
    assert b[512:2048] == a[512:2048]  # dynamic header and BAT sector
    assert int.from_bytes(b[512 + 36:512 + 40], "big") == 0xFFFFF456
    masked = [*range(24, 32), *range(32, 40), *range(64, 84)]  # time, creator, checksum, id
    for offset in (0, 2048):
        fa, fb = bytearray(a[offset:offset + 512]), bytearray(b[offset:offset + 512])
        for i in masked:
            fa[i] = fb[i] = 0
        assert fa == fb
    assert b[28:32] == b"hvlb"


def test_fixed_disk_layout(tmp_path: Path) -> None:
    path = tmp_path / "fixed.vhd"
    create_vhd(path, 10 * M, disk_type=DiskType.FIXED)
    raw = path.read_bytes()
    assert len(raw) == 10_514_432 + FOOTER_SIZE
    footer = raw[-512:]
    assert footer[:8] == b"conectix" and footer[16:24] == b"\xff" * 8
    assert footer[60:64] == b"\x00\x00\x00\x02"
    assert not any(raw[:-512])


# ---------------------------------------------------------------------------- qemu → ours

@pytest.mark.parametrize("subformat", ["dynamic", "fixed"])
@pytest.mark.parametrize("request_size", ["1M", "10M", "40M"])
def test_qemu_written_disks_read_identically(tmp_path: Path, subformat: str,
                                             request_size: str) -> None:
    path = tmp_path / "qemu.vhd"
    run(qemu_img(), "create", "-f", "vpc", "-o", f"subformat={subformat}", path, request_size)
    size = int(qemu_info(path)["virtual-size"])  # type: ignore[call-overload]
    commands = ["write -P 0xab 0 64k", f"write -P 0x11 {size - 4096} 4k",
                f"write -P 0x77 {size // 3 // 512 * 512} 1536"]
    if size > 6 * M:
        commands += ["write -P 0xcd 5M 512", "write -P 0xee 2047k 4k"]
    run(qemu_io(), "-f", "vpc", *[arg for c in commands for arg in ("-c", c)], path)
    expected = qemu_to_raw(path, tmp_path / "q.raw")
    with open_vhd(path) as disk:
        assert disk.size == size
        assert disk.read_sectors(0, disk.sectors) == expected
        assert disk.footer.creator_app == b"qemu"


@pytest.mark.parametrize("subformat", ["dynamic", "fixed"])
def test_qemu_converted_disks_read_identically(tmp_path: Path, subformat: str) -> None:
    rng = np.random.default_rng(11)
    data = bytearray(rng.integers(0, 256, 9 * M, dtype=np.uint8).tobytes())
    data[2 * M:5 * M] = bytes(3 * M)  # a zero run qemu leaves unallocated
    raw, path = tmp_path / "in.raw", tmp_path / "conv.vhd"
    raw.write_bytes(data)
    run(qemu_img(), "convert", "-f", "raw", "-O", "vpc", "-o", f"subformat={subformat}",
        raw, path)
    with open_vhd(path) as disk:
        assert disk.read_sectors(0, len(data) // 512) == data
        assert not any(disk.read_sectors(len(data) // 512, disk.sectors - len(data) // 512))


def test_qemu_writes_into_our_disk_and_we_read_them(tmp_path: Path) -> None:
    path = tmp_path / "ours.vhd"
    create_vhd(path, 20 * M, block_size=KB512)
    with open_vhd(path, writable=True) as disk:
        disk.write_sectors(10, b"\x01" * 1024)
    run(qemu_io(), "-f", "vpc", "-c", "write -P 0x42 3M 100k", "-c", "write -P 0x43 0 512",
        path)
    with open_vhd(path, writable=True) as disk:
        expected = qemu_to_raw(path, tmp_path / "x.raw")
        assert disk.read_sectors(0, disk.sectors) == expected
        disk.write_sectors(7 * 2048, b"\x99" * 512)  # a new block after qemu's
    with open_vhd(path) as disk:
        assert disk.read_sectors(7 * 2048, 1) == b"\x99" * 512
        assert disk.read_sectors(0, disk.sectors) == qemu_to_raw(path, tmp_path / "y.raw")


# ---------------------------------------------------------------------------- both refuse

def test_bad_footer_checksum_is_refused_by_both(tmp_path: Path) -> None:
    path = tmp_path / "bad.vhd"
    create_vhd(path, 4 * M, disk_type=DiskType.FIXED, zero_fill=False)
    raw = bytearray(path.read_bytes())
    raw[-512 + 64] ^= 0xFF
    path.write_bytes(raw)
    qemu = run(qemu_img(), "info", "-f", "vpc", path, check=False)
    assert qemu.returncode == 1 and "checksum" in qemu.stderr
    with pytest.raises(VhdCorruptError, match="footer checksum"):
        open_vhd(path)


def test_truncated_last_block_is_refused_by_both(tmp_path: Path) -> None:
    path = tmp_path / "cut.vhd"
    create_vhd(path, 8 * M)
    with open_vhd(path, writable=True) as disk:
        assert isinstance(disk, VhdDynamic)
        disk.write_sectors(0, b"\x10" * 512)
    raw = path.read_bytes()
    footer = raw[-512:]
    path.write_bytes(raw[:-512 - 4096] + footer)  # lose the end of the block's data
    qemu = run(qemu_img(), "info", "-f", "vpc", path, check=False)
    assert qemu.returncode != 0 and "truncated" in qemu.stderr
    with pytest.raises(VhdCorruptError, match=r"BAT entry 0 .*truncated"):
        open_vhd(path)
