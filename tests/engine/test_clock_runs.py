"""Long clock runs: at most a simulated day per call, progress on a terminal, and Ctrl+C
stops after a finished step with the library saved there."""

from __future__ import annotations

import io
import json
import signal
from pathlib import Path

import pytest

import hvlab.hvctl as cli
from hvlab.engine.api import ManagementApi
from hvlab.engine.bounds import MAX_ADVANCE_SECONDS
from hvlab.engine.errors import ValidationError
from hvlab.hvctl import commands


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "lib"
    assert cli.main(["--library", str(path), "--empty", "vm", "new", "VM"]) == 0
    return path


def clock(library: Path, capsys: pytest.CaptureFixture[str]) -> float:
    capsys.readouterr()
    assert cli.main(["--library", str(library), "--json", "clock", "show"]) == 0
    return float(json.loads(capsys.readouterr().out)["now_seconds"])


def test_defect07_clock_advance_is_bounded_and_interruptible(
        library: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    start = clock(library, capsys)
    # Bounded: a run longer than a simulated day is a usage error, refused at once.
    assert cli.main(["--library", str(library), "clock", "advance", "1e9"]) == 2
    err = capsys.readouterr().err
    assert f"{MAX_ADVANCE_SECONDS:,} s (one simulated day per command" in err
    assert clock(library, capsys) == start
    with pytest.raises(ValidationError, match="86,400 s"):
        ManagementApi().advance(MAX_ADVANCE_SECONDS + 0.5)
    # Interruptible: Ctrl+C (SIGINT) during the run stops it after the step it is in.
    steps = 0

    def interrupt_after_three(self: commands.ClockProgress, done: float) -> None:
        nonlocal steps
        steps += 1
        if steps == 3:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(commands.ClockProgress, "show", interrupt_after_three)
    previous = signal.getsignal(signal.SIGINT)
    code = cli.main(["--library", str(library), "--json", "clock", "advance", "86400"])
    assert signal.getsignal(signal.SIGINT) is previous, "the handler is put back"
    out, err = capsys.readouterr()
    assert code == 130
    shown = json.loads(out)
    assert shown["interrupted"] and shown["advanced_seconds"] == 3.0
    assert shown["now_seconds"] == start + 3.0
    assert "stopped by Ctrl+C after 3 of 86,400 s" in err and "Traceback" not in err
    assert clock(library, capsys) == shown["now_seconds"], "saved where it stopped"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_run_shows_progress_on_a_terminal_and_keeps_json_clean(
        library: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(commands.ClockProgress, "EVERY_S", 0.0)
    assert cli.main(["--library", str(library), "--json", "clock", "advance", "5"]) == 0
    assert json.loads(capsys.readouterr().out)["advanced_seconds"] == 5.0
    shown = terminal.getvalue()
    assert "\rAdvancing the clock: 5 of 5 s (100 %); Ctrl+C stops and saves" in shown
    assert shown.endswith("\r"), "the line is cleared when the run ends"
    # Not a terminal (a pipe, a log): no progress at all.
    quiet = io.StringIO()
    monkeypatch.setattr("sys.stderr", quiet)
    assert cli.main(["--library", str(library), "clock", "advance", "5"]) == 0
    assert quiet.getvalue() == ""
