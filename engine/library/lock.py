"""One owner at a time: an exclusive ``flock`` on ``library.lock``.

The holder writes its program name and process id into the lock file, so a second program
can say who has the library.  The lock belongs to the open file: the kernel drops it when
the holder exits, however it exits, so a crash never leaves a library locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path

from hvlab.engine import fileguard
from hvlab.engine.library.schema import LOCK

LOCK_NAME = "library.lock"


class LockHeldError(Exception):
    def __init__(self, path: Path, program: str | None, pid: int | None) -> None:
        self.path = path
        self.program = program
        self.pid = pid
        holder = (f"{program} (process {pid})" if program and pid is not None
                  else "another program")
        self.holder = holder
        super().__init__(f"The library {path.parent} is in use by {holder}.")


class LibraryLock:
    """Hold the lock of the library in ``folder`` until :meth:`release`."""

    def __init__(self, folder: Path, program: str) -> None:
        self.path = folder / LOCK_NAME
        fd = fileguard.open_fd(self.path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockHeldError(self.path, *read_holder(self.path)) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd: int | None = fd
        info = json.dumps({"format": LOCK, "schema": 1, "program": program,
                           "pid": os.getpid()}).encode() + b"\n"
        try:
            fileguard.truncate_fd(fd, 0, self.path)
            fileguard.pwrite_fd(fd, info, 0, self.path)
        except BaseException:
            os.close(fd)
            raise

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            fileguard.truncate_fd(self._fd, 0, self.path)
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def read_holder(path: Path) -> tuple[str | None, int | None]:
    """The program and pid named in a lock file (None, None when it says nothing usable).

    The holder writes its name just after taking the lock, so a reader may briefly see an
    empty file; it looks a few times before giving up.
    """
    for _ in range(50):
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError:
            return None, None
        if text:
            try:
                info = json.loads(text)
                return str(info["program"]), int(info["pid"])
            except (ValueError, KeyError, TypeError):
                return None, None
        _pause()
    return None, None


def _pause() -> None:
    # A short wall-clock wait for the holder to finish writing its name: this is file
    # locking between processes, not simulated time.
    import time

    time.sleep(0.01)
