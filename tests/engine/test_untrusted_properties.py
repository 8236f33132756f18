"""Property tests: crafted export manifests and crafted library files, whatever ids, paths,
links and values they hold, never make the library write, rename or delete anything
outside itself (a sentinel folder beside it keeps every byte), and never lose what it had
(the untouched VM and its disk come through)."""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hvlab.engine.api import Library, open_library
from hvlab.engine.errors import HvError
from tests.engine.untrusted import build_small_library, ok, reseal, sentinel, tree, vm_folder

_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
#: A few examples in every run; ``-m slow`` runs the long ones.
EXAMPLES = settings(max_examples=10, deadline=None, suppress_health_check=_CHECKS)
LONG = settings(max_examples=300, deadline=None, suppress_health_check=_CHECKS)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library whose XP has a checkpoint with data after it, its export, and a
    sentinel folder beside them."""
    base = tmp_path_factory.mktemp("world")
    lib = base / "lib"
    build_small_library(lib)
    ok(lib, "vm", "checkpoint", "XP")
    ok(lib, "vm", "export", "XP", str(base / "exp"))
    sentinel(base / "sentinel", lib / "Virtual Hard Disks" / "keep.vhd")
    (base / "exp" / "XP" / "link.vhd").symlink_to(base / "sentinel" / "victim.vhd")
    (base / "exp" / "XP" / "linkdir").symlink_to(base / "sentinel")
    return base


def fresh(world: Path, tmp_path: Path) -> Path:
    """A copy of the world for one example (links kept as links)."""
    target = tmp_path / f"w{uuid.uuid4().hex[:8]}"
    shutil.copytree(world, target, symlinks=True)
    return target


def paths(base: Path) -> st.SearchStrategy[Any]:
    """What a crafted file may put where a path belongs."""
    victim = base / "sentinel" / "victim.vhd"
    return st.sampled_from([
        "..", "../..", ".", "", "../../sentinel/victim.vhd", "../sentinel",
        str(victim), str(base / "sentinel" / "victim.avhd"), str(base / "sentinel"),
        str(base / "sentinel" / "notes.txt"), "link.vhd", "linkdir/victim.vhd",
        "Virtual Hard Disks/xp.vhd", "Snapshots/../../../sentinel/victim.avhd",
        "vms/../../sentinel/victim.avhd", "C:\\Windows\\x.vhd", "a\x00b",
        "x" * 300, 7, None, ["list"]])


def ids(base: Path) -> st.SearchStrategy[Any]:
    # Every absolute path and every climb stays inside this test's own folder: a regression
    # must hurt the sentinel, never the machine running the tests.
    return st.sampled_from([
        "..", "../../elsewhere", str(base / "sentinel"), "a/b", "", ".", "x" * 300,
        "C16BE6C5-9885-42ED-815A-FFB53CF8DB1C/..", "not-a-uuid", 12, None,
        str(uuid.UUID(int=7)).upper(), "C16BE6C5-9885-42ED-815A-FFB53CF8DB1C"])


def odd_numbers() -> st.SearchStrategy[Any]:
    return st.sampled_from([-1, 10**30, 1.5, "7", None, True, 2**63])


Edit = Callable[[dict[str, Any]], None]


def manifest_edits(base: Path) -> st.SearchStrategy[list[Edit]]:
    p = paths(base)

    def set_id(v: Any) -> Edit:
        return lambda m: m["config"].__setitem__("id", v)

    def drive(v: Any) -> Edit:
        return lambda m: m["config"]["hard_drives"][0].__setitem__("path", v)

    def link(k: Any, v: Any) -> Edit:
        return lambda m: m["disk_parents"].__setitem__(str(k), v)

    def current(v: Any) -> Edit:
        return lambda m: m["current_disks"].__setitem__("ide0:0", v)

    def checkpoint(i: Any, v: Any) -> Edit:
        def edit(m: dict[str, Any]) -> None:
            m["checkpoints"][0]["id"] = i
            m["checkpoints"][0]["disks"]["ide0:0"] = v
        return edit

    def counter(v: Any) -> Edit:
        return lambda m: m.__setitem__("checkpoint_counter", v)

    one = st.one_of(st.builds(set_id, ids(base)), st.builds(drive, p), st.builds(link, p, p),
                    st.builds(current, p), st.builds(checkpoint, ids(base), p),
                    st.builds(counter, odd_numbers()))
    # Some examples stay valid, so what follows a successful import is exercised too.
    valid = st.one_of(st.builds(set_id, st.uuids().map(lambda u: str(u).upper())),
                      st.builds(counter, st.integers(0, 1000)))
    return st.one_of(st.lists(valid, max_size=2), st.lists(one, min_size=1, max_size=3))


def library_edits(base: Path) -> st.SearchStrategy[list[tuple[str, Edit]]]:
    """Edits of XP's runtime.json and config.json, the host file and state.json."""
    p = paths(base)

    def runtime(edit: Edit) -> tuple[str, Edit]:
        return ("runtime", edit)

    def parents(k: Any, v: Any) -> tuple[str, Edit]:
        return runtime(lambda d: d["disk_parents"].__setitem__(str(k), v))

    def current(v: Any) -> tuple[str, Edit]:
        return runtime(lambda d: d["current_disks"].__setitem__("ide0:0", v))

    def checkpoint(i: Any, v: Any) -> tuple[str, Edit]:
        def edit(d: dict[str, Any]) -> None:
            d["checkpoints"][0]["id"] = i
            d["checkpoints"][0]["disks"]["ide0:0"] = v
        return runtime(edit)

    def config_id(v: Any) -> tuple[str, Edit]:
        return ("config", lambda d: d.__setitem__("id", v))

    def state_vm(v: Any) -> tuple[str, Edit]:
        return ("state", lambda d: d["hosts"][0]["vms"][0].__setitem__("id", v))

    def state_host(v: Any) -> tuple[str, Edit]:
        return ("state", lambda d: d["hosts"][0].__setitem__("id", v))

    def host_id(v: Any) -> tuple[str, Edit]:
        return ("host", lambda d: d.__setitem__("id", v))

    def counter(v: Any) -> tuple[str, Edit]:
        return runtime(lambda d: d.__setitem__("checkpoint_counter", v))

    one = st.one_of(st.builds(parents, p, p), st.builds(current, p),
                    st.builds(checkpoint, ids(base), p), st.builds(config_id, ids(base)),
                    st.builds(state_vm, ids(base)), st.builds(state_host, ids(base)),
                    st.builds(host_id, ids(base)), st.builds(counter, odd_numbers()))
    return st.lists(one, min_size=1, max_size=3)


