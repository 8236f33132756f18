"""Every file a library reads is untrusted: crafted exports and library files, damaged and
copied libraries.  One regression test per attack that once destroyed data or reached
outside the library, each run through hvctl's real entry point; a sentinel folder beside
the library must come through byte for byte, and nothing inside the library is lost."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hvlab.engine.api import open_library
from tests.engine.untrusted import (
    build_small_library,
    hvctl,
    ok,
    reseal,
    sentinel,
    tree,
    vm_folder,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    library = tmp_path_factory.mktemp("template") / "lib"
    build_small_library(library)
    return library


@pytest.fixture
def lib(template: Path, tmp_path: Path) -> Iterator[Path]:
    library = tmp_path / "lib"
    shutil.copytree(template, library, symlinks=True)
    yield library


@pytest.fixture
def outside(lib: Path, tmp_path: Path) -> Path:
    return sentinel(tmp_path / "sentinel", lib / "Virtual Hard Disks" / "keep.vhd")


def exported(lib: Path, tmp_path: Path, name: str = "XP") -> Path:
    ok(lib, "vm", "export", name, str(tmp_path / "exp"))
    return tmp_path / "exp" / name


def edit_manifest(folder: Path, change: object) -> None:
    path = next((folder / "Virtual Machines").glob("*.json"))
    manifest = json.loads(path.read_text())
    assert callable(change)
    change(manifest)
    path.write_text(json.dumps(manifest))


def test_defect01_crafted_export_id_cannot_wipe_library(lib: Path, tmp_path: Path,
                                                        outside: Path) -> None:
    folder = exported(lib, tmp_path)
    ok(lib, "vm", "remove", "XP")

    def climb(m: dict[str, object]) -> None:
        m["config"]["id"] = ".."  # type: ignore[index]

    edit_manifest(folder, climb)
    before, beside = tree(lib), tree(outside)
    for mode in ("restore", "register", "copy"):  # a crafted export is refused whole
        run = hvctl(lib, "vm", "import", str(folder), "--mode", mode)
        assert run.code == 1 and "Traceback" not in run.err
        assert "'..' is not" in run.err and "nothing was written" in run.err
        assert tree(lib) == before, f"{mode} changed the library"
    assert tree(outside) == beside
    names = {v["name"] for v in json.loads(ok(lib, "--json", "vm", "list"))}
    assert names == {"KEEP"}


def test_defect01_a_library_file_naming_id_dotdot_cannot_wipe_it(lib: Path,
                                                                 outside: Path) -> None:
    """The same id, written into the library's own files instead of an export."""
    xp = vm_folder(lib, "XP")
    reseal(lib / "state.json", lambda d: d["hosts"][0]["vms"][0].update(id=".."))
    reseal(xp / "config.json", lambda d: d.update(id=".."))
    beside = tree(outside)
    run = hvctl(lib, "vm", "list")
    ok(lib, "vm", "remove", "KEEP")
    ok(lib, "clock", "advance", "5")
    assert tree(outside) == beside
    assert (lib / "library.json").exists() and (lib / "Virtual Hard Disks" / "xp.vhd").exists()
    assert (xp / "config.json").exists(), "the crafted VM's files are kept to look at"
    assert run.code == 0 and "Traceback" not in run.err
    assert "state.json" in run.err and (lib / "state.json.damaged").exists()


def test_defect02_crafted_export_cannot_write_outside(lib: Path, tmp_path: Path,
                                                      outside: Path) -> None:
    folder = exported(lib, tmp_path)
    ok(lib, "vm", "remove", "XP")
    climb = "../../elsewhere"  # out of the library, still inside this test's folder
    elsewhere = Path(os.path.normpath(lib / "vms" / climb))

    def escape(m: dict[str, object]) -> None:
        m["config"]["id"] = climb  # type: ignore[index]

    edit_manifest(folder, escape)
    before, beside = tree(lib), tree(outside)
    runs = [hvctl(lib, "vm", "import", str(folder), "--mode", mode)
            for mode in ("register", "restore")]
    ok(lib, "clock", "advance", "5")  # and every later save
    try:
        assert not elsewhere.exists(), "the import wrote outside the library"
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)
    assert tree(outside) == beside
    assert {k: v for k, v in tree(lib).items() if not k.startswith(("vms", "hosts"))} \
        .keys() == {k for k in before if not k.startswith(("vms", "hosts"))}
    assert all(run.code == 1 and "is not valid" in run.err for run in runs)


