"""Run an ``hvctl`` command again and again, stopping it at its N-th file operation.

Usage, from the repository: ``python -m tests.e2e.fault_driver JOBS REPORT``.  JOBS is a
JSON file holding a list of jobs; one JSON line per (job, N) goes to the file REPORT.
A job is ``{"template": DIR, "work": DIR, "argv": [...], "mode": "crash" | "ENOSPC" |
"EACCES", "after_open": bool, "removes": [vm ids], "clean": [folders emptied before each
run]}``.

For N = 1, 2, ... (or from the first operation after opening the library, with
``after_open``: the open is the same for every command) the driver copies the template
library to ``work`` and forks a child that runs the real command line
(``hvctl.main``) with the fault plan of ``HVLAB_FAULT_*`` in its environment (read by
hvlab.engine.fileguard at its first file operation): ``crash`` ends the child just after
operation N, as a kill or a power cut would; ``ENOSPC``/``EACCES`` make operation N and
every later one fail.  Forking after the imports keeps each run to the command itself.  N
stops growing when the command finishes without reaching operation N.  After each run the
driver checks the library before and after reopening it, and reports what it found; the
test asserts on the reports.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from hvlab.engine import fileguard
from hvlab.engine.api import open_library
from hvlab.engine.errors import HvError
from hvlab.engine.library.eventlog import EventLogStore
from hvlab.engine.library.files import DamagedFileError, is_temporary, read_raw, verify
from hvlab.engine.library.state import snapshot_lab
from hvlab.engine.vmms.vm_files import chain_file, check_disks
from hvlab.hvctl import main as hvctl_main

#: Exit status of a child whose command ended while the injected error had fired.
_FIRED = 100


def _run_child(argv: list[str], mode: str, n: int, log: Path) -> None:
    """In the forked child: the command line, under the fault plan, then exit."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    if mode == "crash":
        os.environ["HVLAB_FAULT_AFTER_FILE_OPS"] = str(n)
    else:
        os.environ["HVLAB_FAULT_FILE_ERROR"] = mode
        os.environ["HVLAB_FAULT_FROM_FILE_OP"] = str(n)
    fileguard.reset_faults(from_environment=True)
    code = 99
    try:
        code = hvctl_main(argv)
    except BaseException:  # a traceback is what the test looks for
        traceback.print_exc()
        code = 98
    finally:
        sys.stderr.flush()
        fired = fileguard.fault_fired()
        os._exit(_FIRED + code if fired and mode != "crash" else code)


def _fork(argv: list[str], mode: str, n: int, log: Path) -> int:
    assert threading.active_count() == 1, "fork from a process without threads"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        _run_child(argv, mode, n, log)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _files_whole(folder: Path) -> list[str]:
    """Library files that are not whole (temporaries of an unfinished write excepted)."""
    problems = []
    for path in folder.rglob("*"):
        if path.is_file() and not is_temporary(path) and (
                path.name.endswith(".json") or path.name.endswith(".json.prev")) \
                and "Virtual Machines" not in path.parts:
            try:
                verify(path, read_raw(path))
            except DamagedFileError as exc:
                problems.append(str(exc))
    db = folder / "events.sqlite"
    if db.exists():
        store = EventLogStore(db)
        try:
            if store.check() != "ok":
                problems.append(f"{db}: integrity check failed")
        finally:
            store.close()
    return problems


def _check(folder: Path, template_ids: set[str], removes: set[str]) -> dict[str, Any]:
    """Reopen the library and look at every VM and disk it has."""
    report: dict[str, Any] = {"damaged": _files_whole(folder)}
    lib = open_library(folder, program="fault-check")
    try:
        report["messages"] = list(lib.messages)
        ids = {v.id for v in lib.api.vms()}
        report["lost"] = sorted(template_ids - removes - ids)
        unreadable = []
        for host in lib.api.lab.hosts.values():
            for vm in host.vms.values():
                try:
                    check_disks(lib.api.lab, vm)
                except HvError as err:
                    unreadable.append(err.text)
                for cp in vm.checkpoints:
                    for stored in cp.disks.values():
                        if not chain_file(lib.api.lab, stored).exists():
                            unreadable.append(f"{vm.name}: checkpoint disk {stored} is gone")
        report["unreadable"] = unreadable
        report["snapshot"] = json.dumps(snapshot_lab(lib.api.lab), sort_keys=True)
        report["commit"] = lib.commit_number
    finally:
        lib.close()
    return report


def run_job(job: dict[str, Any], report_to: Any) -> None:
    template, work = Path(job["template"]), Path(job["work"])
    argv = ["--library", str(work), *job["argv"]]
    removes = set(job.get("removes", []))
    fileguard.reset_faults()
    with open_library(_fresh_copy(template, work), program="fault-check") as lib:
        opening = fileguard.file_operations()
        template_ids = {v.id for v in lib.api.vms()}
        before = json.dumps(snapshot_lab(lib.api.lab), sort_keys=True)
        commit = lib.commit_number
    log = work.with_name(work.name + ".stderr")
    n = opening + 1 if job.get("after_open") else 1
    while True:
        _fresh_copy(template, work)
        for extra in job.get("clean", []):  # what a finished run left outside the library
            shutil.rmtree(extra, ignore_errors=True)
        code = _fork(argv, job["mode"], n, log)
        stderr = log.read_text(encoding="utf-8", errors="replace")
        finished = code in (0, 1, 2) if job["mode"] == "crash" else code < _FIRED
        if finished and job["mode"] == "crash":
            print(json.dumps({"argv": job["argv"], "mode": job["mode"], "n": n,
                              "finished": True, "code": code, "stderr": stderr}),
                  file=report_to, flush=True)
            return
        report = _check(work, template_ids, removes)
        same = report.pop("snapshot") == before and report["commit"] == commit
        print(json.dumps({"argv": job["argv"], "mode": job["mode"], "n": n, "code": code,
                          "finished": finished, "stderr": stderr, "unchanged": same,
                          **report}), file=report_to, flush=True)
        if finished:
            return
        n += 1


def _fresh_copy(template: Path, work: Path) -> Path:
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(template, work, symlinks=True)
    return work


def main() -> None:
    # argparse looks for message catalogues on every parser it builds: hundreds of file
    # lookups per run that only the C locale skips.  Nothing here depends on the language.
    os.environ["LANGUAGE"] = "C"
    jobs = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    with open(sys.argv[2], "w", encoding="utf-8") as report_to:
        for job in jobs:
            run_job(job, report_to)


if __name__ == "__main__":
    main()
