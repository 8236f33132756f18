"""The editing model behind the VM Settings dialog: pending edits, messages, locks.

The dialog never decides what is valid. Each edit is kept as a pending change to one
:class:`~hvlab.engine.config.VmConfig` field; after every edit the whole pending change set is
dry-run against the engine in one call (``ManagementApi.vm_change_errors``, which returns
every field's error at once), and each field gets its message. Apply sends the change set in
one ``set_vm`` call, so the engine applies all of it or nothing.

Devices (hard drives, network adapters) are lists inside one field each. The model keeps
every device with a stable id and the index it had in the applied configuration, so a
device's page keeps its identity while others are added or removed, and an error on the
list can be traced to the device that causes it.

Signals:
    changed(): pending edits, messages or locks changed (pages refresh their state).
    structure_changed(): devices were added, removed or moved (the page tree is rebuilt).
    reloaded(): the configuration was re-read (after Apply): pages reload their values.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from hvlab.engine.api import HardDrive, HvError, VmConfig

if TYPE_CHECKING:
    from hvlab.engine.api import HostInfo, HostProfile, ManagementApi, VmInfo
    from hvlab.gui.bridge import Bridge

#: The VmConfig fields that hold device lists.
DEVICE_FIELDS = ("hard_drives", "network_adapters")
#: A device-list error that belongs to no single device (counts, shape) is shown here.
LIST_ERROR = "list"

_ids = itertools.count(1)


@dataclass
class Device:
    """One hard drive or network adapter as the dialog edits it."""

    uid: int
    origin: int | None  # its index in the applied configuration; None: added here
    value: Any  # HardDrive or NetworkAdapter


class SettingsModel(QObject):
    changed = Signal()
    structure_changed = Signal()
    reloaded = Signal()

    def __init__(self, bridge: Bridge, vm_id: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.vm_id = vm_id
        api = bridge.api
        self.info: VmInfo = api.vm(vm_id)
        self.original: VmConfig = self.info.config
        self.host: HostInfo = api.host(self.info.host_id)
        #: The host's release, options applied: its limits, features and words.
        self.profile: HostProfile = api.host_profile(self.info.host_id)
        self.pending: dict[str, Any] = {}
        self.devices: dict[str, list[Device]] = {}
        #: field -> message, from the engine's dry run of the pending change set.
        self.errors: dict[str, str] = {}
        #: device uid (or LIST_ERROR per field) -> message, for device-list errors.
        self.device_errors: dict[str, dict[int | str, str]] = {}
        #: field -> why it cannot change in the VM's current state.
        self.locks: dict[str, str] = {}
        self._load_devices()
        self.locks = api.locked_fields(vm_id)

    # -- reading ----------------------------------------------------------------------------
    @property
    def api(self) -> ManagementApi:
        return self.bridge.api

    @property
    def generation(self) -> int:
        return self.original.generation

    def value(self, field: str) -> Any:
        """The value the dialog shows: pending if edited, else the applied one."""
        if field in self.pending:
            return self.pending[field]
        return getattr(self.original, field)

    def candidate(self) -> VmConfig:
        """The configuration as it would be after Apply (not validated)."""
        return replace(self.original, **self.pending)

    def has_pending(self) -> bool:
        return bool(self.pending)

    def is_pending(self, field: str) -> bool:
        return field in self.pending

    def error(self, field: str) -> str:
        return self.errors.get(field, "")

    def device_error(self, field: str, uid: int | str) -> str:
        return self.device_errors.get(field, {}).get(uid, "")

    def lock(self, field: str) -> str:
        """Why ``field`` cannot change now ("" if it can). Device lists are not locked as a
        whole here: which device changes are allowed live is asked per change."""
        if field in DEVICE_FIELDS:
            return ""
        return self.locks.get(field, "")

    def device_list(self, field: str) -> list[Device]:
        return list(self.devices[field])

    def device(self, field: str, uid: int) -> Device | None:
        return next((d for d in self.devices[field] if d.uid == uid), None)

    # -- editing ----------------------------------------------------------------------------
    def set(self, field: str, value: Any) -> None:
        self.set_many({field: value})

    def set_many(self, values: dict[str, Any]) -> None:
        """Record edits (an edit back to the applied value is no longer pending)."""
        for field, value in values.items():
            if field in DEVICE_FIELDS:
                raise ValueError(f"edit {field} through the device methods")
            if value == getattr(self.original, field):
                self.pending.pop(field, None)
            else:
                self.pending[field] = value
        self._revalidate()

    def set_device(self, field: str, uid: int, value: Any) -> None:
        device = self.device(field, uid)
        if device is None:
            return
        moved = (isinstance(value, HardDrive) and isinstance(device.value, HardDrive)
                 and (value.controller, value.controller_number, value.location)
                 != (device.value.controller, device.value.controller_number,
                     device.value.location))
        device.value = value
        self._sync_device_field(field)
        self._revalidate()
        if moved:
            self.structure_changed.emit()

    def can_add_device(self, field: str, value: Any) -> str:
        """Why adding ``value`` would be refused now ("" if it would not)."""
        return self._refusal(field, [*self._values(field), value])

    def add_device(self, field: str, value: Any) -> int | str:
        """Add a device; returns its uid, or the engine's reason for refusing it."""
        reason = self.can_add_device(field, value)
        if reason:
            return reason
        device = Device(next(_ids), None, value)
        self.devices[field].append(device)
        self._sync_device_field(field)
        self._revalidate()
        self.structure_changed.emit()
        return device.uid

    def can_remove_device(self, field: str, uid: int) -> str:
        return self._refusal(field, [d.value for d in self.devices[field] if d.uid != uid])

    def remove_device(self, field: str, uid: int) -> str:
        """Remove a device; returns "" or the engine's reason for refusing."""
        reason = self.can_remove_device(field, uid)
        if reason:
            return reason
        self.devices[field] = [d for d in self.devices[field] if d.uid != uid]
        self._sync_device_field(field)
        self._revalidate()
        self.structure_changed.emit()
        return ""

    def probe_device(self, field: str, uid: int, change: Callable[[Any], Any]) -> str:
        """Why a change of this kind to one device is refused in the VM's current state
        ("" if it is allowed): ``change`` is tried on the device's applied value alone, so
        other pending edits (and their mistakes) do not decide it."""
        device = self.device(field, uid)
        if device is None:
            return ""
        trial = list(getattr(self.original, field))
        if device.origin is None:
            trial.append(change(device.value))
        else:
            trial[device.origin] = change(trial[device.origin])
        try:
            errors = self.api.vm_change_errors(self.vm_id, **{field: tuple(trial)})
        except HvError as err:
            return err.message
        return next(iter(errors.values()), "")

    def set_scsi_controllers(self, count: int, drives: list[Device] | None = None) -> None:
        """Change the number of SCSI controllers (and the drives, when a controller with
        drives goes away) as one edit."""
        if drives is not None:
            self.devices["hard_drives"] = drives
            self._sync_device_field("hard_drives")
        self.set("scsi_controllers", count)
        self.structure_changed.emit()

    def scsi_refusal(self, count: int, drives: list[Any]) -> str:
        changes = self._device_changes()
        changes["scsi_controllers"] = count
        changes["hard_drives"] = tuple(drives)
        return self._dry_run(changes, "scsi_controllers")

    def discard(self) -> None:
        self.pending.clear()
        self._load_devices()
        self._revalidate()
        self.structure_changed.emit()
        self.reloaded.emit()

    # -- applying ---------------------------------------------------------------------------
    def apply(self) -> None:
        """Send the pending change set in one call; raises the engine's error, in which
        case nothing changed."""
        if not self.pending:
            return
        self.api.set_vm(self.vm_id, **self.pending)
        self.reload()

    def reload(self) -> None:
        """Re-read the applied configuration; pending edits are dropped."""
        self.info = self.api.vm(self.vm_id)
        self.original = self.info.config
        self.pending.clear()
        self._load_devices()
        self.locks = self.api.locked_fields(self.vm_id)
        self._revalidate()
        self.structure_changed.emit()
        self.reloaded.emit()

    def refresh_state(self) -> None:
        """The VM's state changed: re-read the locks and re-check the pending edits."""
        try:
            self.info = self.api.vm(self.vm_id)
            self.locks = self.api.locked_fields(self.vm_id)
        except HvError:
            return
        self._revalidate()

    # -- internals --------------------------------------------------------------------------
    def _load_devices(self) -> None:
        self.devices = {f: [Device(next(_ids), i, v)
                            for i, v in enumerate(getattr(self.original, f))]
                        for f in DEVICE_FIELDS}

    def _values(self, field: str) -> list[Any]:
        return [d.value for d in self.devices[field]]

    def _sync_device_field(self, field: str) -> None:
        value = tuple(self._values(field))
        if value == getattr(self.original, field):
            self.pending.pop(field, None)
        else:
            self.pending[field] = value

    def _device_changes(self) -> dict[str, Any]:
        return dict(self.pending)

    def _refusal(self, field: str, values: list[Any]) -> str:
        changes = self._device_changes()
        changes[field] = tuple(values)
        return self._dry_run(changes, field)

    def _dry_run(self, changes: dict[str, Any], field: str) -> str:
        """The engine's objection to ``changes`` that concerns ``field`` ("" if none)."""
        try:
            errors = self.api.vm_change_errors(self.vm_id, **changes)
        except HvError as err:
            return err.message
        for name in (field, *DEVICE_FIELDS, "scsi_controllers"):
            if name in errors:
                return errors[name]
        return ""

    def _revalidate(self) -> None:
        """Dry-run the pending change set: one message per wrong field, from one call."""
        try:
            errors = self.api.vm_change_errors(self.vm_id, **self.pending)
        except HvError as err:  # the VM is gone, or similar: say so on every page
            errors = {"": err.message}
        self.errors = errors
        self.device_errors = {f: self._trace_device_errors(f) for f in DEVICE_FIELDS
                              if f in errors}
        self.changed.emit()

    def _trace_device_errors(self, field: str) -> dict[int | str, str]:
        """Which device an error on a device list belongs to: each edited or added device
        is tried alone on top of the applied configuration."""
        out: dict[int | str, str] = {}
        base = list(getattr(self.original, field))
        for device in self.devices[field]:
            if device.origin is not None and base[device.origin] == device.value:
                continue
            trial = list(base)
            if device.origin is None:
                trial.append(device.value)
            else:
                trial[device.origin] = device.value
            try:
                errors = self.api.vm_change_errors(self.vm_id, **{field: tuple(trial)})
            except HvError as err:
                errors = {field: err.message}
            if field in errors:
                out[device.uid] = errors[field]
        if not out:
            out[LIST_ERROR] = self.errors.get(field, "")
        return out
