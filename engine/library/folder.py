"""Where a library is and taking its lock, in the words a client shows: shared by the full
open (:mod:`hvlab.engine.library.opening`) and the VM list read without opening the lab
(:mod:`hvlab.engine.library.listing`), so both refuse the same folders the same way.
Imports nothing of the lab."""

from __future__ import annotations

import os
from pathlib import Path

from hvlab.engine.library.errors import LibraryError, LibraryLockedError
from hvlab.engine.library.lock import LibraryLock, LockHeldError


def default_library_path() -> Path:
    """``$HVLAB_LIBRARY``, else ``<user data dir>/hvlab/library`` (platformdirs)."""
    override = os.environ.get("HVLAB_LIBRARY")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("hvlab")) / "library"


def library_folder(path: str | os.PathLike[str] | None) -> Path:
    """The absolute folder ``path`` names (default: :func:`default_library_path`)."""
    if path is not None and not os.fspath(path).strip():
        # Path("") is the current folder: a demo library would appear wherever one stood.
        raise LibraryError("The library folder may not be empty.",
                           ["Give a folder with --library, or leave it out to use the "
                            "default."])
    folder = Path(path).expanduser() if path is not None else default_library_path()
    return folder.absolute()


def take_lock(folder: Path, program: str) -> LibraryLock:
    """Lock the library in ``folder`` for ``program`` (under the caller's confinement).
    LibraryLockedError names the holder; LibraryError says why the lock cannot be taken."""
    try:
        return LibraryLock(folder, program)
    except LockHeldError as held:
        raise LibraryLockedError(
            str(held), ["Close that program first, or open another library with "
                        "--library."], program=held.program, pid=held.pid) from None
    except OSError as exc:
        raise cannot_open(folder, exc) from exc


def cannot_open(folder: Path, exc: OSError) -> LibraryError:
    return LibraryError(f"The library {folder} cannot be opened.",
                        [f"{exc.filename or folder}: {exc.strerror or exc}"])
