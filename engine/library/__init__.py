"""The library: a lab on disk (hosts, VM folders, clock, runtime state, event log).

``open_library`` is the one way in; the GUI and ``hvctl`` drive the lab through
``Library.api``, a :class:`~engine.api.ManagementApi` that commits after every command.
See docs/library.md for the layout, durability and locking rules.  Modules: ``library``
(layout, commits), ``opening`` (create, read back, repair), ``state`` (a lab as data),
``files`` (atomic self-checking files), ``schema`` (versions, migrations), ``eventlog``,
``lock``, ``api`` (the committing ManagementApi).
"""

from engine.library.api import LibraryApi
from engine.library.errors import LibraryError, LibraryLockedError
from engine.library.library import AUTOSAVE_SECONDS, Library, default_library_path
from engine.library.opening import create_library, open_library

__all__ = [
    "AUTOSAVE_SECONDS",
    "Library",
    "LibraryApi",
    "LibraryError",
    "LibraryLockedError",
    "create_library",
    "default_library_path",
    "open_library",
]