def test_defect03_damaged_host_file_keeps_the_host_and_its_vms(lib: Path,
                                                               outside: Path) -> None:
    host_file = next((lib / "hosts").glob("*/host.json"))
    good = host_file.read_bytes()
    vm_folders = {p.name: tree(p) for p in (lib / "vms").iterdir()}
    host_file.write_bytes(b"garbage\n")
    runs = [hvctl(lib, "clock", "advance", "5") for _ in range(3)]  # committing commands
    with open_library(lib, program="hvlab") as session:  # and a GUI session
        session.api.advance(60)
        session.commit()
    assert host_file.read_bytes() == b"garbage\n", "the damaged file is kept as it is"
    assert {p.name: tree(p) for p in (lib / "vms").iterdir()} == vm_folders
    assert all(run.code == 0 and "set aside" in run.err for run in runs)
    host_file.write_bytes(good)  # repaired
    run = hvctl(lib, "--json", "vm", "list")
    assert run.code == 0 and "is back" in run.err
    assert {v["name"]: v["state"] for v in json.loads(run.out)} == {"XP": "Off",
                                                                    "KEEP": "Off"}
    ok(lib, "vm", "start", "XP", "--wait")
    assert "warning" not in hvctl(lib, "vm", "list").err


def test_defect03_damaged_files_in_a_rebuilt_library_are_kept(lib: Path) -> None:
    """With state.json gone too, unreadable host and VM files still keep their folders."""
    host_file = next((lib / "hosts").glob("*/host.json"))
    good = host_file.read_bytes()
    host_file.write_bytes(b"garbage\n")
    (lib / "state.json").write_bytes(b"{")
    before = {p.name for p in (lib / "vms").iterdir()}
    runs = [hvctl(lib, "clock", "advance", "5") for _ in range(2)]
    assert {p.name for p in (lib / "vms").iterdir()} == before
    assert host_file.read_bytes() == b"garbage\n"
    assert all(run.code == 0 for run in runs)
    host_file.write_bytes(good)
    names = {v["name"] for v in json.loads(ok(lib, "--json", "vm", "list"))}
    assert names == {"XP", "KEEP"}


def test_defect04_copied_library_never_writes_into_the_original(lib: Path,
                                                                tmp_path: Path) -> None:
    ok(lib, "vm", "checkpoint", "XP")
    original = tree(lib)
    copy = tmp_path / "copy"
    shutil.copytree(lib, copy, symlinks=True)  # cp -a
    ok(copy, "vm", "start", "XP", "--wait")
    ok(copy, "clock", "advance", "200")  # the guest boots and writes
    current = Path(json.loads(ok(copy, "--json", "vm", "disks", "XP"))[0]["path"])
    assert current.is_relative_to(copy) and current.suffix == ".avhd"
    assert tree(lib) == original, "the copy wrote into the original"
    shutil.move(lib, tmp_path / "moved-away")  # the original goes: the copy is whole
    ok(copy, "vm", "turn-off", "XP", "--wait")
    ok(copy, "vm", "start", "XP", "--wait")


def test_defect04_a_missing_or_foreign_disk_stops_the_start(lib: Path) -> None:
    ok(lib, "vm", "checkpoint", "XP")
    current = Path(json.loads(ok(lib, "--json", "vm", "disks", "XP"))[0]["path"])
    current.unlink()
    run = hvctl(lib, "vm", "start", "XP")
    assert run.code == 1
    assert run.err.startswith("'XP' failed to start.\n")
    assert "Microsoft Emulated IDE Controller (Instance ID {" in run.err
    assert "Failed to Power on with Error 'The system cannot find the file specified.' " \
           "(0x80070002)" in run.err
    assert f"Could not attach '{current}' to location 0/0 of IDE Controller" in run.err
    events = json.loads(ok(lib, "--json", "events", "--vm", "XP", "--last", "2"))
    assert [e["event_id"] for e in events] == [12030, 14000]
    assert json.loads(ok(lib, "--json", "vm", "show", "XP"))["state"] == "Off"
    base = lib / "Virtual Hard Disks" / "keep.vhd"
    base.write_text("not a virtual hard disk")
    run = hvctl(lib, "vm", "start", "KEEP")
    assert run.code == 1 and "'The file or directory is corrupted and unreadable.' " \
                              "(0x80070570)" in run.err


