"""The library: a lab on disk (hosts, VM folders, clock, runtime state, event log).

Persistence only: it stores a lab and knows nothing of the management API.  Clients open a
library through ``hvlab.engine.api.open_library``, which drives the lab through a
:class:`~hvlab.engine.api.ManagementApi` that reports each command to :meth:`Library.after_command`.
See docs/library.md for the layout, durability and locking rules.  Modules: ``library``
(layout, commits), ``opening`` (create, read back, repair), ``state`` (a lab as data),
``files`` (atomic self-checking files), ``schema`` (versions, migrations), ``eventlog``,
``lock``, ``folder`` (where a library is, taking its lock), ``listing`` (the VM list as the
last close left it).

Names load on first use (PEP 562), so that a module such as ``listing`` can be imported
without the lab behind ``library`` and ``opening``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hvlab.engine import lazy

if TYPE_CHECKING:
    from hvlab.engine.library.errors import LibraryError as LibraryError
    from hvlab.engine.library.errors import LibraryLockedError as LibraryLockedError
    from hvlab.engine.library.folder import default_library_path as default_library_path
    from hvlab.engine.library.library import AUTOSAVE_SECONDS as AUTOSAVE_SECONDS
    from hvlab.engine.library.library import Library as Library
    from hvlab.engine.library.library import Populate as Populate
    from hvlab.engine.library.opening import create_library as create_library
    from hvlab.engine.library.opening import open_library as open_library

_HOMES: dict[str, str] = {
    "AUTOSAVE_SECONDS": "hvlab.engine.library.library",
    "Library": "hvlab.engine.library.library",
    "LibraryError": "hvlab.engine.library.errors",
    "LibraryLockedError": "hvlab.engine.library.errors",
    "Populate": "hvlab.engine.library.library",
    "create_library": "hvlab.engine.library.opening",
    "default_library_path": "hvlab.engine.library.folder",
    "open_library": "hvlab.engine.library.opening",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    return lazy.load(__name__, _HOMES, name)
