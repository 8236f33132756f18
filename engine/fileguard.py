"""The one way the engine writes, renames or deletes a file: confined, counted, faultable.

Every write, rename and delete under ``engine/`` goes through a function of this module
(``tests/engine/test_fileguard.py`` scans the sources for any that bypass it).  Each one
resolves its path (symbolic links followed) and checks it against the confinement in force:

* the library folder (``Lab.storage_root``) of the lab whose command is running;
* folders the user named for this one operation (:func:`granted`): an export folder, the
  folder of a new disk, the disk a Compact or Merge was asked for;
* for writes *into* an existing file only (a guest writing its disk, a merge into a base
  disk): the disks configured on the lab's virtual machines, which may lie anywhere.

Anything else raises :class:`PathConfinementError`, naming the path.  Outside any
confinement (the storage package used on its own, a lab without a library folder) nothing
is refused: the caller named every path itself.

Every operation is counted, which is where fault injection hooks in (docs/library.md).  The
environment is read at the first file operation of the process:

``HVLAB_FAULT_AFTER_FILE_OPS=N``
    the process ends at once (``os._exit(FAULT_EXIT_CODE)``) just after its N-th file
    operation, as a crash or a power cut would leave it;
``HVLAB_FAULT_FILE_ERROR=ENOSPC|EACCES|EIO|EROFS`` and ``HVLAB_FAULT_FROM_FILE_OP=N``
    operation N (default 1) and every later one fails with that error before doing anything,
    as a folder made read-only would; with ENOSPC, as on a full disk, removing files still
    works.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hvlab.engine.errors import HvError

if TYPE_CHECKING:
    import sqlite3

PathLike = str | os.PathLike[str]
#: What a check is for: a new name, a write into an existing file, or removing a name.
Access = Literal["create", "write", "delete"]

#: The exit status of a process stopped by ``HVLAB_FAULT_AFTER_FILE_OPS``.
FAULT_EXIT_CODE = 86
_FAULT_ERRORS = {"ENOSPC": errno.ENOSPC, "EACCES": errno.EACCES, "EIO": errno.EIO,
                 "EROFS": errno.EROFS}


class PathConfinementError(HvError):
    """A write, rename or delete outside the library and the folders named for the task."""

    def __init__(self, path: str, root: str) -> None:
        self.path = path
        self.root = root
        super().__init__(
            f"The operation was refused: '{path}' is outside the library folder '{root}'.",
            ["hvlab changes files outside its library only when you name them for one "
             "operation (an export folder, a new virtual hard disk, a disk to edit) or when "
             "a virtual machine's configuration attaches them as its disks. (0x80070005)"])


class InvalidIdError(HvError, ValueError):
    """An id read from a file that cannot name a folder (it must have the UUID form).  A
    ValueError too: to a reader it is one more malformed value."""

    def __init__(self, value: object, what: str) -> None:
        self.value = value
        super().__init__(f"The {what} id {str(value)[:80]!r} is not valid.",
                         ["An id must have the form 12345678-9ABC-DEF0-1234-56789ABCDEF0."])


_UUID = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def id_folder(value: object, what: str) -> str:
    """``value`` as a folder name: ids read from files name folders only in UUID form, so
    no id can climb out of (``..``) or into another place than its own folder."""
    if not is_uuid(value):
        raise InvalidIdError(value, what)
    assert isinstance(value, str)
    return value


# -- confinement ----------------------------------------------------------------------------

def _absolute(path: PathLike) -> str:
    """``path`` made absolute without folding ``..`` (os.path.abspath would fold
    ``link/..`` before the link is followed)."""
    text = os.fspath(path)
    return text if os.path.isabs(text) else os.path.join(os.getcwd(), text)


def _real(path: PathLike) -> Path:
    return Path(os.path.realpath(_absolute(path)))


def _name_in_real_folder(path: PathLike) -> Path:
    """The path of the name itself, its folder resolved: what creating, renaming or removing
    that name touches (removing a symbolic link removes the link, not its target)."""
    folder, name = os.path.split(_absolute(path).rstrip(os.sep) or os.sep)
    if name in ("", ".", ".."):
        return _real(path)
    return _real(folder) / name


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(frozen=True)
class Confinement:
    """Where the running command may write: ``root`` (the library), ``grants`` (named for
    this operation) and, for writes into existing files, ``attached()`` (configured disks)."""

    root: Path
    grants: tuple[Path, ...] = ()
    attached: Callable[[], Iterable[Path]] | None = field(default=None, compare=False)

    def check(self, path: PathLike, access: Access) -> None:
        target = _real(path) if access == "write" else _name_in_real_folder(path)
        folders = (_real(self.root), *(_real(g) for g in self.grants))
        if any(_within(target, folder) for folder in folders):
            return
        if access == "write" and self.attached is not None and \
                target in {_real(p) for p in self.attached()}:
            return
        raise PathConfinementError(os.fspath(path), os.fspath(self.root))


_CURRENT: ContextVar[Confinement | None] = ContextVar("hvlab_file_confinement", default=None)


def current() -> Confinement | None:
    return _CURRENT.get()


@contextlib.contextmanager
def confined(confinement: Confinement | None) -> Iterator[None]:
    """Run the block confined to ``confinement`` (a lab's or library's).  Entering the
    confinement of the same root again keeps the grants already in force; None changes
    nothing."""
    active = _CURRENT.get()
    if confinement is None or (active is not None and active.root == confinement.root):
        yield
        return
    token = _CURRENT.set(confinement)
    try:
        yield
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def granted(*paths: PathLike) -> Iterator[None]:
    """Also allow ``paths`` (files or folders, and everything under them) in the block:
    what the user named for this one operation.  Work the block hands to a file worker
    keeps the grant (the worker runs in a copy of this context)."""
    active = _CURRENT.get()
    if active is None or not paths:
        yield
        return
    token = _CURRENT.set(replace(active, grants=(*active.grants,
                                                 *(Path(_absolute(p)) for p in paths))))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def check(path: PathLike, access: Access) -> None:
    """Raise PathConfinementError unless the confinement in force allows ``access``."""
    active = _CURRENT.get()
    if active is not None:
        active.check(path, access)


# -- fault injection ------------------------------------------------------------------------

@dataclass(frozen=True)
class FaultPlan:
    """What the injected fault does.  ``exit_after``: end the process just after that
    operation.  ``fail_from``: that operation and every later one raise ``error``."""

    exit_after: int | None = None
    fail_from: int | None = None
    error: int = errno.ENOSPC

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> FaultPlan | None:
        after = env.get("HVLAB_FAULT_AFTER_FILE_OPS", "").strip()
        error = env.get("HVLAB_FAULT_FILE_ERROR", "").strip().upper()
        if not after and not error:
            return None
        if error and error not in _FAULT_ERRORS:
            raise ValueError(f"HVLAB_FAULT_FILE_ERROR must be one of "
                             f"{', '.join(_FAULT_ERRORS)}, not {error!r}")
        start = env.get("HVLAB_FAULT_FROM_FILE_OP", "").strip() or "1"
        return cls(exit_after=int(after) if after else None,
                   fail_from=int(start) if error else None,
                   error=_FAULT_ERRORS.get(error, errno.ENOSPC))


#: Operations a full disk still allows: they free space.
_FREES_SPACE = frozenset({"unlink", "rmtree"})


class _Faults:
    """The process's file operation counter and its fault plan (read once, lazily)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.fired = False
        self.plan: FaultPlan | None = None
        self.loaded = False

    def begin(self, kind: str, path: PathLike) -> int:
        with self.lock:
            if not self.loaded:
                self.plan = FaultPlan.from_environment()
                self.loaded = True
            self.count += 1
            number = self.count
            plan = self.plan
        if plan is not None and plan.fail_from is not None and number >= plan.fail_from \
                and not (plan.error == errno.ENOSPC and kind in _FREES_SPACE):
            self.fired = True
            raise OSError(plan.error, os.strerror(plan.error), os.fspath(path))
        return number

    def end(self, number: int) -> None:
        plan = self.plan
        if plan is not None and plan.exit_after == number:
            self.fired = True
            os._exit(FAULT_EXIT_CODE)


