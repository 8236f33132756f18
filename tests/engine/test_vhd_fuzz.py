"""Hypothesis fuzz of the opener: mutated footers, headers, BATs and locators, with and
without repaired checksums, and cut or padded files. Opening must never crash or hang:
it either works (and then reading works) or raises a VhdError whose message names the
structure and field at fault. A few hundred examples by default, 10,000 under ``slow``.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hvlab.engine.storage import (
    DiskType,
    VhdCorruptError,
    VhdError,
    VhdParentError,
    create_vhd,
    open_vhd,
)
from hvlab.engine.storage.fileio import PositionedFile
from hvlab.engine.storage.vhd_create import SparseImageWriter, parent_header, parent_locators
from hvlab.engine.storage.vhd_format import DynamicHeader, checksum, new_footer

BLOCK = 4096  # tiny blocks keep every example a few tens of KiB
SIZE = 64 * 1024

STRUCTURES = ("file", "footer", "footer copy at offset 0", "dynamic header", "BAT",
              "parent locator")

# Fields of the footer and the dynamic header: (offset, size).
FOOTER_FIELDS = [(0, 8), (8, 4), (12, 4), (16, 8), (24, 4), (28, 4), (32, 4), (36, 4),
                 (40, 8), (48, 8), (56, 2), (58, 1), (59, 1), (60, 4), (64, 4), (68, 16),
                 (84, 1), (85, 4), (508, 4)]
HEADER_FIELDS = [(0, 8), (8, 8), (16, 8), (24, 4), (28, 4), (32, 4), (36, 4), (40, 16),
                 (56, 4), (60, 4), (64, 16), *[(576 + 24 * i + f, n) for i in range(8)
                                               for f, n in ((0, 4), (4, 4), (8, 4), (16, 8))]]


@dataclass(frozen=True)
class Sample:
    name: str
    raw: bytes
    footer_at: int  # trailing footer offset
    header_at: int | None
    bat_at: int | None
    bat_bytes: int


def _dynamic(folder: Path, name: str, parent: Path | None) -> Path:
    """A small dynamic (or differencing) disk with 4 KiB blocks, a few of them written."""
    path = folder / name
    ident = bytes(range(16)) if parent is None else bytes(range(16, 32))
    kind = DiskType.DYNAMIC if parent is None else DiskType.DIFFERENCING
    footer = new_footer(kind, SIZE, ident, 1000)
    header = DynamicHeader(0, 0, BLOCK)
    locators = []
    with PositionedFile(str(path), create=True) as file:
        if parent is not None:
            with open_vhd(parent) as parent_disk:
                header = parent_header(header, parent_disk)
                locators = parent_locators(str(path), parent_disk)
        SparseImageWriter(file, footer, header, locators).finish()
    with open_vhd(path, writable=True, resolve_parent=False) as disk:
        for lba in (0, 9, 40, 127):
            disk.write_sectors(lba, bytes([lba + 1]) * 512)
    return path


@pytest.fixture(scope="module")
def samples() -> Iterator[dict[str, Sample]]:
    with tempfile.TemporaryDirectory() as folder:
        base = _dynamic(Path(folder), "base.vhd", None)
        child = _dynamic(Path(folder), "child.vhd", base)
        fixed = Path(folder) / "fixed.vhd"
        create_vhd(fixed, SIZE, disk_type=DiskType.FIXED)
        found: dict[str, Sample] = {}
        for path in (base, child, fixed):
            raw = path.read_bytes()
            if path is fixed:
                found[path.name] = Sample(path.name, raw, len(raw) - 512, None, None, 0)
            else:
                table = struct.unpack_from(">Q", raw, 512 + 16)[0]
                entries = struct.unpack_from(">I", raw, 512 + 28)[0]
                found[path.name] = Sample(path.name, raw, len(raw) - 512, 512, table,
                                          4 * entries)
        found["parent"] = Sample("base.vhd", base.read_bytes(), 0, None, None, 0)
        yield found


def _refresh_checksums(raw: bytearray, sample: Sample) -> None:
    for at in {0, sample.footer_at} if sample.header_at is not None else {sample.footer_at}:
        if at + 512 <= len(raw):
            raw[at + 64:at + 68] = bytes(4)
            raw[at + 64:at + 68] = struct.pack(">I", checksum(raw[at:at + 512], 64))
    if sample.header_at is not None and sample.header_at + 1024 <= len(raw):
        at = sample.header_at
        raw[at + 36:at + 40] = bytes(4)
        raw[at + 36:at + 40] = struct.pack(">I", checksum(raw[at:at + 1024], 36))


interesting_ints = st.one_of(
    st.integers(0, 2**64 - 1),
    st.sampled_from([0, 1, 2, 3, 4, 5, 511, 512, 513, 1024, 1536, 4096, 0xFFFFFFFF,
                     0x7FFFFFFF, 0x80000000, 2**63, 2**64 - 1, SIZE, SIZE * 2, BLOCK * 2]),
)


@st.composite
def mutations(draw: st.DrawFn, samples: dict[str, Sample]) -> tuple[Sample, bytes]:
    sample = samples[draw(st.sampled_from(["base.vhd", "child.vhd", "fixed.vhd"]))]
    raw = bytearray(sample.raw)
    kind = draw(st.sampled_from(["field", "field", "field", "bytes", "bat", "cut", "pad"]))
    if kind == "field":
        targets = [("footer", sample.footer_at)]
        if sample.header_at is not None:
            targets += [("copy", 0), ("header", sample.header_at)]
        which, at = draw(st.sampled_from(targets))
        offset, size = draw(st.sampled_from(HEADER_FIELDS if which == "header"
                                            else FOOTER_FIELDS))
        value = draw(interesting_ints) % (1 << (8 * size))
        raw[at + offset:at + offset + size] = value.to_bytes(size, "big")
        if draw(st.booleans()):
            _refresh_checksums(raw, sample)
    elif kind == "bytes":
        for _ in range(draw(st.integers(1, 8))):
            pos = draw(st.integers(0, len(raw) - 1))
            raw[pos] = draw(st.integers(0, 255))
        if draw(st.booleans()):
            _refresh_checksums(raw, sample)
    elif kind == "bat" and sample.bat_at is not None:
        entry = draw(st.integers(0, sample.bat_bytes // 4 - 1))
        value = draw(st.one_of(st.integers(0, 2**32 - 1),
                               st.integers(0, len(raw) // 512 + 16)))
        struct.pack_into(">I", raw, sample.bat_at + 4 * entry, value)
    elif kind == "cut":
        raw = raw[:draw(st.integers(0, len(raw) - 1))]
    else:
        raw += bytes(draw(st.integers(1, 5000)))
    return sample, bytes(raw)


def _open_and_read(path: Path, folder: Path) -> None:
    try:
        with open_vhd(path) as disk:
            sectors = disk.sectors
            picks = {0, max(0, sectors - 8), sectors // 2}
            for lba in picks:
                disk.read_sectors(lba, min(8, sectors - lba))
    except VhdCorruptError as err:
        assert err.structure.startswith(STRUCTURES), err.message
        assert err.field and err.field in err.message and err.structure in err.message
        assert "corrupt" in err.message
    except VhdParentError as err:
        assert "parent" in err.message.lower()
    except VhdError as err:
        # The remaining VhdErrors a damaged file may cause: nothing else is acceptable.
        assert "end of file" in err.message or "outside" in err.message, err.message


def run_fuzz(samples: dict[str, Sample], data: st.DataObject) -> None:
    sample, raw = data.draw(mutations(samples))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "base.vhd").write_bytes(samples["parent"].raw)
        path = folder / ("mutant-" + sample.name)
        if sample.name == "base.vhd":
            path = folder / "base.vhd"
        path.write_bytes(raw)
        _open_and_read(path, folder)
        if raw and os.path.getsize(path) >= 512:
            # Writable opens repair a recovered footer; the result must open again.
            try:
                with open_vhd(path, writable=True, resolve_parent=False):
                    pass
            except VhdError:
                return
            _open_and_read(path, folder)


FUZZ_SETTINGS = {"deadline": 2000, "suppress_health_check": [HealthCheck.too_slow],
                 "derandomize": False}


@settings(max_examples=300, **FUZZ_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_opener_survives_mutations(samples: dict[str, Sample], data: st.DataObject) -> None:
    run_fuzz(samples, data)


@pytest.mark.slow  # runs with -m slow (tests/conftest.py)
@settings(max_examples=10_000, **FUZZ_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_opener_survives_mutations_long(samples: dict[str, Sample],
                                        data: st.DataObject) -> None:
    run_fuzz(samples, data)


def test_samples_are_valid(samples: dict[str, Sample]) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for sample in (samples["base.vhd"], samples["child.vhd"], samples["fixed.vhd"]):
            (folder / sample.name).write_bytes(sample.raw)
        with open_vhd(folder / "child.vhd") as disk:
            assert disk.read_sectors(9, 1) == b"\x0a" * 512
            assert np.frombuffer(disk.read_sectors(0, 1), np.uint8).tolist() == [1] * 512
