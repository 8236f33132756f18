"""Action ▸ Insert Integration Services Setup Disk, for the main window and Connect windows.

Enabled from ``ManagementApi.integration_setup_blocker``, whose reason becomes the tooltip.
After the guest restarts its VMBus drivers load, and the guest's Device Manager
(:mod:`hvlab.gui.device_manager`) shows drivers for what were unknown devices. Kept apart from
that panel so that the main window's first paint does not load the panel's widgets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.icons import icon

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge


class IntegrationSetupAction(QAction):
    """Action ▸ Insert Integration Services Setup Disk for the selected VM.

    Signals:
        message(str): a one-line result for the window's status bar.
    """

    message = Signal(str)
    TEXT = "Insert Integration Services Setup Disk"
    TIP = ("Install the integration services in the guest (VMBus drivers, heartbeat, "
           "shutdown, time synchronization, data exchange). They load when the guest restarts.")

    def __init__(self, name: ids.UiName, parent: QWidget) -> None:
        super().__init__(icon("settings"), f"&{self.TEXT}", parent)
        ids.apply(self, name)
        self.setIconText(self.TEXT)
        self._bridge: Bridge | None = None
        self._targets: list[str] = []
        self._window = parent
        self.setEnabled(False)
        self.setToolTip(f"{self.TEXT}: select a virtual machine first.")
        self.triggered.connect(self._on_triggered)

    def attach(self, bridge: Bridge, *, follow: str | None = None) -> None:
        """Enable from the engine behind ``bridge``. ``follow``: a Connect window's VM, the
        one target for good, re-read on every tick."""
        self._bridge = bridge
        if follow is not None:
            bridge.tick.connect(self.refresh)
            self.set_targets([follow])

    def set_targets(self, vm_ids: Sequence[str]) -> None:
        self._targets = list(vm_ids)
        self.refresh()

    def refresh(self, _snap: object = None) -> None:
        """Enable from the engine's answer for the (single) target."""
        reason: str | None
        if len(self._targets) != 1 or self._bridge is None:
            reason = ("Select only one virtual machine." if len(self._targets) > 1 else
                      "Select a virtual machine first.")
        else:
            try:
                reason = self._bridge.api.integration_setup_blocker(self._targets[0])
            except HvError as err:
                reason = err.message
        self.setEnabled(reason is None)
        tip = f"{self.TEXT}: {reason if reason is not None else self.TIP}"
        if self.toolTip() != tip:
            self.setToolTip(tip)
            self.setStatusTip(reason or self.TIP)

    def _on_triggered(self) -> None:
        bridge = self._bridge
        if len(self._targets) != 1 or bridge is None:
            return
        vm_id = self._targets[0]
        try:
            bridge.call(bridge.api.insert_integration_services_disk, vm_id)
        except HvError as err:
            dialogs.show_error(self._window, err)
            return
        finally:
            self.refresh()
        with contextlib.suppress(HvError):
            name = bridge.api.vm(vm_id).name
            self.message.emit(f"Integration services were installed in {name}; restart the "
                              "virtual machine to load them.")
