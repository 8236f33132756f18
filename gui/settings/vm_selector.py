"""The VM selector at the top of the Settings dialog: switch to another virtual machine of
the same host without closing the dialog, as Hyper-V Manager's Settings does.

The list follows the host's VMs (added, removed, renamed). Choosing another VM with edits
not applied asks first, with the question the dialog asks when it closes: Apply (switch
only if the engine accepts them), Discard (switch and lose them) or Cancel (stay, edits
kept). A VM whose Settings dialog is already open elsewhere is raised there instead.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import TYPE_CHECKING, Protocol, cast

from PySide6.QtWidgets import QComboBox, QWidget

from hvlab.engine.api import HvError
from hvlab.gui import ids
from hvlab.gui.settings import prompts

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge
    from hvlab.gui.settings.model import SettingsModel


class SettingsDialog(Protocol):
    """What the selector uses of the Settings dialog (gui/settings/dialog.py)."""

    @property
    def model(self) -> SettingsModel: ...

    def apply(self) -> bool: ...

    def switch_to(self, vm_id: str) -> None: ...


class VmSelector(QComboBox):
    """The host's VMs by name (item data: the VM id), the dialog's VM current.

    ``dialog`` is the Settings dialog: its ``model``, ``apply()`` and ``switch_to(vm_id)``
    (held weakly: the dialog deletes itself when closed, and nothing here keeps it)."""

    def __init__(self, bridge: Bridge, vm_id: str, dialog: QWidget) -> None:
        super().__init__(dialog)
        ids.apply(self, ids.VM_SETTINGS_SELECTOR)
        self.setToolTip("Show the settings of another virtual machine on this host.")
        self._bridge = bridge
        self._vm_id = vm_id
        self._owner = weakref.ref(dialog)
        self._asking = False
        self.fill()
        self.activated.connect(self._on_activated)
        bridge.vm_list_changed.connect(self._on_vm_list_changed)

    def _dialog(self) -> SettingsDialog | None:
        return cast("SettingsDialog | None", self._owner())

    def detach(self) -> None:
        """Stop following the host's VMs (the dialog is closing)."""
        with contextlib.suppress(RuntimeError, TypeError):
            self._bridge.vm_list_changed.disconnect(self._on_vm_list_changed)

    @property
    def vm_id(self) -> str:
        return self._vm_id

    def fill(self) -> None:
        """List the VMs of the current VM's host, the current one selected."""
        api = self._bridge.api
        try:
            host = api.vm(self._vm_id).host_name
        except HvError:
            return  # the VM was deleted: the dialog says so; keep the list as it was
        vms = sorted((v for v in api.vms() if v.host_name == host),
                     key=lambda v: v.name.casefold())
        self.blockSignals(True)
        self.clear()
        for vm in vms:
            self.addItem(vm.name, vm.id)
        self.setCurrentIndex(max(self.findData(self._vm_id), 0))
        self.blockSignals(False)

    def _on_vm_list_changed(self, _host: str, _vm_id: str, change: str) -> None:
        if change in ("added", "removed", "config") and not self._asking:
            self.fill()

    def _restore(self) -> None:
        self.blockSignals(True)
        self.setCurrentIndex(max(self.findData(self._vm_id), 0))
        self.blockSignals(False)

    def _on_activated(self, index: int) -> None:
        target = self.itemData(index)
        if not isinstance(target, str) or target == self._vm_id:
            return
        self.choose(target)

    def choose(self, target: str) -> None:
        """Switch to ``target``, asking first when edits are not applied."""
        dialog = self._dialog()
        if dialog is None:
            return
        model = dialog.model
        if not model.has_pending():
            self._go(target)
            return
        if self._asking:
            return
        self._asking = True
        self._restore()  # until the answer, the list shows the VM whose edits are pending
        prompts.ask_unapplied(self.window(), model.info.name,
                              lambda answer: self._on_answer(answer, target))

    def _on_answer(self, answer: str, target: str) -> None:
        self._asking = False
        dialog = self._dialog()
        if dialog is None:
            return
        if answer == prompts.DISCARD or (answer == prompts.APPLY and dialog.apply()):
            self._go(target)
        else:
            self._restore()

    def _go(self, target: str) -> None:
        dialog = self._dialog()
        if dialog is None:
            return
        self._vm_id = target
        dialog.switch_to(target)
        self.fill()
