"""The counter history on disk: appended at each save, read back whole after a reopen, a
torn tail ignored, a new base when the lab's layout changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hvlab.engine.api import Library, open_library
from hvlab.engine.library.library import HISTORY_FILE, OLD_HISTORY_FILE
from hvlab.engine.sim.counters import VM_SERIES, History


def lib_at(folder: Path) -> Library:
    """The demo host with two small running VMs (a new library), or the library again."""
    new = not folder.exists()
    lib = open_library(folder, program="pytest", seed=3, empty=True)
    if new:
        with lib.batch():
            for name in ("ALPHA", "BRAVO"):
                lib.api.create_vm(name, memory_startup_mb=512, guest_is_installed=True)
                lib.api.start(name)
    return lib


def slot_of(lib: Library, name: str) -> int:
    found = lib.store.lab.find_vm(lib.api.vm(name).id)
    assert found is not None
    return found[1].slot


def rings(lib: Library) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The history in time order: the sample times and every VM series."""
    h: History = lib.store.lab.sim.history
    order = (h.head - h.count + np.arange(h.count)) % h.samples
    return h.times_us[order].copy(), {n: h.vm[n][order].copy() for n in VM_SERIES}


def test_a_reopened_library_has_the_history_it_closed_with(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        lib.api.advance(95.0)
        kept = rings(lib)
    with lib_at(tmp_path / "lib") as again:
        times, vm = rings(again)
        assert len(times) >= 95
        assert np.array_equal(times, kept[0])
        for name in VM_SERIES:
            assert np.array_equal(vm[name], kept[1][name])


def test_an_autosave_appends_the_new_seconds_and_leaves_the_rest(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        lib.api.advance(40.0)
        path = lib.path / HISTORY_FILE
        before = path.read_bytes()
        lib.api.advance(30.0)  # one autosave interval
        after = path.read_bytes()
        # Everything already on disk is untouched; only the 30 new samples were added, and
        # they cost far less than the whole ring.
        assert after.startswith(before)
        added = len(after) - len(before)
        assert 0 < added < len(before) / 10
        lib.api.advance(30.0)
        assert path.read_bytes().startswith(after)


def test_a_torn_tail_is_ignored_and_then_overwritten(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        lib.api.advance(40.0)
        path = lib.path / HISTORY_FILE
        whole = len(path.read_bytes())
        lib.api.advance(30.0)
        kept_times = rings(lib)[0]
    data = path.read_bytes()
    path.write_bytes(data[: whole + (len(data) - whole) // 2])  # a crash mid-append
    with lib_at(tmp_path / "lib") as lib:
        times = rings(lib)[0]
        # The torn record's samples are gone, the rest is there.
        assert np.array_equal(times, kept_times[: len(times)])
        assert len(times) < len(kept_times)
        assert lib.messages == []
        lib.api.advance(30.0)
        saved = rings(lib)
    with lib_at(tmp_path / "lib") as lib:
        assert np.array_equal(rings(lib)[0], saved[0])


def test_a_vm_in_a_reused_slot_starts_with_an_empty_history(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        lib.api.advance(40.0)
        slot = slot_of(lib, "BRAVO")
        lib.api.wait(lib.api.turn_off("BRAVO"))
        assert rings(lib)[1]["memory_assigned_mb"][:, slot].any()
        lib.api.delete_vm("BRAVO")
        lib.api.create_vm("NEWCOMER", memory_startup_mb=1024)
        lib.api.start("NEWCOMER")
        assert slot_of(lib, "NEWCOMER") == slot
        lib.api.advance(40.0)
        before = rings(lib)
    with lib_at(tmp_path / "lib") as lib:
        times, vm = rings(lib)
        assert np.array_equal(times, before[0])
        # Before it was created the slot held BRAVO's figures: they are not the newcomer's.
        assert np.array_equal(vm["memory_assigned_mb"][:, slot],
                              before[1]["memory_assigned_mb"][:, slot])
        assert not vm["memory_assigned_mb"][: len(times) - 40, slot].any()


def test_a_damaged_history_is_set_aside_and_the_graphs_start_empty(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        lib.api.advance(10.0)
    (tmp_path / "lib" / HISTORY_FILE).write_bytes(b"not a history")
    with lib_at(tmp_path / "lib") as lib:
        assert any("counter history could not be read" in m for m in lib.messages)
        assert (tmp_path / "lib" / f"{HISTORY_FILE}.damaged").exists()
        assert lib.store.lab.sim.history.count == 0


def test_an_earlier_libraries_history_is_read_and_replaced(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        lib.api.advance(50.0)
        lab = lib.store.lab
        old = lab.sim.history.to_bytes(dict(lab.sim.devices.rows))
        kept = rings(lib)
    (tmp_path / "lib" / HISTORY_FILE).unlink()
    (tmp_path / "lib" / OLD_HISTORY_FILE).write_bytes(old)
    with lib_at(tmp_path / "lib") as lib:
        assert np.array_equal(rings(lib)[0], kept[0])
        lib.api.advance(1.0)
    assert not (tmp_path / "lib" / OLD_HISTORY_FILE).exists()
    with lib_at(tmp_path / "lib") as lib:
        assert len(rings(lib)[0]) == len(kept[0]) + 1