_FAULTS = _Faults()


def file_operations() -> int:
    """How many file operations this process has done (for tests and diagnostics)."""
    return _FAULTS.count


def fault_fired() -> bool:
    return _FAULTS.fired


def reset_faults(plan: FaultPlan | None = None, *, from_environment: bool = False) -> None:
    """Restart the count; use ``plan`` (or the environment, read again at the next
    operation).  For tests and for a test harness driving the engine in process."""
    with _FAULTS.lock:
        _FAULTS.count = 0
        _FAULTS.fired = False
        _FAULTS.plan = plan
        _FAULTS.loaded = not from_environment


@contextlib.contextmanager
def _operation(kind: str, path: PathLike, access: Access | None) -> Iterator[None]:
    """Count one file operation, apply the fault plan, check the confinement."""
    number = _FAULTS.begin(kind, path)
    if access is not None:
        check(path, access)
    yield
    _FAULTS.end(number)


# -- the operations -------------------------------------------------------------------------

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def open_fd(path: PathLike, flags: int, mode: int = 0o644) -> int:
    """``os.open`` for writing: O_CREAT checks the name, otherwise the existing file."""
    if not flags & _WRITE_FLAGS:
        raise ValueError("open_fd is for writing; read with os.open")
    with _operation("open", path, "create" if flags & os.O_CREAT else "write"):
        return os.open(path, flags, mode)


