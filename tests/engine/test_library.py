"""The library on disk: first start, resume, commits, locking, damage and migrations."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from hvlab.engine import fileguard
from hvlab.engine.api import Library, LibraryError, LibraryLockedError, open_library
from hvlab.engine.config import HardDrive
from hvlab.engine.errors import NotFoundError
from hvlab.engine.fileguard import FaultPlan
from hvlab.engine.library.files import DamagedFileError, encode, read_raw, verify, write_atomic
from hvlab.engine.library.schema import CURRENT, MIGRATIONS, SchemaError, upgrade
from hvlab.engine.library.state import snapshot_lab

FIXTURES = Path(__file__).parent / "fixtures"
DISK = [HardDrive("IDE", 0, 0, "disk.vhd")]


def lib_at(folder: Path, **kw: object) -> Library:
    return open_library(folder, program="pytest", **kw)  # type: ignore[arg-type]


def abandon(lib: Library) -> None:
    """What a killed process leaves: no final commit, the lock and files just dropped."""
    lib.store._closed = True
    assert lib.store._store is not None
    lib.store._store.close()
    lib.store._lock.release()


def vm_dir(lib: Library, name: str) -> Path:
    return lib.path / "vms" / lib.api.vm(name).id


# -- first start and resume -------------------------------------------------------------------


def test_first_start_builds_the_demo_lab(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        names = {v.name: v.state for v in lib.api.vms()}
        assert lib.api.host().name == "LAB-HOST-01"
        assert names["W2K8-DC01"] == "Running" and names["SQL-BIG"] == "Off"
        assert len(names) == 6
    for name in ("library.json", "state.json", "events.sqlite", "library.lock"):
        assert (tmp_path / "lib" / name).exists()
    assert len(list((tmp_path / "lib" / "vms").iterdir())) == 6


def test_empty_gives_the_host_only(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib", empty=True) as lib:
        assert lib.api.vms() == []
        assert lib.api.host().name == "LAB-HOST-01"


def test_time_stands_still_while_closed_and_running_vms_keep_running(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        lib.api.advance(12.25)
        before = {v.name: (v.state, v.uptime_seconds) for v in lib.api.vms()}
        now = lib.api.now_us
    with lib_at(tmp_path / "lib") as lib:
        assert lib.api.now_us == now
        assert {v.name: (v.state, v.uptime_seconds) for v in lib.api.vms()} == before
        lib.api.advance(10)
        dc = lib.api.vm("W2K8-DC01")
        assert dc.state == "Running"
        assert dc.uptime_seconds == pytest.approx(before["W2K8-DC01"][1] + 10)


def test_every_command_is_committed_before_it_returns(tmp_path: Path) -> None:
    lib = lib_at(tmp_path / "lib", empty=True)
    lib.api.create_vm("KEPT", memory_startup_mb=512, hard_drives=DISK)
    lib.api.start("KEPT")
    abandon(lib)  # killed: close() never ran
    with lib_at(tmp_path / "lib") as again:
        assert again.api.vm("KEPT").state == "Starting"


def test_time_alone_is_committed_by_the_autosave_interval(tmp_path: Path) -> None:
    lib = open_library(tmp_path / "lib", program="pytest", empty=True, autosave_seconds=10)
    start = lib.api.now_us
    lib.api.advance(4)
    lib.api.advance(4)
    committed = lib.commit_number
    lib.api.advance(4)  # 12 s since the last commit
    assert lib.commit_number == committed + 1
    abandon(lib)
    with lib_at(tmp_path / "lib") as again:
        assert again.api.now_us == start + 12_000_000


def test_reads_do_not_write(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        n = lib.commit_number
        lib.api.vms()
        lib.api.vm_table()
        lib.api.host()
        lib.api.memory_map()
        assert lib.commit_number == n


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        config = vm_dir(lib, "SQL-BIG") / "config.json"
        stamp = read_raw(config)["commit"]
        lib.api.start("XP-CLIENT")
        assert read_raw(config)["commit"] == stamp
        lib.api.set_vm("SQL-BIG", notes="changed")
        assert read_raw(config)["commit"] == lib.commit_number


def test_deleted_vm_folder_goes_and_rename_keeps_the_folder(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        folder = vm_dir(lib, "XP-CLIENT")
        lib.api.rename("XP-CLIENT", "XP-RENAMED")
        assert folder.is_dir()
        lib.api.delete_vm("XP-RENAMED")
        assert not folder.exists()


# -- locking -----------------------------------------------------------------------------------


def test_a_second_owner_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib"):
        with pytest.raises(LibraryLockedError) as err:
            open_library(tmp_path / "lib", program="second")
        assert err.value.program == "pytest" and err.value.pid == os.getpid()
        assert f"pytest (process {os.getpid()})" in str(err.value)
    with lib_at(tmp_path / "lib"):  # released at close
        pass


def test_a_folder_that_is_not_a_library_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(LibraryError, match="is not an hvlab library"):
        open_library(tmp_path, program="pytest")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# -- damage ----------------------------------------------------------------------------------


def test_a_truncated_vm_config_is_named_and_the_others_load(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        config = vm_dir(lib, "W2K8-DC01") / "config.json"  # a running VM
        free_before = lib.api.host().memory_free_mb
        dc_mb = lib.api.host().memory_vms_mb
    raw = config.read_bytes()
    config.write_bytes(raw[: len(raw) // 2])
    with lib_at(tmp_path / "lib") as lib:
        assert len(lib.messages) == 1
        assert str(config) in lib.messages[0] and "W2K8-DC01" in lib.messages[0]
        assert "set aside" in lib.messages[0]
        names = [v.name for v in lib.api.vms()]
        assert "W2K8-DC01" not in names and len(names) == 5
        assert lib.api.vm("SLES10-WEB01").state == "Running"
        # Its partition and memory went with it; the rest of the host is whole.
        host = lib.api.host()
        assert host.memory_free_mb > free_before and host.memory_vms_mb < dc_mb
        for h in lib.api.lab.hosts.values():
            h.memory.check_invariants()
        lib.api.advance(30)
    with lib_at(tmp_path / "lib") as lib:  # still set aside, still said
        assert "W2K8-DC01" in lib.messages[0]
    config.write_bytes(raw)  # repaired: back, Off
    with lib_at(tmp_path / "lib") as lib:
        assert lib.api.vm("W2K8-DC01").state == "Off"
        assert "back" in lib.messages[0]
        lib.api.wait(lib.api.start("W2K8-DC01"))


def test_a_damaged_runtime_file_leaves_the_vm_off(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        runtime = vm_dir(lib, "SLES10-WEB01") / "runtime.json"
    doc = json.loads(runtime.read_text())
    doc["data"]["uptime_base_us"] = 1  # edited by hand: the checksum no longer matches
    runtime.write_text(json.dumps(doc))
    with lib_at(tmp_path / "lib") as lib:
        assert "checksum" in lib.messages[0] and str(runtime) in lib.messages[0]
        assert lib.api.vm("SLES10-WEB01").state == "Off"
        assert lib.api.vm("W2K8-DC01").state == "Running"
        lib.api.wait(lib.api.start("SLES10-WEB01"))


def test_a_damaged_state_file_rebuilds_from_the_vm_folders(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        lib.api.advance(50)
        now = lib.api.now_us
        ids = sorted(v.id for v in lib.api.vms())
    (tmp_path / "lib" / "state.json").write_text("{ not json")
    with lib_at(tmp_path / "lib") as lib:
        assert "state.json" in lib.messages[0] and "rebuilt" in lib.messages[0]
        assert sorted(v.id for v in lib.api.vms()) == ids
        assert {v.state for v in lib.api.vms()} == {"Off"}
        assert lib.api.now_us >= now  # the clock never runs backwards
        assert (tmp_path / "lib" / "state.json.damaged").exists()
        created = lib.api.create_vm("AFTER", memory_startup_mb=512)
        assert created.id not in ids
    with lib_at(tmp_path / "lib") as lib:
        assert lib.messages == []


def test_a_damaged_event_log_is_set_aside(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib"):
        pass
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp_path / 'lib' / 'events.sqlite'}{suffix}").unlink(missing_ok=True)
    (tmp_path / "lib" / "events.sqlite").write_bytes(b"garbage" * 100)
    with lib_at(tmp_path / "lib") as lib:
        assert "events.sqlite" in lib.messages[0]
        assert [v.state for v in lib.api.vms()].count("Running") == 4


def test_unknown_files_are_reported_and_left_alone(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        stray = vm_dir(lib, "XP-CLIENT") / "notes.txt"
    stray.write_text("hello")
    (tmp_path / "lib" / "extra.bin").write_bytes(b"x")
    with lib_at(tmp_path / "lib") as lib:
        assert any(str(stray) in m for m in lib.messages)
        assert any("extra.bin" in m for m in lib.messages)
    assert stray.exists()


def test_a_newer_schema_is_refused_not_rewritten(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib"):
        pass
    state = tmp_path / "lib" / "state.json"
    doc = json.loads(state.read_text())
    doc["schema"] = 99
    state.write_text(json.dumps(doc))
    before = state.read_bytes()
    with pytest.raises(LibraryError, match="newer version of hvlab"):
        lib_at(tmp_path / "lib")
    assert state.read_bytes() == before


def test_a_partially_written_file_is_never_valid(tmp_path: Path) -> None:
    payload = encode("hvlab.vm-config", 1, 3, {"a": 1, "b": "two"})
    for cut in range(len(payload) - 1):
        path = tmp_path / f"part{cut}.json"
        path.write_bytes(payload[:cut])
        with pytest.raises(DamagedFileError):
            verify(path, read_raw(path))
    path.write_bytes(payload)
    assert verify(path, read_raw(path)).data == {"a": 1, "b": "two"}


# -- crash consistency (an interrupted commit, at every write) --------------------------------


def test_a_commit_cut_short_anywhere_rolls_back_to_the_last_one(tmp_path: Path) -> None:
    """Fail the n-th file operation of a commit that changes many files, and every one
    after it (as a dying disk would), for every n."""
    seed_lib = tmp_path / "seed"
    with lib_at(seed_lib) as lib:
        lib.api.create_vm("DOOMED", memory_startup_mb=256)
        lib.api.advance(5)
    n = 0
    while True:
        n += 1
        folder = tmp_path / f"run{n}"
        shutil.copytree(seed_lib, folder)
        lib = lib_at(folder)
        expected = json.dumps(snapshot_lab(lib.api.lab))
        before = lib.commit_number
        fileguard.reset_faults(FaultPlan(fail_from=n, error=errno.EIO))
        try:
            with lib.batch():  # one commit touching a host, configs, runtimes and events
                lib.api.set_host(numa_spanning=False)
                lib.api.set_vm("SQL-BIG", memory_startup_mb=1024)
                lib.api.start("XP-CLIENT")
                lib.api.save("SLES10-WEB01")
                lib.api.delete_vm("DOOMED")
                lib.api.create_vm("NEWBORN", memory_startup_mb=256)
        except LibraryError:
            pass
        finally:
            fired = fileguard.fault_fired()
            fileguard.reset_faults()
        committed = lib.commit_number > before  # state.json, the commit point, was written
        after = json.dumps(snapshot_lab(lib.api.lab))
        abandon(lib)
        with lib_at(folder) as reopened:
            assert reopened.messages == []
            got = json.dumps(snapshot_lab(reopened.api.lab))
            assert got == (after if committed else expected), f"failure at operation {n}"
        if not fired:
            break
    assert n > 8  # the commit really had that many steps to cut


def test_a_failed_commit_keeps_the_last_state_and_the_next_one_succeeds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = lib_at(tmp_path / "lib")

    def full(*a: object, **k: object) -> None:
        raise OSError(28, "No space left on device", str(tmp_path / "lib" / "state.json"))

    monkeypatch.setattr("hvlab.engine.library.library.write_atomic", full)
    with pytest.raises(LibraryError, match="could not be saved") as err:
        lib.api.start("XP-CLIENT")
    assert "No space left on device" in str(err.value)
    monkeypatch.undo()
    lib.api.advance(3)
    lib.commit()
    abandon(lib)
    with lib_at(tmp_path / "lib") as again:
        assert again.messages == []
        assert again.api.vm("XP-CLIENT").state == "Running"


# -- event log -------------------------------------------------------------------------------


def test_event_log_queries(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        with pytest.raises(Exception, match="failed to start"):
            lib.api.start("SQL-BIG")
        lib.api.wait(lib.api.start("XP-CLIENT"))
        lib.api.wait(lib.api.turn_off("XP-CLIENT"))
        lib.api.delete_vm("XP-CLIENT")
    with lib_at(tmp_path / "lib") as lib:
        errors = lib.events(level="error")
        assert [e.event_id for e in errors] == [12030, 3122]
        assert "with ram size 28672 megabytes" in errors[1].message
        big = lib.events(vm="SQL-BIG")
        assert {e.vm_name for e in big} == {"SQL-BIG"}
        gone = lib.events(vm="xp-client")  # deleted: matched by the name it had
        assert [e.event_id for e in gone][-3:] == [18500, 18560, 13003]
        assert len(lib.events(last=2)) == 2
        assert all(e.time_us >= 90_000_000 for e in lib.events(since_seconds=90))
        with pytest.raises(NotFoundError, match="unable to find"):
            lib.events(vm="NOBODY")
        assert lib.events(last=1)[0].event_id == 13003


def test_event_rows_of_an_unfinished_commit_are_rolled_back(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        count = len(lib.events())
        store = lib.store._store
        assert store is not None
        store.append(lib.events(last=3), lib.commit_number + 1)  # as if state.json never came
    with lib_at(tmp_path / "lib") as lib:
        assert len(lib.events()) == count


# -- schema and migrations ---------------------------------------------------------------------


def test_a_schema_0_library_is_upgraded(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    shutil.copytree(FIXTURES / "library-v0", folder)
    with lib_at(folder) as lib:
        assert any("upgraded from schema 0 to schema 1" in m for m in lib.messages)
        dc = lib.api.vm("OLD-DC")
        assert dc.state == "Running" and dc.uptime_seconds > 30
        assert lib.api.vm("OLD-XP").state == "Off"
        lib.api.advance(10)
    for path in folder.rglob("*.json"):
        doc = verify(path, read_raw(path))
        assert doc.schema == CURRENT[doc.format], path
    with lib_at(folder) as lib:
        assert lib.messages == []


def test_every_format_has_a_migration_path_from_schema_0() -> None:
    for fmt, version in CURRENT.items():
        for v in range(version):
            assert (fmt, v) in MIGRATIONS, (fmt, v)


def test_upgrade_refuses_what_it_cannot_read() -> None:
    with pytest.raises(SchemaError, match="newer hvlab"):
        upgrade("hvlab.state", 2, {})
    with pytest.raises(SchemaError, match="unknown file format"):
        upgrade("hvlab.nothing", 0, {})


def test_write_atomic_leaves_no_temporary_and_open_removes_stale_ones(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_atomic(target, b"{}\n")
    write_atomic(target, b"{}\n", keep_previous=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json", "x.json.prev"]
    with lib_at(tmp_path / "lib") as lib:
        stale = vm_dir(lib, "SQL-BIG") / ".config.json.999.tmp"
    stale.write_bytes(b"{half")
    with lib_at(tmp_path / "lib") as lib:
        assert lib.messages == []
    assert not stale.exists()


def test_a_command_that_changes_nothing_does_not_write(tmp_path: Path) -> None:
    with lib_at(tmp_path / "lib") as lib:
        n = lib.commit_number
        with pytest.raises(Exception, match="failed to change state"):
            lib.api.resume("XP-CLIENT")  # refused before anything changed
        assert lib.commit_number == n
        lib.api.set_host(virtual_machine_path="E:\\VMs")  # changes without an event
        assert lib.commit_number == n + 1
    with lib_at(tmp_path / "lib") as lib:
        assert lib.api.host().virtual_machine_path == "E:\\VMs"
