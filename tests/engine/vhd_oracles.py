"""The outside tools the VHD tests check our files against: qemu-img/qemu-io (qemu-utils)
and libvhdi (libvhdi-utils, and python3-libvhdi for differencing chains).

A missing tool skips the test with the reason, except in CI (``CI=true``), where it fails:
CI must never pass on a machine without the oracles (`make test` installs them).

libvhdi 20210425 (Debian 12) has two read bugs that the helpers here steer around, and that
our files must not be blamed for:
* its sector-bitmap decoder does not mask the bit it shifts out
  (``element_value = byte_value >> (7 - bit_index)``), so in a bitmap byte where a set bit is
  followed by clear bits, the clear sectors are taken as present in the child (they read as
  zeros instead of the parent's data). Differencing writes in these tests are therefore
  4 KiB-aligned, so every bitmap byte is 0x00 or 0xFF, as a guest's cluster writes are;
* a single read spanning several blocks with partly set bitmaps returns zeros for later
  blocks, so :func:`libvhdi_read` reads block by block.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hvlab.engine.storage import VhdDisk

SYSTEM_PYTHON = "/usr/bin/python3"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(reason: str) -> None:
    """Skip outside CI; in CI a missing oracle is a failure."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the VHD oracle tests must not skip)")
    pytest.skip(reason)


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} not found; install the Debian package {package}")
        raise AssertionError  # unreachable: missing() raises
    return path


def run(*args: str | os.PathLike[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([os.fspath(a) for a in args], capture_output=True, text=True,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout}{result.stderr}")
    return result


# ---------------------------------------------------------------------------- qemu

def qemu_img() -> str:
    return tool("qemu-img", "qemu-utils")


def qemu_io() -> str:
    return tool("qemu-io", "qemu-utils")


def qemu_version() -> str:
    return run(qemu_img(), "--version").stdout.splitlines()[0]


def qemu_info(path: Path, *, current_size: bool = False) -> dict[str, object]:
    if current_size:
        spec = f"driver=vpc,force_size_calc=current_size,file.filename={path}"
        out = run(qemu_img(), "info", "--output=json", "--image-opts", spec).stdout
    else:
        out = run(qemu_img(), "info", "-f", "vpc", "--output=json", path).stdout
    info: dict[str, object] = json.loads(out)
    return info


def qemu_to_raw(path: Path, raw: Path, *, current_size: bool = False) -> bytes:
    """``qemu-img convert -f vpc -O raw``: the disk's bytes as qemu reads them."""
    if current_size:
        spec = f"driver=vpc,force_size_calc=current_size,file.filename={path}"
        run(qemu_img(), "convert", "--image-opts", spec, "-O", "raw", raw)
    else:
        run(qemu_img(), "convert", "-f", "vpc", "-O", "raw", path, raw)
    data = raw.read_bytes()
    raw.unlink()
    return data


def qemu_compare(path: Path, raw: Path) -> subprocess.CompletedProcess[str]:
    return run(qemu_img(), "compare", "-f", "vpc", "-F", "raw", path, raw, check=False)


# ---------------------------------------------------------------------------- libvhdi

def vhdiinfo(path: Path) -> dict[str, str]:
    """``vhdiinfo`` fields, e.g. ``{"Disk type": "Differential", "Parent identifier": ...}``."""
    out = run(tool("vhdiinfo", "libvhdi-utils"), path).stdout
    fields: dict[str, str] = {}
    for line in out.splitlines():
        if ":" in line and line.startswith("\t"):
            key, _, value = line.strip().partition(":")
            fields[key.strip()] = value.strip()
    return fields


_PYVHDI_READ = r"""
import sys, pyvhdi
out, chunk, *names = sys.argv[1:]
chunk = int(chunk)
files = []
for name in names:
    f = pyvhdi.file()
    f.open(name)
    files.append(f)
for child, parent in zip(files, files[1:]):
    child.set_parent(parent)
size = files[0].get_media_size()
with open(out, "wb") as sink:
    for offset in range(0, size, chunk):
        sink.write(files[0].read_buffer_at_offset(min(chunk, size - offset), offset))
for f in files:
    f.close()
"""


def pyvhdi_available() -> None:
    """pyvhdi is a Debian package (python3-libvhdi) for the system Python only."""
    if not os.path.exists(SYSTEM_PYTHON):
        missing(f"{SYSTEM_PYTHON} not found (pyvhdi runs in Debian's Python)")
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import pyvhdi"], capture_output=True,
                           check=False)
    if probe.returncode != 0:
        missing("pyvhdi not importable by /usr/bin/python3; install python3-libvhdi")


def libvhdi_read(chain: list[Path], out: Path, block_size: int) -> bytes:
    """What libvhdi reads through ``chain`` (child first, each file's parent next), read
    one block at a time (see the module docstring)."""
    pyvhdi_available()
    run(SYSTEM_PYTHON, "-c", _PYVHDI_READ, out, str(block_size), *map(str, chain))
    data = out.read_bytes()
    out.unlink()
    return data


# ---------------------------------------------------------------------------- shadow model

def random_writes(disk: VhdDisk, model: bytearray, rng: np.random.Generator, count: int, *,
                  align: int = 1, max_sectors: int = 700) -> None:
    """``count`` writes of random data at random places (multiples of ``align`` sectors),
    mirrored into ``model``, plus the first and the last sectors of the disk."""
    sectors = disk.sectors
    spots = [(0, min(align, sectors)), (sectors - align, align)]
    for _ in range(count):
        n = int(rng.integers(1, max_sectors // align + 1)) * align
        n = min(n, sectors - sectors % align)
        lba = int(rng.integers(0, (sectors - n) // align + 1)) * align
        spots.append((lba, n))
    for lba, n in spots:
        data = rng.integers(0, 256, n * 512, dtype=np.uint8).tobytes()
        disk.write_sectors(lba, data)
        model[lba * 512:(lba + n) * 512] = data