def write_fd(fd: int, data: bytes | memoryview, path: PathLike) -> None:
    """Write all of ``data`` at the descriptor's position (one counted operation)."""
    with _operation("write", path, None):
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]


def pwrite_fd(fd: int, data: bytes, offset: int, path: PathLike) -> None:
    with _operation("write", path, None):
        os.pwrite(fd, data, offset)


def pwritev_fd(fd: int, buffers: Sequence[memoryview], offset: int, path: PathLike) -> int:
    with _operation("write", path, None):
        return os.pwritev(fd, buffers, offset)


def truncate_fd(fd: int, size: int, path: PathLike) -> None:
    with _operation("truncate", path, None):
        os.ftruncate(fd, size)


def open_file(path: PathLike, *, create: bool) -> io.FileIO:
    """A new file (``create``; it must not exist) or an existing one, for reading and
    writing in place."""
    with _operation("open", path, "create" if create else "write"):
        return io.FileIO(os.fspath(path), "x+" if create else "r+")


def write_atomic(path: PathLike, payload: bytes, *, keep_previous: bool = False,
                 previous: PathLike | None = None) -> None:
    """Replace ``path`` with ``payload`` so that a crash leaves the old or the new file.

    The bytes go to ``.<name>.<pid>.tmp`` in the same folder, are fsynced, renamed over the
    target, and the folder is fsynced.  With ``keep_previous`` the file being replaced is
    first renamed to ``previous``, so that version survives until the caller is done.
    """
    target = Path(path)
    folder = target.parent
    tmp = folder / f".{target.name}.{os.getpid()}.tmp"
    fd = open_fd(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        write_fd(fd, payload, tmp)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError, HvError):
            unlink(tmp)
        raise
    os.close(fd)
    if keep_previous and previous is not None and target.exists():
        replace_file(target, previous)
    replace_file(tmp, target)
    sync_folder(folder)


def sync_folder(folder: PathLike) -> None:
    """Make a rename or unlink in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open folders
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(source: PathLike, target: PathLike) -> None:
    """``os.replace``: the source name goes, the target name is (re)made."""
    with _operation("rename", target, None):
        check(source, "delete")
        check(target, "create")
        os.replace(source, target)


def link(source: PathLike, target: PathLike) -> None:
    """A second name for ``source`` (``os.link``); FileExistsError if ``target`` exists."""
    with _operation("link", target, "create"):
        os.link(source, target)


def unlink(path: PathLike, *, missing_ok: bool = False) -> None:
    with _operation("unlink", path, "delete"):
        try:
            os.unlink(path)
        except FileNotFoundError:
            if not missing_ok:
                raise


def rmtree(path: PathLike) -> None:
    """Remove a folder and everything in it (a symbolic link to a folder is refused by
    shutil, and links inside are removed, never followed)."""
    import shutil  # here, as secrets and sqlite3 below: reading a library needs none of them

    with _operation("rmtree", path, "delete"):
        shutil.rmtree(path)


def mkdir(path: PathLike, *, parents: bool = False) -> None:
    """Create a folder (and its missing parents); nothing to do when it exists.  Only the
    folder asked for is checked: its parents are on the way to it."""
    target = Path(path)
    if target.is_dir():
        return
    with _operation("mkdir", target, "create"):
        target.mkdir(parents=parents, exist_ok=True)


def make_temporary_folder(parent: PathLike, prefix: str, suffix: str) -> Path:
    """A new, empty, hidden folder in ``parent`` that no one else has: this operation may
    later delete it, and nothing else."""
    import secrets

    while True:
        candidate = Path(parent) / f".{prefix}.{secrets.token_hex(4)}{suffix}"
        with _operation("mkdir", candidate, "create"):
            try:
                candidate.mkdir()
            except FileExistsError:
                continue
        return candidate


def copy_file(source: PathLike, target: PathLike) -> None:
    """Copy ``source``'s bytes to the new file ``target`` (one counted operation)."""
    import shutil

    with _operation("copy", target, "create"), open(source, "rb") as src, \
            open(target, "xb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
        dst.flush()
        os.fsync(dst.fileno())


def connect_sqlite(path: PathLike) -> sqlite3.Connection:
    """Open (or create) an SQLite database; its transactions call :func:`transaction`."""
    import sqlite3

    with _operation("open", path, "create"):
        return sqlite3.connect(os.fspath(path), isolation_level=None)


def transaction(path: PathLike) -> None:
    """Count (and check) one write transaction of an SQLite database before it begins:
    SQLite does its own file I/O, and its own journal makes each transaction atomic."""
    with _operation("transaction", path, "write"):
        pass