def test_defect04_a_library_from_before_relative_paths_is_migrated(lib: Path,
                                                                   tmp_path: Path) -> None:
    """A library whose checkpoint disks were written by absolute path (runtime schema 1)
    opens, in a copy, on the copy's own files."""
    ok(lib, "vm", "checkpoint", "XP")
    runtime = vm_folder(lib, "XP") / "runtime.json"
    doc = json.loads(runtime.read_text())

    def absolute(data: dict[str, object]) -> None:
        def full(text: str) -> str:
            return str(lib / text)

        current = data["current_disks"]
        links = data["disk_parents"]
        assert isinstance(current, dict) and isinstance(links, dict)
        data["current_disks"] = {k: full(v) for k, v in current.items()}
        data["disk_parents"] = {full(c): full(p) for c, p in links.items()}
        for cp in data["checkpoints"]:  # type: ignore[attr-defined]
            cp["disks"] = {k: full(v) for k, v in cp["disks"].items()}

    reseal(runtime, absolute)
    doc = json.loads(runtime.read_text())
    doc["schema"] = 1
    runtime.write_text(json.dumps(doc))
    original = tree(lib)
    copy = tmp_path / "copy"
    shutil.copytree(lib, copy, symlinks=True)
    run = hvctl(copy, "vm", "start", "XP", "--wait")
    ok(copy, "clock", "advance", "200")
    assert tree(lib) == original, "the copy wrote into the original"
    assert run.code == 0 and "upgraded from schema 1 to schema 2" in run.err
    upgraded = json.loads((vm_folder(copy, "XP") / "runtime.json").read_text())
    assert all(not Path(p).is_absolute() for p in upgraded["data"]["disk_parents"])


def test_defect05_library_content_cannot_delete_outside_files(lib: Path,
                                                              outside: Path) -> None:
    xp = vm_folder(lib, "XP")
    victim = outside / "victim.avhd"
    reseal(xp / "runtime.json", lambda d: d["disk_parents"].update(
        {str(victim): "Virtual Hard Disks/xp.vhd"}))
    beside = tree(outside)
    run = hvctl(lib, "vm", "checkpoint", "XP")
    cps = json.loads(ok(lib, "--json", "vm", "checkpoints", "XP"))
    ok(lib, "vm", "remove-checkpoint", "XP", cps[0]["id"])
    assert tree(outside) == beside, "library content deleted a file outside the library"
    ok(lib, "vm", "remove", "XP")
    assert tree(outside) == beside
    assert (lib / "Virtual Hard Disks" / "xp.vhd").exists()
    assert run.code == 0 and "runtime.json.damaged" in run.err


def test_defect05_a_disk_named_by_a_crafted_checkpoint_is_never_written(
        lib: Path, outside: Path) -> None:
    """The current disk pointed at a VHD of the user's: the guest must not write to it."""
    xp = vm_folder(lib, "XP")
    reseal(xp / "runtime.json", lambda d: d["current_disks"].update(
        {"ide0:0": str(outside / "victim.vhd")}))
    beside = tree(outside)
    ok(lib, "vm", "start", "XP", "--wait")
    ok(lib, "clock", "advance", "200")
    assert tree(outside) == beside


def test_defect10_export_never_deletes_a_folder_it_did_not_create(lib: Path,
                                                                  tmp_path: Path) -> None:
    target = tmp_path / "exp"
    mine = target / ".XP.exporting"
    mine.mkdir(parents=True)
    (mine / "thesis.txt").write_text("years of work")
    ok(lib, "vm", "export", "XP", str(target))
    assert (mine / "thesis.txt").read_text() == "years of work"
    assert (target / "XP" / "Virtual Machines").is_dir()
    assert sorted(p.name for p in target.iterdir()) == [".XP.exporting", "XP"]
    # A failed export removes what it made, and only that.
    run = hvctl(lib, "vm", "export", "XP", str(target))
    assert run.code == 1 and "already exists" in run.err
    assert sorted(p.name for p in target.iterdir()) == [".XP.exporting", "XP"]


def test_a_start_failure_is_a_typed_error_naming_the_file(template: Path,
                                                          tmp_path: Path) -> None:
    from hvlab.engine.errors import DiskAttachError

    library = tmp_path / "lib"
    shutil.copytree(template, library)
    (library / "Virtual Hard Disks" / "xp.vhd").unlink()
    with open_library(library, program="pytest") as session, \
            pytest.raises(DiskAttachError) as err:
        session.api.start("XP")
    assert err.value.path == str(library / "Virtual Hard Disks" / "xp.vhd")
