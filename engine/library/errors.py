"""Errors a library raises, in the words the GUI and ``hvctl`` show."""

from __future__ import annotations

from collections.abc import Sequence

from hvlab.engine.errors import HvError


class LibraryError(HvError):
    """The library cannot be opened or written."""


class LibraryLockedError(LibraryError):
    """Another process holds the library.  ``program`` and ``pid`` name it when known."""

    def __init__(self, message: str, details: Sequence[str] = (), *,
                 program: str | None = None, pid: int | None = None) -> None:
        self.program = program
        self.pid = pid
        super().__init__(message, details)
