"""What a command run has of the terminal: where its output goes (text or JSON) and Ctrl+C."""

from __future__ import annotations

import json
import os
import signal
import threading
from types import FrameType, TracebackType
from typing import Any, TextIO

from hvlab.hvctl.output import for_terminal, json_for_terminal


class UsageError(Exception):
    """A command line that parses but says nothing to do (exit code 2)."""


class Printer:
    """A command's output: JSON with ``--json``, else the text form."""

    def __init__(self, as_json: bool, stream: TextIO) -> None:
        self.as_json = as_json
        self.stream = stream

    def emit(self, data: Any, text: str | None) -> None:
        if self.as_json:
            self.stream.write(json_for_terminal(json.dumps(data, indent=2, ensure_ascii=False))
                              + "\n")
        elif text is not None:
            self.stream.write(for_terminal(text) + "\n")


class Interrupts:
    """Ctrl+C while a command runs: the first asks it to stop at its next safe point
    (:attr:`requested`); the second ends the process at once, as a crash would, so the
    library keeps its last commit.  Installed only in the main thread."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            os.write(2, b"\nhvctl: stopped at once; the library keeps its last saved state.\n")
            os._exit(130)
        self.requested = True
