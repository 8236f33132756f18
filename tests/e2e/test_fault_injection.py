"""Stop ``hvctl`` at every file operation of a command, or fail every operation from there on.

SQLite's way of testing crash safety: run the command, ending it just after its first file
operation; then again, after its second; and so on until it finishes untouched.  After every
run the library must reopen with no damage, no VM whose creation had finished lost, and
every disk of every VM readable.  The same commands then meet a full disk (ENOSPC) and a
read-only folder (EACCES) from each operation on: they must end with a clear message and
exit code 1, never a traceback, and a command that commits once must leave exactly the
previous commit.  The fault comes from the ``HVLAB_FAULT_*`` variables hvlab.engine.fileguard
reads (docs/library.md); fault_driver.py forks the real command line for each N.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hvlab.engine import fileguard
from hvlab.hvctl import main as hvctl_main
from tests.e2e.hvctl import REPO, env

pytestmark = pytest.mark.e2e

DRIVER = "tests.e2e.fault_driver"
#: Commands that commit once: a failure must leave exactly the previous commit.
ONE_COMMIT = {"new", "checkpoint", "remove-checkpoint", "remove"}


def hvctl(library: Path, *args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = hvctl_main(["--library", str(library), *args])
    assert code == 0, args
    return out.getvalue()


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    # A memory file system when there is one: thousands of fsyncs, none of them the point.
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="hvlab-faults-", dir=base) as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def lab(scratch: Path) -> dict[str, Any]:
    """A small library: A runs and writes; B, Off, wrote after its checkpoint.  Small
    disks (512 KB blocks, a few pages written) keep each command to a few dozen operations,
    so every one of them can be cut."""
    lib = scratch / "template"
    hvctl(lib, "--empty", "vm", "list")
    for name in ("A", "B"):
        disk = f"{name.lower()}.vhd"
        hvctl(lib, "vhd", "new", disk, "--size-gb", "3", "--block-kb", "512")
        hvctl(lib, "vm", "new", name, "--vhd", disk, "--memory", "512")
        hvctl(lib, "vm", "set", name, "--workload", "custom", "--workload-iops", "50")
    hvctl(lib, "vm", "checkpoint", "B")
    hvctl(lib, "vm", "start", "A", "--wait")
    hvctl(lib, "vm", "start", "B", "--wait")
    hvctl(lib, "clock", "advance", "120")  # both guests up and writing
    hvctl(lib, "vm", "turn-off", "B", "--wait")
    hvctl(lib, "vm", "export", "B", str(scratch / "exported"))
    ids = {v["name"]: v["id"] for v in json.loads(hvctl(lib, "--json", "vm", "list"))}
    checkpoint = json.loads(hvctl(lib, "--json", "vm", "checkpoints", "B"))[0]["id"]
    return {"library": lib, "ids": ids, "checkpoint": checkpoint,
            "export": scratch / "exported" / "B"}


def jobs(lab: dict[str, Any], scratch: Path, mode: str) -> list[dict[str, Any]]:
    commands: list[tuple[list[str], list[str]]] = [
        (["vm", "new", "C", "--vhd", "c.vhd", "--memory", "256"], []),
        (["vm", "checkpoint", "A"], []),
        (["vm", "remove-checkpoint", "B", lab["checkpoint"]], []),
        (["vm", "remove", "B"], [lab["ids"]["B"]]),
        (["vm", "import", str(lab["export"]), "--mode", "copy"], []),
        (["vm", "export", "B", str(scratch / mode / "out")], []),
        (["clock", "advance", "31"], []),
    ]
    # Opening the library is the same for every command: cut it in the first one only.
    return [{"template": str(lab["library"]), "work": str(scratch / mode / "lib"),
             "argv": argv, "mode": mode, "removes": removes, "after_open": i > 0,
             "clean": [str(scratch / mode / "out")]}
            for i, (argv, removes) in enumerate(commands)]


def run_driver(job_list: list[dict[str, Any]], report: Path) -> subprocess.Popen[str]:
    spec = report.with_suffix(".jobs.json")
    spec.write_text(json.dumps(job_list), encoding="utf-8")
    # As a module from the repository: the script's own folder holds a helper named hvctl.
    return subprocess.Popen([sys.executable, "-m", DRIVER, str(spec), str(report)],
                            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=REPO, env=env())


def results(proc: subprocess.Popen[str], report: Path) -> list[dict[str, Any]]:
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def reports(lab: dict[str, Any], scratch: Path) -> dict[str, list[dict[str, Any]]]:
    """Every mode's runs, the two drivers in parallel (one per core)."""
    started = time.perf_counter()
    crash = run_driver(jobs(lab, scratch, "crash"), scratch / "crash.jsonl")
    errors = run_driver([*jobs(lab, scratch, "ENOSPC"), *jobs(lab, scratch, "EACCES")],
                        scratch / "errors.jsonl")
    found = {"crash": results(crash, scratch / "crash.jsonl"),
             "errors": results(errors, scratch / "errors.jsonl")}
    print(f"\n{sum(len(r) for r in found.values())} runs in "
          f"{time.perf_counter() - started:.1f} s")
    return found


