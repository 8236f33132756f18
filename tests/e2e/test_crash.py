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
from typing import IO

import pytest

from hvlab.engine.api import open_library
from hvlab.engine.library.eventlog import EventLogStore
from hvlab.engine.library.files import is_temporary, read_raw, verify
from hvlab.engine.lifecycle import PARTITION_STATES, VmState
from tests.e2e.hvctl import REPO, env

pytestmark = pytest.mark.e2e

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
        for host in lib.api.lab.hosts.values():
            host.memory.check_invariants()
            for vm in host.vms.values():
                has_partition = vm.partition_id is not None
                assert has_partition == (vm.state in PARTITION_STATES) or (
                    host.rebooting and vm.state in (VmState.OFF, VmState.SAVED)), vm.name
        lib.api.advance(5)  # and it runs on
    finally:
        lib.close()
    assert not [p for p in folder.rglob("*") if is_temporary(p)]


def read_line(pipe: IO[bytes]) -> str:
    """One line from an unbuffered pipe, byte by byte.

    A buffered ``readline`` may pull the lines after it into Python's buffer, where
    ``communicate()`` (which reads the file descriptor) never sees them: a ``deleting``
    line lost that way once made a deleted VM look like a lost one.
    """
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = pipe.read(1)
        if not byte:
            break
        line += byte
    return line.decode()


def worker(folder: Path, seed: int, timings: list[float], failures: list[str],
           counts: list[tuple[int, int]]) -> None:
    rng = random.Random(seed)
    created: set[str] = set()
    doomed: set[str] = set()
    for round_no in range(KILLS_PER_WORKER):
        child_seed = seed * 1000 + round_no
        started = time.perf_counter()
        with subprocess.Popen([sys.executable, str(CHILD), str(folder), str(child_seed)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
                              cwd=REPO, env=env()) as child:
            assert child.stdout is not None
            if rng.random() < 0.25:
                time.sleep(rng.uniform(0.0, 0.5))  # during start-up or the open
            else:
                line = read_line(child.stdout)
                if line.strip() != "ready":
                    failures.append(f"child {child_seed} did not start: {line!r} "
                                    f"{child.stderr.read().decode() if child.stderr else ''}")
                    child.kill()
                    return
                time.sleep(rng.uniform(0.0, 0.4))
            os.kill(child.pid, signal.SIGKILL)
            out_bytes, err_bytes = child.communicate(timeout=30)
            out, err = out_bytes.decode(), err_bytes.decode()
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
    counts.append((len(created), len(doomed)))


def test_sigkill_at_random_moments_never_loses_a_committed_vm(tmp_path: Path) -> None:
    timings: list[float] = []
    failures: list[str] = []
    counts: list[tuple[int, int]] = []
    threads = [threading.Thread(target=worker, args=(tmp_path / f"lib{i}", 100 + i, timings,
                                                     failures, counts))
               for i in range(WORKERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert not failures, "\n".join(failures)
    assert len(timings) == WORKERS * KILLS_PER_WORKER >= 50
    created = sum(c for c, _ in counts)
    deleted = sum(d for _, d in counts)
    # The check above means something only if VMs were created (and some deleted) between kills.
    assert created >= 2 * WORKERS and deleted >= 1, (created, deleted)
    print(f"\n{len(timings)} kills in {elapsed:.1f} s "
          f"({sum(timings) / len(timings):.2f} s per kill and check, {WORKERS} in parallel); "
          f"{created} VMs created and {deleted} deleted by the children")
