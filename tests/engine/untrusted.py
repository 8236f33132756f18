"""Tools for testing a library against crafted files: hvctl in process, a fingerprint of a
folder tree, re-sealing an edited library file, a small library to copy."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hvlab.engine.library.files import digest
from hvlab.hvctl import main as hvctl_main


@dataclass
class Run:
    code: int
    out: str
    err: str


def hvctl(library: Path, *args: str) -> Run:
    """``hvctl --library LIBRARY ARGS`` through its real entry point, in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = hvctl_main(["--library", str(library), *args])
    return Run(code, out.getvalue(), err.getvalue())


def ok(library: Path, *args: str) -> str:
    run = hvctl(library, *args)
    assert run.code == 0, (args, run.err)
    return run.out


def tree(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (itself included) with a digest of what it is: the
    bytes of a file, the target of a link, the mode of a folder."""
    found: dict[str, str] = {}
    if not folder.exists():
        return found
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(root) / name
            key = os.fspath(path.relative_to(folder))
            if path.is_symlink():
                found[key] = "link:" + os.readlink(path)
            elif path.is_dir():
                found[key] = f"dir:{path.stat().st_mode:o}"
            else:
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def reseal(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit a library file's data and give it a matching checksum, as an attacker would."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc["data"])
    doc["sha256"] = digest(doc["data"])
    path.write_text(json.dumps(doc), encoding="utf-8")


def vm_folder(library: Path, name: str) -> Path:
    vms = json.loads(ok(library, "--json", "vm", "list"))
    return library / "vms" / next(v["id"] for v in vms if v["name"] == name)


def build_small_library(library: Path) -> None:
    """An empty host with two VMs on small disks (3 GB, 512 KB blocks): XP, which gets
    the attacks, and KEEP, which must come through untouched."""
    ok(library, "--empty", "vm", "list")
    for name in ("XP", "KEEP"):
        disk = f"{name.lower()}.vhd"
        ok(library, "vhd", "new", disk, "--size-gb", "3", "--block-kb", "512")
        ok(library, "vm", "new", name, "--vhd", disk, "--memory", "512")
    ok(library, "vm", "set", "XP", "--workload", "custom", "--workload-iops", "250")


def sentinel(folder: Path, vhd_source: Path) -> Path:
    """A folder beside the library with what an attack would love to reach: a text file,
    a real VHD and a differencing disk's worth of bytes."""
    folder.mkdir()
    (folder / "notes.txt").write_text("the user's own file\n")
    shutil.copyfile(vhd_source, folder / "victim.vhd")
    shutil.copyfile(vhd_source, folder / "victim.avhd")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.txt").write_text("deeper\n")
    return folder
