"""Ctrl+C during ``hvctl clock advance`` in a terminal: the run stops after the step it is
in, the library is saved there, and the command says so and exits 130."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
from pathlib import Path

import pytest

from tests.e2e.hvctl import COMMAND, REPO, env, hvctl

pytestmark = pytest.mark.e2e


def read_until(fd: int, words: bytes, limit_s: float = 60.0) -> bytes:
    """What the terminal shows, read until ``words`` appear (select's timeout is a guard
    against a hang, not a wait)."""
    seen = b""
    while words not in seen:
        ready, _, _ = select.select([fd], [], [], limit_s)
        assert ready, f"no {words!r} on the terminal; it showed {seen!r}"
        seen += os.read(fd, 4096)
    return seen


def test_ctrl_c_stops_a_clock_run_saves_and_exits_130(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    hvctl(library, "--empty", "vm", "new", "VM")
    start = hvctl(library, "--json", "clock", "show").json()["now_seconds"]
    terminal, stderr = pty.openpty()
    child = subprocess.Popen([*COMMAND, "--library", str(library), "--json", "clock", "advance",
                              "86400"], stdout=subprocess.PIPE, stderr=stderr,
                             stdin=subprocess.DEVNULL, cwd=REPO, env=env())
    os.close(stderr)
    try:
        shown = read_until(terminal, b"Ctrl+C stops and saves")
        assert b"\rAdvancing the clock: " in shown
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=120)
        shown += read_until(terminal, b"saved there.")
    finally:
        if child.poll() is None:
            child.kill()
        os.close(terminal)
    assert child.returncode == 130
    text = shown.decode()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    result = json.loads(out)
    assert result["interrupted"] and 0 < result["advanced_seconds"] < 86400
    assert result["now_seconds"] == start + result["advanced_seconds"]
    assert f"simulated time is {result['now_seconds']:,.3f} s" in text
    # The library reopens where the command said it stopped.
    assert hvctl(library, "--json", "clock", "show").json()["now_seconds"] == \
        result["now_seconds"]
