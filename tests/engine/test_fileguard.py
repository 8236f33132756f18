"""Every write, rename and delete of the engine goes through hvlab.engine.fileguard.

Checked statically (no call under engine/ writes, renames or deletes a file by itself: only
engine/fileguard.py may), with a test that the checker catches every forbidden form, and by
behaviour: the guard refuses what lies outside the confinement, grants last one operation
and reach the file workers, and the fault plan fires at the N-th operation.
"""

from __future__ import annotations

import ast
import errno
import os
import threading
from pathlib import Path

import pytest

from hvlab.engine import fileguard
from hvlab.engine.fileguard import Confinement, FaultPlan, PathConfinementError

REPO = Path(__file__).resolve().parents[2]
ENGINE = REPO / "engine"
#: The one module allowed to touch the file system for writing.
GUARD = Path("engine") / "fileguard.py"

_OS_WRITES = {"remove", "rename", "renames", "replace", "link", "symlink", "mkdir", "makedirs",
              "truncate", "ftruncate", "write", "pwrite", "pwritev", "writev", "removedirs",
              "rmdir", "unlink", "mkfifo"}
_SHUTIL_WRITES = {"copy", "copy2", "copyfile", "copytree", "move", "rmtree"}
_ANY_RECEIVER = {"rmtree", "unlink", "rmdir", "mkdir", "touch", "write_text", "write_bytes",
                 "symlink_to", "hardlink_to", "tofile"}
_TEMPFILE = {"mkdtemp", "mkstemp", "NamedTemporaryFile", "TemporaryDirectory",
             "TemporaryFile", "SpooledTemporaryFile"}
_WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"}


