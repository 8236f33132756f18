"""The VM list a closed library keeps (vm-list.cache): read without opening the lab, the
same rows as opening it, and never used once anything it was taken from changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from hvlab.engine.api import (
    LibraryError,
    LibraryLockedError,
    VmListRow,
    committed_vm_list,
    open_library,
)
from hvlab.engine.api.listing import listing_rows
from hvlab.engine.library.listing import LISTING_FILE

REPO = Path(__file__).resolve().parents[2]


def _full_rows(folder: Path) -> list[dict[str, object]]:
    """The rows of the library opened the full way (which writes the cache again)."""
    with open_library(folder, program="pytest") as lib:
        return listing_rows(lib.api.vms())


def _busy_library(folder: Path) -> None:
    """The demo lab mid-flight: VMs booting, saved, paused, with odd simulated times."""
    with open_library(folder, program="pytest", seed=7) as lib:
        api = lib.api
        api.start("XP-CLIENT")
        api.advance(3.3)
        api.save("W2K3-APP01")
        api.advance(17.25)
        api.pause("SLES10-WEB01")
        api.turn_off("NT4-LEGACY")
        api.advance(0.75)


def test_the_kept_list_is_the_list_of_the_opened_library(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    _busy_library(folder)
    kept = committed_vm_list(folder, program="pytest")
    assert kept is not None and all(isinstance(r, VmListRow) for r in kept)
    assert [asdict(r) for r in kept] == _full_rows(folder)
    states = {r.name: r.state for r in kept}
    assert states["W2K3-APP01"] == "Saved" and states["SLES10-WEB01"] == "Paused"
    assert states["NT4-LEGACY"] == "Off" and states["XP-CLIENT"] != "Off"


def test_no_list_without_a_close_or_a_library(tmp_path: Path) -> None:
    assert committed_vm_list(tmp_path / "none", program="pytest") is None
    folder = tmp_path / "lib"
    open_library(folder, program="pytest").close()
    lib = open_library(folder, program="pytest")
    try:
        with pytest.raises(LibraryLockedError):  # open elsewhere: refused, as open_library does
            committed_vm_list(folder, program="pytest")
        lib.api.start("XP-CLIENT")  # a commit after the close that wrote the list
        copy = tmp_path / "copy"
        shutil.copytree(folder, copy)  # keeps every modification time
    finally:
        lib.close()
    assert (copy / LISTING_FILE).exists()
    assert committed_vm_list(copy, program="pytest") is None
    rows = _full_rows(copy)
    assert {r["name"]: r["state"] for r in rows}["XP-CLIENT"] == "Starting"
    kept = committed_vm_list(copy, program="pytest")
    assert kept is not None and [asdict(r) for r in kept] == rows


def _edited(path: Path, data: bytes) -> None:
    """Write ``data`` as an edit by hand would, a second after the close (file times have a
    coarse granularity; an edit in the same tick as the close and of the same size is not
    seen, docs/performance.md)."""
    before = path.stat().st_mtime_ns
    path.write_bytes(data)
    os.utime(path, ns=(before + 10**9, before + 10**9))


@pytest.mark.parametrize("change", ["config", "cache", "state"])
def test_a_file_changed_by_hand_sends_the_reader_to_the_full_open(tmp_path: Path,
                                                                    change: str) -> None:
    folder = tmp_path / "lib"
    _busy_library(folder)
    assert committed_vm_list(folder, program="pytest") is not None
    if change == "config":  # same size, new contents: the full open reports it
        config = next((folder / "vms").glob("*/config.json"))
        raw = bytearray(config.read_bytes())
        raw[-3] = ord("x") if raw[-3] != ord("x") else ord("y")
        _edited(config, bytes(raw))
    elif change == "cache":
        cache = folder / LISTING_FILE
        _edited(cache, cache.read_bytes().replace(b'"Saved"', b'"Off"  '))
    else:
        state = folder / "state.json"
        _edited(state, state.read_bytes())  # the same bytes, written again
    assert committed_vm_list(folder, program="pytest") is None
    with open_library(folder, program="pytest") as lib:
        assert bool(lib.messages) == (change == "config")


def test_a_library_with_a_file_set_aside_keeps_no_list(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    _busy_library(folder)
    config = next((folder / "vms").glob("*/config.json"))
    config.write_bytes(config.read_bytes()[:100])
    with open_library(folder, program="pytest") as lib:
        assert lib.messages
    assert not (folder / LISTING_FILE).exists()
    assert committed_vm_list(folder, program="pytest") is None


def test_hvctl_vm_list_loads_no_simulation(tmp_path: Path) -> None:
    """What the fast path is for: `hvctl vm list` on a closed library imports neither numpy
    nor the simulation, and prints what the full open prints."""
    folder = tmp_path / "lib"
    _busy_library(folder)
    code = ("import io, sys, contextlib\nfrom hvlab.hvctl import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            f"    assert main(['--library', {str(folder)!r}, '--json', 'vm', 'list']) == 0\n"
            "loaded = [m for m in sys.modules if m == 'numpy' or m.startswith(("
            "'numpy.', 'hvlab.engine.sim', 'hvlab.engine.vmms'))]\n"
            "assert not loaded, loaded\n"
            "sys.stdout.write(out.getvalue())\n")
    fast = subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO,
                          capture_output=True, text=True, timeout=120).stdout
    (folder / LISTING_FILE).unlink()
    code_full = ("from hvlab.hvctl import main\n"
                 f"raise SystemExit(main(['--library', {str(folder)!r}, '--json', 'vm', "
                 "'list']))\n")
    full = subprocess.run([sys.executable, "-c", code_full], check=True, cwd=REPO,
                          capture_output=True, text=True, timeout=120).stdout
    assert fast == full and '"W2K8-DC01"' in fast


def test_a_library_a_newer_hvlab_saved_is_left_to_the_full_open(tmp_path: Path) -> None:
    """The kept list never shows a library this build cannot open."""
    folder = tmp_path / "lib"
    _busy_library(folder)
    state = folder / "state.json"
    raw = state.read_bytes()
    assert raw.startswith(b'{"format": "hvlab.state", "schema": 1,')
    before = state.stat()
    state.write_bytes(raw.replace(b'"schema": 1,', b'"schema": 2,', 1))
    # Same size and time: only the schema in its first line tells the reader.
    os.utime(state, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert committed_vm_list(folder, program="pytest") is None
    with pytest.raises(LibraryError, match="newer version"):
        open_library(folder, program="pytest")
