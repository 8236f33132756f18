"""Positioned file I/O for disk images, and new files that appear only when complete.

Disk images are read and written at absolute offsets with ``pread``/``pwritev`` so a large
write is one system call and no file position is shared. A new or rewritten image is built
under a temporary name in the same folder and published by a link or rename, so a failed or
cancelled operation never leaves a partial file under the final name.
"""

from __future__ import annotations

import errno
import io
import os
import secrets
import threading
from collections.abc import Sequence
from typing import TypeAlias

from hvlab.engine import fileguard
from hvlab.engine.storage.errors import VhdError

Buffer: TypeAlias = bytes | bytearray | memoryview

#: Buffers per pwritev call (Linux IOV_MAX is 1024) and bytes per call (Linux caps one
#: write at 0x7ffff000 bytes).
_MAX_IOV = 512
_MAX_CALL_BYTES = 1 << 30
_HAVE_POSITIONED = hasattr(os, "pwritev") and hasattr(os, "preadv")


def _os_error(path: str, action: str, err: OSError) -> VhdError:
    if isinstance(err, FileNotFoundError):
        return VhdError(f"The system cannot find the file '{path}'. (0x80070002)")
    if isinstance(err, FileExistsError):
        return VhdError(f"The system failed to create '{path}': The file exists. (0x80070050)")
    if isinstance(err, PermissionError):
        return VhdError(f"Access to '{path}' was denied. (0x80070005)")
    if isinstance(err, IsADirectoryError):
        return VhdError(f"'{path}' is a folder, not a virtual hard disk file.")
    return VhdError(f"Could not {action} '{path}': {err.strerror or err}.")


class PositionedFile:
    """A file opened for positioned reads and writes. Close it (or use ``with``)."""

    def __init__(self, path: str, *, writable: bool = False, create: bool = False) -> None:
        self.path = path
        self.writable = writable or create
        try:
            # Writable files are opened by the file guard: confined and counted.
            self._raw = (fileguard.open_file(path, create=create) if self.writable
                         else io.FileIO(path, "r"))
        except OSError as err:
            raise _os_error(path, "open", err) from err
        except ValueError:  # a NUL in the name
            raise VhdError(f"'{path!r}' is not a valid file name.") from None
        self._fd = self._raw.fileno()
        self._lock = threading.Lock()  # only for the seek-based fallback

    def __enter__(self) -> PositionedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._raw.closed

    def close(self) -> None:
        self._raw.close()

    def size(self) -> int:
        return os.fstat(self._fd).st_size

    def mtime(self) -> float:
        return os.fstat(self._fd).st_mtime

    def read(self, length: int, offset: int) -> bytes:
        """Exactly ``length`` bytes at ``offset``; a short file is an error."""
        buf = bytearray(length)
        self.read_into(memoryview(buf), offset)
        return bytes(buf)

    def read_into(self, buf: memoryview, offset: int) -> None:
        done = 0
        total = len(buf)
        try:
            while done < total:
                if _HAVE_POSITIONED:
                    got = os.preadv(self._fd, [buf[done:]], offset + done)
                else:
                    with self._lock:
                        self._raw.seek(offset + done)
                        got = self._raw.readinto(buf[done:]) or 0
                if got == 0:
                    raise VhdError(f"Unexpected end of file in '{self.path}' at byte "
                                   f"{offset + done:,} (the file was truncated while open).")
                done += got
        except OSError as err:
            raise _os_error(self.path, "read", err) from err

    def write(self, data: Buffer, offset: int) -> None:
        self.writev([data], offset)

    def writev(self, buffers: Sequence[Buffer], offset: int) -> None:
        """Write ``buffers`` back to back from ``offset`` with as few system calls as possible."""
        views = [memoryview(b).cast("B") for b in buffers if len(b)]
        try:
            while views:
                batch: list[memoryview] = []
                size = 0
                while views and len(batch) < _MAX_IOV and size < _MAX_CALL_BYTES:
                    batch.append(views.pop(0))
                    size += len(batch[-1])
                if _HAVE_POSITIONED:
                    wrote = fileguard.pwritev_fd(self._fd, batch, offset, self.path)
                else:
                    with self._lock:
                        self._raw.seek(offset)
                        wrote = self._raw.write(b"".join(batch)) or 0
                offset += wrote
                if wrote < size:
                    # A short write: requeue the unwritten tail of the batch.
                    rest: list[memoryview] = []
                    for view in batch:
                        if wrote >= len(view):
                            wrote -= len(view)
                            continue
                        rest.append(view[wrote:])
                        wrote = 0
                    views[:0] = rest
        except OSError as err:
            raise _os_error(self.path, "write", err) from err

    def truncate(self, size: int) -> None:
        try:
            fileguard.truncate_fd(self._fd, size, self.path)
        except OSError as err:
            raise _os_error(self.path, "resize", err) from err

    def sync(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as err:
            raise _os_error(self.path, "flush", err) from err


def temporary_sibling(path: str, purpose: str) -> str:
    """A fresh hidden name next to ``path`` for building a file that replaces or becomes it."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{purpose}-{secrets.token_hex(4)}.tmp")


def publish_new(temporary: str, final: str) -> None:
    """Give the finished ``temporary`` file the name ``final``, which must not exist yet."""
    try:
        fileguard.link(temporary, final)
    except FileExistsError as err:
        raise _os_error(final, "create", err) from err
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # No hard links on this file system (FAT, some network shares).
        if os.path.lexists(final):
            raise _os_error(final, "create", FileExistsError()) from None
        fileguard.replace_file(temporary, final)
        return
    fileguard.unlink(temporary)


def discard(temporary: str) -> None:
    fileguard.unlink(temporary, missing_ok=True)


def require_absent(path: str) -> None:
    if os.path.lexists(path):
        raise _os_error(path, "create", FileExistsError())


def sync_folder(path: str) -> None:
    """Make a rename or link in ``path``'s folder durable (POSIX only; no-op elsewhere)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