def _receiver(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    return None


def _mode_writes(mode: ast.expr | None) -> bool:
    """True unless ``mode`` is absent or a constant read-only mode."""
    if mode is None:
        return False
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return any(c in mode.value for c in "wax+")
    return True  # computed: cannot be shown to be read-only


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[position] if len(call.args) > position else None


def _flags_write(flags: ast.expr | None) -> bool:
    if flags is None:
        return False
    names = {n.attr for n in ast.walk(flags) if isinstance(n, ast.Attribute)}
    names |= {n.id for n in ast.walk(flags) if isinstance(n, ast.Name)}
    constant = isinstance(flags, ast.Attribute) and flags.attr == "O_RDONLY"
    return bool(names & _WRITE_FLAGS) or not (constant or names <= {"os", "O_RDONLY",
                                                                    "O_DIRECTORY"})


def _forbidden(call: ast.Call) -> str | None:
    """What ``call`` writes, renames or deletes by itself, or None."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else (
        func.id if isinstance(func, ast.Name) else None)
    if name is None:
        return None
    receiver = _receiver(call)
    if receiver == "fileguard":
        return None
    if receiver == "os" and name in _OS_WRITES:
        return f"os.{name}"
    if receiver == "shutil" and name in _SHUTIL_WRITES:
        return f"shutil.{name}"
    if receiver == "tempfile" and name in _TEMPFILE:
        return f"tempfile.{name}"
    if name in _ANY_RECEIVER:
        return name
    positional = len(call.args)
    if name in ("replace", "rename") and receiver not in ("os", "dataclasses") \
            and isinstance(func, ast.Attribute) and positional == 1 and not call.keywords:
        return f"Path.{name}"  # str.replace takes two arguments, Path.replace one
    if receiver == "sqlite3" and name == "connect":
        return "sqlite3.connect"
    if name == "open":
        if receiver == "os":
            return "os.open for writing" if _flags_write(_argument(call, 1, "flags")) else None
        if isinstance(func, ast.Name) or receiver in ("io", "builtins", "codecs"):
            mode = _argument(call, 1, "mode")
        else:
            mode = _argument(call, 0, "mode")  # Path.open(mode)
        return "open for writing" if _mode_writes(mode) else None
    if name == "FileIO":
        return "FileIO for writing" if _mode_writes(_argument(call, 1, "mode")) else None
    return None


def bypasses(root: Path) -> list[str]:
    """Calls under ``root`` (a package folder) that write, rename or delete files without
    hvlab.engine.fileguard, as ``path:line: what``."""
    problems: list[str] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent)
        if relative == GUARD:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (what := _forbidden(node)) is not None:
                problems.append(f"{relative}:{node.lineno}: {what}")
    return problems


def test_no_engine_write_bypasses_the_file_guard() -> None:
    assert (ENGINE / "fileguard.py").is_file()  # the scan is not vacuous
    assert bypasses(ENGINE) == []


def test_the_scan_catches_every_forbidden_form(tmp_path: Path) -> None:
    package = tmp_path / "engine"
    package.mkdir()
    (package / "fileguard.py").write_text("import os\nos.unlink(p)\nopen(p, 'w')\n")
    (package / "ok.py").write_text(
        "import dataclasses, os\n"
        "text.replace('a', 'b')\n"          # str.replace
        "dataclasses.replace(cfg, x=1)\n"
        "replace(cfg, x=1)\n"
        "api.rename(vm, 'new')\n"
        "table.remove(slot)\n"
        "open(p)\nopen(p, 'rb')\npath.open(encoding='utf-8')\nio.open(p, 'r')\n"
        "os.open(p, os.O_RDONLY)\nos.open(p, os.O_RDONLY | os.O_DIRECTORY)\n"
        "io.FileIO(p, 'r')\n"
        "fileguard.unlink(p)\nfileguard.mkdir(p)\nfileguard.rmtree(p)\n"
    )
    (package / "bad.py").write_text(
        "import os, shutil, sqlite3, tempfile\n"
        "shutil.rmtree(p)\n"
        "rmtree(p)\n"
        "p.unlink(missing_ok=True)\n"
        "os.unlink(p)\n"
        "os.remove(p)\n"
        "os.replace(a, b)\n"
        "os.rename(a, b)\n"
        "p.replace(q)\n"
        "p.rename(q)\n"
        "p.mkdir(parents=True)\n"
        "os.makedirs(p)\n"
        "p.write_text('x')\n"
        "p.write_bytes(b'x')\n"
        "open(p, 'w')\n"
        "open(p, mode='ab')\n"
        "open(p, 'x')\n"
        "open(p, 'r+')\n"
        "open(p, m)\n"
        "p.open('w')\n"
        "os.open(p, os.O_WRONLY | os.O_CREAT)\n"
        "os.open(p, flags)\n"
        "io.FileIO(p, 'x+')\n"
        "sqlite3.connect(p)\n"
        "shutil.copyfile(a, b)\n"
        "shutil.copytree(a, b)\n"
        "os.link(a, b)\n"
        "os.ftruncate(fd, 0)\n"
        "os.write(fd, b'x')\n"
        "tempfile.mkdtemp()\n"
        "p.touch()\n"
    )
    found = bypasses(package)
    assert all(line.startswith("engine/bad.py:") for line in found), found
    assert [int(line.split(":")[1]) for line in found] == list(range(2, 32))


# -- behaviour -------------------------------------------------------------------------------------


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    root.mkdir()
    return root


def test_outside_the_library_is_refused_and_named(library: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    with fileguard.confined(Confinement(library)):
        with pytest.raises(PathConfinementError, match=r"outside\.txt") as err:
            fileguard.unlink(outside)
        assert "outside the library folder" in err.value.message
        with pytest.raises(PathConfinementError):
            fileguard.write_atomic(tmp_path / "new.json", b"{}")
        with pytest.raises(PathConfinementError):
            fileguard.unlink(library / ".." / "outside.txt")
        with pytest.raises(PathConfinementError):
            fileguard.replace_file(outside, library / "stolen.txt")
        fileguard.write_atomic(library / "inside.json", b"{}")
        fileguard.mkdir(library / "a" / "b", parents=True)
    assert outside.read_text() == "keep me"
    assert (library / "inside.json").read_bytes() == b"{}"


def test_a_symbolic_link_cannot_lead_a_write_outside(library: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.vhd").write_bytes(b"data")
    (library / "vms").mkdir()
    (library / "vms" / "link").symlink_to(elsewhere)
    (library / "file.vhd").symlink_to(elsewhere / "victim.vhd")
    with fileguard.confined(Confinement(library)):
        with pytest.raises(PathConfinementError):
            fileguard.write_atomic(library / "vms" / "link" / "config.json", b"{}")
        with pytest.raises(PathConfinementError):
            fileguard.open_file(library / "file.vhd", create=False)
        with pytest.raises(PathConfinementError):
            fileguard.rmtree(library / "vms" / "link" / "..")
        fileguard.unlink(library / "file.vhd")  # the link itself goes, not its target
    assert (elsewhere / "victim.vhd").read_bytes() == b"data"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["victim.vhd"]


def test_a_grant_lasts_its_block_and_reaches_a_worker_thread(library: Path,
                                                             tmp_path: Path) -> None:
    export = tmp_path / "export"
    with fileguard.confined(Confinement(library)):
        with fileguard.granted(export):
            fileguard.mkdir(export)
            seen: list[BaseException | None] = []
            import contextvars

            context = contextvars.copy_context()

            def work() -> None:
                try:
                    fileguard.write_atomic(export / "m.json", b"{}")
                    seen.append(None)
                except BaseException as exc:  # reported below
                    seen.append(exc)

            thread = threading.Thread(target=context.run, args=(work,))
            thread.start()
            thread.join()
            assert seen == [None]
        with pytest.raises(PathConfinementError):
            fileguard.write_atomic(export / "later.json", b"{}")


def test_attached_disks_take_writes_in_place_but_never_a_delete(library: Path,
                                                                tmp_path: Path) -> None:
    disk = tmp_path / "users-disk.vhd"
    disk.write_bytes(b"x" * 16)
    with fileguard.confined(Confinement(library, attached=lambda: [disk])):
        fileguard.open_file(disk, create=False).close()
        with pytest.raises(PathConfinementError):
            fileguard.unlink(disk)
        with pytest.raises(PathConfinementError):
            fileguard.replace_file(library / "x", disk)
    assert disk.exists()


def test_nothing_is_refused_outside_a_confinement(tmp_path: Path) -> None:
    fileguard.write_atomic(tmp_path / "free.json", b"{}")
    fileguard.unlink(tmp_path / "free.json")


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EACCES])
def test_the_fault_plan_fails_every_operation_from_the_nth(tmp_path: Path, error: int) -> None:
    try:
        fileguard.reset_faults(FaultPlan(fail_from=3, error=error))
        fileguard.mkdir(tmp_path / "a")                      # 1
        with pytest.raises(OSError) as raised:
            fileguard.write_atomic(tmp_path / "a" / "x", b"1")  # 2 open, 3 write: fails
        assert raised.value.errno == error and fileguard.fault_fired()
        # 4: removing the temporary, which a full disk allows and a read-only folder not
        assert fileguard.file_operations() == 4
        with pytest.raises(OSError):
            fileguard.mkdir(tmp_path / "b")
    finally:
        fileguard.reset_faults()
    assert not (tmp_path / "a" / "x").exists()
    left = [p.name for p in (tmp_path / "a").iterdir()]
    assert left == ([] if error == errno.ENOSPC else [f".x.{os.getpid()}.tmp"])


def test_the_fault_plan_reads_the_environment() -> None:
    env = {"HVLAB_FAULT_AFTER_FILE_OPS": "7"}
    assert FaultPlan.from_environment(env) == FaultPlan(exit_after=7)
    env = {"HVLAB_FAULT_FILE_ERROR": "enospc", "HVLAB_FAULT_FROM_FILE_OP": "4"}
    assert FaultPlan.from_environment(env) == FaultPlan(fail_from=4, error=errno.ENOSPC)
    assert FaultPlan.from_environment({}) is None
    with pytest.raises(ValueError, match="HVLAB_FAULT_FILE_ERROR"):
        FaultPlan.from_environment({"HVLAB_FAULT_FILE_ERROR": "EBUSY"})
    assert os.environ.get("HVLAB_FAULT_AFTER_FILE_OPS") is None
