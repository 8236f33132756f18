"""Opening a library as a client: the lab on disk, driven through a management API that
commits after every command (see docs/library.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from hvlab.engine import library as store
from hvlab.engine.api.demo import populate_demo
from hvlab.engine.api.listing import listing_rows
from hvlab.engine.api.management import ManagementApi
from hvlab.engine.errors import NotFoundError
from hvlab.engine.events import LogEntry, check_query
from hvlab.engine.library import (
    AUTOSAVE_SECONDS,
    LibraryError,
    LibraryLockedError,
    default_library_path,
)
from hvlab.engine.library.library import LIBRARY_FILE
from hvlab.engine.profiles import get_profile
from hvlab.engine.vmms.lab import Lab

__all__ = ["AUTOSAVE_SECONDS", "Library", "LibraryError", "LibraryLockedError",
           "create_library", "default_library_path", "is_library", "open_library"]


def is_library(path: str | os.PathLike[str] | None = None) -> bool:
    """Whether ``path`` (default: :func:`default_library_path`) holds a library already;
    for a client that must only read one, never create it."""
    folder = Path(path) if path is not None else default_library_path()
    return (folder / LIBRARY_FILE).is_file()


def _populate(lab: Lab, host_only: bool, profile: str | None = None) -> None:
    """A new library's lab: the demo lab, or only its host (then without settling time),
    on ``profile`` (default: the demo's own)."""
    populate_demo(ManagementApi(lab), empty=host_only, profile=profile)


class Library:
    """An open library: :attr:`api` drives its lab, and every command is committed to disk
    before it returns (the clock commits every ``autosave_seconds`` of simulated time, and
    :meth:`close` commits the rest).  A context manager; closing releases the lock."""

    def __init__(self, opened: store.Library) -> None:
        #: The persistence layer (commits, files): for diagnostics and tests.
        self.store = opened
        self.api = ManagementApi(opened.lab, observer=opened)
        # What committed_vm_list reads back without opening the lab, written at close.
        opened.summarize = lambda: listing_rows(self.api.vms())

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def messages(self) -> list[str]:
        """What the open found and repaired or skipped, one sentence each, naming the file."""
        return self.store.messages

    @property
    def commit_number(self) -> int:
        return self.store.commit_number

    @property
    def closed(self) -> bool:
        return self.store.closed

    def commit(self) -> None:
        """Write everything that changed since the last commit; durable when it returns."""
        self.store.commit()

    def close(self) -> None:
        """Commit what is left and release the lock.  Safe to call twice."""
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run several commands and commit once at the end."""
        with self.store.batch():
            yield

    def events(self, *, vm: str | None = None, level: str | None = None,
               since_seconds: float | None = None, last: int | None = None) -> list[LogEntry]:
        """The whole event log kept on disk, oldest first, filtered.  ``vm`` is a VM name or
        id; a VM deleted since is matched by the name it had."""
        since_seconds, last = check_query(since_seconds, last)  # before any lookup
        vm_id: str | None = None
        vm_name: str | None = None
        if vm is not None:
            try:
                vm_id = self.api.vm(vm).id
            except NotFoundError:
                vm_name = vm
        out = self.store.events(vm_id=vm_id, vm_name=vm_name, level=level,
                                 since_seconds=since_seconds, last=last)
        if vm_name is not None and not out:
            # Neither a VM now nor one in the log: the engine's own wording.
            self.api.vm(vm_name)
        return out


def open_library(path: str | os.PathLike[str] | None = None, *, program: str = "hvlab",
                 seed: int | None = None, empty: bool = False,
                 autosave_seconds: float = AUTOSAVE_SECONDS,
                 profile: str | None = None) -> Library:
    """Open (or create) the library at ``path`` (default: :func:`default_library_path`).

    A new library gets the demo lab, or the demo host only with ``empty``; ``seed`` and
    ``profile`` (the host profile of a new lab, with options: ``ws2008+kb956710``; checked
    first) are used only when the library is created.  Raises :class:`LibraryLockedError`
    when another process holds it and :class:`LibraryError` when the folder is not a library
    or was written by a newer hvlab.  Damaged files do not stop the open: see
    :attr:`Library.messages`.
    """
    if profile is not None:
        get_profile(profile)  # an unknown profile or option is refused before any file
    populate = _populate if profile is None else partial(_populate, profile=profile)
    return Library(store.open_library(path, populate, program=program, seed=seed, empty=empty,
                                      autosave_seconds=autosave_seconds))


def create_library(path: str | os.PathLike[str], lab: Lab, *, program: str = "hvlab",
                   autosave_seconds: float = AUTOSAVE_SECONDS) -> Library:
    """Write ``lab`` (built by a script or a test) as a new library at ``path``, which must
    not exist or be empty, and return it open."""
    return Library(store.create_library(path, lab, _populate, program=program,
                                        autosave_seconds=autosave_seconds))