def attempt(fn: Callable[[], object]) -> None:
    """A refusal is an answer; anything but HvError is a defect."""
    with contextlib.suppress(HvError):
        fn()


def exercise(session: Library, name: str, scratch: Path) -> None:
    """What a user would do next: run it, checkpoint, delete checkpoints, export, remove."""
    api = session.api
    if name not in {v.name for v in api.vms()}:
        return
    attempt(lambda: api.wait(api.start(name)))
    attempt(lambda: api.advance(40))
    attempt(lambda: api.wait(api.turn_off(name)))
    attempt(lambda: api.checkpoint(name))
    for cp in list(api.checkpoints(name)) if name in {v.name for v in api.vms()} else []:
        attempt(lambda cp_id=cp.id: api.delete_checkpoint(name, cp_id))
    attempt(lambda: api.wait(api.export_vm(name, str(scratch / "again"))))
    attempt(lambda: api.delete_vm(name))
    attempt(lambda: api.advance(31))


def survivors(lib: Path) -> None:
    """The untouched VM and its disk are still there, and the library reopens."""
    with open_library(lib, program="pytest") as again:
        assert "KEEP" in {v.name for v in again.api.vms()}
    assert (lib / "Virtual Hard Disks" / "keep.vhd").exists()


def crafted_manifest(world: Path, tmp_path: Path, data: st.DataObject) -> None:
    base = fresh(world, tmp_path)
    edits = data.draw(manifest_edits(base))
    mode = data.draw(st.sampled_from(["register", "restore", "copy"]))
    folder = base / "exp" / "XP"
    manifest_path = next((folder / "Virtual Machines").glob("*.json"))
    manifest = json.loads(manifest_path.read_text())
    for edit in edits:
        edit(manifest)
    manifest_path.write_text(json.dumps(manifest))
    beside = tree(base / "sentinel")
    keep_disk = tree(base / "lib" / "Virtual Hard Disks")["keep.vhd"]
    with open_library(base / "lib", program="pytest") as session:
        session.api.delete_vm("XP")  # room for the import under its own id and name
        names = {v.name for v in session.api.vms()}
        attempt(lambda: session.api.wait(session.api.import_vm(str(folder), mode)))
        new = [v.name for v in session.api.vms() if v.name not in names]
        event(f"imported: {bool(new)}")
        for name in new:
            exercise(session, name, base)
    assert tree(base / "sentinel") == beside
    assert tree(base / "lib" / "Virtual Hard Disks")["keep.vhd"] == keep_disk
    survivors(base / "lib")


def crafted_library_files(world: Path, tmp_path: Path, data: st.DataObject) -> None:
    base = fresh(world, tmp_path)
    lib = base / "lib"
    files = {"runtime": vm_folder(lib, "XP") / "runtime.json",
             "config": vm_folder(lib, "XP") / "config.json",
             "host": next((lib / "hosts").glob("*/host.json")),
             "state": lib / "state.json"}
    keep = vm_folder(lib, "KEEP")
    for target, edit in data.draw(library_edits(base)):
        reseal(files[target], edit)
    beside = tree(base / "sentinel")
    with open_library(lib, program="pytest") as session:
        exercise(session, "XP", base)
        if "KEEP" in {v.name for v in session.api.vms()}:
            attempt(lambda: session.api.wait(session.api.start("KEEP")))
            attempt(lambda: session.api.advance(5))
    assert tree(base / "sentinel") == beside
    assert (keep / "config.json").exists() and (lib / "Virtual Hard Disks" / "keep.vhd").exists()
    with open_library(lib, program="pytest") as again:
        names = {v.name for v in again.api.vms()}
    assert "KEEP" in names or not names  # none: its host was set aside, with it


test_crafted_export_manifests_touch_nothing_outside_the_library = EXAMPLES(
    given(data=st.data())(crafted_manifest))
test_crafted_library_files_touch_nothing_outside_the_library = EXAMPLES(
    given(data=st.data())(crafted_library_files))
test_crafted_export_manifests_long_run = pytest.mark.slow(LONG(
    given(data=st.data())(crafted_manifest)))
test_crafted_library_files_long_run = pytest.mark.slow(LONG(
    given(data=st.data())(crafted_library_files)))
