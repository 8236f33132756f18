"""The library: a lab on disk (hosts, VM folders, clock, runtime state, event log).

Persistence only: it stores a lab and knows nothing of the management API.  Clients open a
library through ``hvlab.engine.api.open_library``, which drives the lab through a
:class:`~hvlab.engine.api.ManagementApi` that reports each command to :meth:`Library.after_command`.
See docs/library.md for the layout, durability and locking rules.  Modules: ``library``
(layout, commits), ``opening`` (create, read back, repair), ``state`` (a lab as data),
``files`` (atomic self-checking files), ``schema`` (versions, migrations), ``eventlog``,
``lock``.
"""

from hvlab.engine.library.errors import LibraryError, LibraryLockedError
from hvlab.engine.library.library import AUTOSAVE_SECONDS, Library, Populate, default_library_path
from hvlab.engine.library.opening import create_library, open_library

__all__ = [
    "AUTOSAVE_SECONDS",
    "Library",
    "LibraryError",
    "LibraryLockedError",
    "Populate",
    "create_library",
    "default_library_path",
    "open_library",
]