def _label(report: dict[str, Any]) -> str:
    return f"{report['mode']} at operation {report['n']} of hvctl {' '.join(report['argv'])}"


def test_a_crash_at_any_file_operation_leaves_a_whole_library(
        reports: dict[str, list[dict[str, Any]]]) -> None:
    runs = reports["crash"]
    for report in runs:
        if report["finished"]:
            assert report["code"] == 0, (_label(report), report["stderr"])
            continue
        assert report["code"] == fileguard.FAULT_EXIT_CODE, _label(report)
        for key in ("damaged", "messages", "lost", "unreadable"):
            assert report[key] == [], (_label(report), key, report[key])
    finished = [r for r in runs if r["finished"]]
    assert len(finished) == 7, "every command ran to its end once"
    # Each command was cut at every one of its operations: more than a handful each.
    assert all(r["n"] > 8 for r in finished), [(r["argv"], r["n"]) for r in finished]


def test_a_full_disk_or_a_read_only_folder_fails_cleanly_at_any_operation(
        reports: dict[str, list[dict[str, Any]]]) -> None:
    runs = reports["errors"]
    failed = 0
    for report in runs:
        code = report["code"] % 100
        assert "Traceback" not in report["stderr"], (_label(report), report["stderr"])
        assert code in (0, 1), (_label(report), code, report["stderr"])
        for key in ("damaged", "messages", "lost", "unreadable"):
            assert report[key] == [], (_label(report), key, report[key])
        if code == 1:
            failed += 1
            lines = [ln for ln in report["stderr"].splitlines() if ln.strip()]
            errors = [ln for ln in lines if not ln.startswith("hvctl: warning:")]
            assert errors and errors[0][0] != " ", (_label(report), report["stderr"])
            if report["argv"][1] in ONE_COMMIT:
                assert report["unchanged"], (_label(report), report["stderr"])
    assert failed > 50, "the injected errors made commands fail"
    assert {r["mode"] for r in runs} == {"ENOSPC", "EACCES"}


def test_the_fault_variables_reach_a_real_hvctl_process(tmp_path: Path) -> None:
    """The same variables, set for a spawned hvctl as a GUI test author would."""
    from tests.e2e.hvctl import COMMAND

    lib = tmp_path / "lib"
    e = env()
    e["HVLAB_FAULT_AFTER_FILE_OPS"] = "3"
    proc = subprocess.run([*COMMAND, "--library", str(lib), "--empty", "vm", "list"],
                          capture_output=True, text=True, cwd=REPO, env=e, timeout=120)
    assert proc.returncode == fileguard.FAULT_EXIT_CODE
    e.pop("HVLAB_FAULT_AFTER_FILE_OPS")
    e["HVLAB_FAULT_FILE_ERROR"] = "EACCES"
    proc = subprocess.run([*COMMAND, "--library", str(lib), "vm", "list"],
                          capture_output=True, text=True, cwd=REPO, env=e, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "Access is denied" in proc.stderr or "Permission denied" in proc.stderr, proc.stderr
    shutil.rmtree(lib)
