"""Guest writes held back and written to each virtual hard disk together.

A running guest writes a few pages a second; with hundreds of running VMs, writing each page
as it comes means opening, writing and closing a disk file per VM per simulated second (more
VMs than open files are kept).  :class:`PendingWrites` keeps the pages instead: a page
written again replaces the copy held, so a page written many times reaches the file once,
and each disk is opened once for everything held for it.  Pages are written in the order
they were first written: a dynamic disk allocates its blocks in that order, so the file's
bytes do not depend on when the held writes go out.  The owner writes them out when the
files must be current (after each clock call, before any other use of that disk, before
closing) and when more than :data:`WRITE_BACK_BYTES` are held, so the memory stays bounded
however long the clock runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from hvlab.engine.storage.vhd import VhdDisk
from hvlab.engine.storage.vhd_format import SECTOR

#: Guest data held back before it is written out (about 4 seconds of 1,024 busy VMs).
WRITE_BACK_BYTES = 16 * 1024 * 1024

#: Called with the error when a disk's held writes could not be written.
OnFailure = Callable[[BaseException], None]


class PendingWrites:
    """Pages held per disk file, keyed by their first sector; a later write of the same
    range replaces the earlier one."""

    def __init__(self, limit: int = WRITE_BACK_BYTES) -> None:
        self.limit = limit
        self.held_bytes = 0
        self._pages: dict[str, dict[int, bytes]] = {}
        self._on_failure: dict[str, OnFailure] = {}

    def __bool__(self) -> bool:
        return bool(self._pages)

    def __contains__(self, path: os.PathLike[str] | str) -> bool:
        return os.fspath(path) in self._pages

    def paths(self) -> list[Path]:
        return [Path(p) for p in self._pages]

    def hold(self, path: os.PathLike[str] | str, lba: int, data: bytes,
             on_failure: OnFailure) -> None:
        """Keep ``data`` (whole sectors) for sector ``lba`` of ``path``."""
        if len(data) % SECTOR:
            raise ValueError(f"A write of {len(data)} bytes is not a whole number of sectors.")
        pages = self._pages.setdefault(os.fspath(path), {})
        old = pages.get(lba)
        if old is not None and len(old) != len(data):
            # Ranges that only partly overlap keep their order: written as they came.
            raise ValueError("a held write of another length starts at this sector")
        pages[lba] = data
        self.held_bytes += len(data) - (len(old) if old is not None else 0)
        self._on_failure[os.fspath(path)] = on_failure

    @property
    def over_limit(self) -> bool:
        return self.held_bytes > self.limit

    def write_out(self, path: os.PathLike[str] | str, disk: VhdDisk) -> None:
        """Write what is held for ``path`` to ``disk`` (open on that file), in the order the
        pages were first written.  Held data is dropped whether or not it succeeds:
        a failure goes to the ``on_failure`` given with the writes, once."""
        key = os.fspath(path)
        pages = self._pages.pop(key, None)
        on_failure = self._on_failure.pop(key, None)
        if not pages:
            return
        self.held_bytes -= sum(len(d) for d in pages.values())
        try:
            for lba, data in pages.items():
                disk.write_sectors(lba, data)
        except BaseException as err:
            if on_failure is None:
                raise
            on_failure(err)

    def drop(self, path: os.PathLike[str] | str) -> None:
        """Forget what is held for ``path`` (its file could not be opened)."""
        key = os.fspath(path)
        pages = self._pages.pop(key, None) or {}
        self.held_bytes -= sum(len(d) for d in pages.values())
        self._on_failure.pop(key, None)

    def failure_handler(self, path: os.PathLike[str] | str) -> OnFailure | None:
        return self._on_failure.get(os.fspath(path))
