"""The VM list of a closed library, read without opening its lab.

:func:`committed_vm_list` gives the rows of ``vms()`` as the library's last close left
them, or None when they cannot be trusted (no close since the last commit, a file changed
since, a library being created); the caller then opens the library with
:func:`~hvlab.engine.api.open_library`, which gives the same rows.  The rows are taken by
:func:`listing_rows` from the live lab at close (hvlab.engine.library.listing keeps them), so
there is one way to compute them.  This module imports nothing of the lab, the simulation or
numpy: ``hvctl vm list`` pays for reading a list, not for rebuilding a lab
(docs/performance.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from hvlab.engine import fileguard
from hvlab.engine.library.folder import library_folder, take_lock
from hvlab.engine.library.listing import LISTING_FILE, read_listing

if TYPE_CHECKING:
    from hvlab.engine.api.types import VmInfo

__all__ = ["VmListRow", "committed_vm_list", "listing_rows"]


@dataclass(frozen=True)
class VmListRow:
    """One row of the VM list: the fields of :class:`~hvlab.engine.api.VmInfo` that
    ``hvctl vm list`` shows, with the same names and values."""

    id: str
    name: str
    host_name: str
    state: str
    status: str
    heartbeat: str
    guest_phase: str
    generation: int
    guest_os: str
    cpu_count: int
    cpu_usage_percent: float
    memory_startup_mb: int
    memory_assigned_mb: int
    memory_demand_mb: int
    uptime_seconds: float
    group: str


#: Each field and the JSON types its value may have.
_FIELDS: dict[str, tuple[type, ...]] = {
    f.name: {"str": (str,), "int": (int,), "float": (int, float)}[str(f.type)]
    for f in fields(VmListRow)
}


def listing_rows(vms: list[VmInfo]) -> list[dict[str, Any]]:
    """The rows to keep for ``vms`` (``ManagementApi.vms()``), as plain data."""
    return [{name: getattr(vm, name) for name in _FIELDS} for vm in vms]


_CHECKS = tuple(_FIELDS.items())


def _row(data: dict[str, Any]) -> VmListRow | None:
    if data.keys() != _FIELDS.keys():
        return None
    for name, kinds in _CHECKS:
        if type(data[name]) not in kinds:  # exact JSON types: a bool is no number here
            return None
    return VmListRow(**data)


def committed_vm_list(path: str | os.PathLike[str] | None = None, *,
                      program: str = "hvlab") -> list[VmListRow] | None:
    """The VM list of the library at ``path`` (default: the default library) as its last
    close left it, in ``vms()`` order; None when the library must be opened to tell.

    Takes the library's lock while it reads, so it raises what
    :func:`~hvlab.engine.api.open_library` raises when another program holds it
    (:class:`~hvlab.engine.api.LibraryLockedError`) or it cannot be locked
    (:class:`~hvlab.engine.api.LibraryError`).  Writes nothing but the lock file.
    """
    folder = library_folder(path)
    if not (folder / LISTING_FILE).is_file():
        return None
    with fileguard.confined(fileguard.Confinement(folder)):
        lock = take_lock(folder, program)
        try:
            data = read_listing(folder)
        finally:
            lock.release()
    if data is None:
        return None
    rows = [_row(r) for r in data]
    if any(r is None for r in rows):
        return None
    return [r for r in rows if r is not None]
