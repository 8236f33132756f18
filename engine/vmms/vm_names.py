"""The names of a host's VMs, indexed by the key they are compared by (``name_key``), so that
checking a new or changed name is a dictionary read however many VMs the host has.

The index follows the host's VMs: :func:`~hvlab.engine.vmms.inventory.add_vm` and
``delete`` add and drop a VM, and the settings service re-keys a VM whose configuration it
replaced (a rename, a checkpoint applied, an import).  A VM put into ``host.vms`` any other
way (a lab read back from a library) is picked up at the next check, which rebuilds the
index when its count differs from the host's.
"""

from __future__ import annotations

from collections.abc import Mapping

from hvlab.engine.names import name_key
from hvlab.engine.vmms.runtime import VmRuntime


class NamesExcept:
    """The name keys of every VM but one (``key in names``), without copying them."""

    def __init__(self, index: Mapping[str, set[str]], exclude: str | None) -> None:
        self._index = index
        self._exclude = exclude

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        ids = self._index.get(key)
        if not ids:
            return False
        return self._exclude not in ids or len(ids) > 1


class VmNames:
    def __init__(self) -> None:
        self._ids_by_key: dict[str, set[str]] = {}
        self._key_of: dict[str, str] = {}

    def note(self, vm: VmRuntime) -> None:
        """``vm`` was added, or its configuration replaced."""
        key = name_key(vm.name)
        old = self._key_of.get(vm.id)
        if old == key:
            return
        if old is not None:
            self._drop(old, vm.id)
        self._key_of[vm.id] = key
        self._ids_by_key.setdefault(key, set()).add(vm.id)

    def forget(self, vm_id: str) -> None:
        old = self._key_of.pop(vm_id, None)
        if old is not None:
            self._drop(old, vm_id)

    def _drop(self, key: str, vm_id: str) -> None:
        ids = self._ids_by_key.get(key)
        if ids is not None:
            ids.discard(vm_id)
            if not ids:
                del self._ids_by_key[key]

    def others(self, vms: Mapping[str, VmRuntime], exclude: str | None) -> NamesExcept:
        """The name keys of ``vms`` (the host's) but ``exclude``'s."""
        if len(self._key_of) != len(vms):
            self._ids_by_key.clear()
            self._key_of.clear()
            for vm in vms.values():
                self.note(vm)
        return NamesExcept(self._ids_by_key, exclude)
