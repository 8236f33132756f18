"""``LibraryApi``: the management API of a library's lab, committing after each command."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from engine.api import ManagementApi
from engine.lab import Lab

if TYPE_CHECKING:
    from engine.library.library import Library

T = TypeVar("T")


class LibraryApi(ManagementApi):
    """The management API of a library's lab: each command is committed before it returns.

    A command is committed when it changed something (the engine published an event, or it
    is one of SILENT_COMMANDS), whether it succeeded or raised.  Reads never write.
    ``advance``/``wait`` commit when ``autosave_seconds`` of simulated time passed since the
    last commit; :meth:`Library.close` commits the rest.
    """

    def __init__(self, lab: Lab, library: Library) -> None:
        super().__init__(lab)
        self.library = library
        self._depth = 0


#: ManagementApi methods that only read: never followed by a commit.
READS = frozenset({
    "subscribe", "profiles", "guest_os_list", "hosts", "host", "memory_map", "vms", "vm",
    "locked_fields", "available_operations", "start_check", "console", "job", "jobs",
    "hypercall_counters", "event_log", "vm_table", "counter_sets", "counter_history",
    "counter_values", "vm_history", "host_history", "devices", "vmbus_channels", "device_io",
    "network_adapters", "kvp", "integration_setup_blocker", "switches", "vhd_folder",
    "inspect_vhd", "vm_disks", "guest_read", "checkpoints", "current_checkpoint",
    "validate_new_vm", "validate_vm_changes", "memory_check", "close",
})
#: Methods that only move simulated time: committed by the autosave rule.
TIME = frozenset({"advance", "wait"})
#: Commands that may change the lab without publishing an event (a host's folder paths);
#: every other command commits only when the engine published something, so a read added
#: to ManagementApi later and not listed in READS costs nothing.
SILENT_COMMANDS = frozenset({"set_host", "add_host", "create_vm", "set_vm", "rename",
                             "delete_vm"})


def _committing(fn: Callable[..., T], after: str) -> Callable[..., T]:
    @functools.wraps(fn)
    def method(self: LibraryApi, *args: Any, **kwargs: Any) -> T:
        self._depth += 1
        try:
            return fn(self, *args, **kwargs)
        finally:
            self._depth -= 1
            if self._depth == 0:
                lib = self.library
                if after == "time":
                    lib._after_time()
                else:
                    lib._after_command(fn.__name__ in SILENT_COMMANDS)

    return method


# Every public command of ManagementApi, including ones added later, commits after it runs;
# only the listed reads do not.
_MEMBERS: dict[str, Any] = {}
for _cls in reversed(ManagementApi.__mro__[:-1]):  # the storage mixin's commands too
    _MEMBERS.update(vars(_cls))
for _name, _member in list(_MEMBERS.items()):
    if _name.startswith("_") or _name in READS or not callable(_member):
        continue
    if isinstance(_member, (staticmethod, classmethod)):
        continue
    setattr(LibraryApi, _name, _committing(cast(Callable[..., Any], _member),
                                           "time" if _name in TIME else "command"))
