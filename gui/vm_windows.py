"""The windows and dialogs the main window opens for one virtual machine: Virtual Machine
Connection, Settings…, Rename… and Delete….

One :class:`VmWindows` per main window; it is what the VM actions' ``WindowTask`` handlers
open (:mod:`hvlab.gui.commands`). A VM has at most one Connect window and one Settings dialog:
asked again, the open one is raised. A VM that disappeared in the meantime gets the engine's
error box instead of a dialog. The modules are imported when first opened, after the main
window's first paint.

Signals:
    message(str): a one-line result for the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from hvlab.engine.api import HvError
from hvlab.gui import dialogs

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge

D = TypeVar("D", bound=QDialog)


class VmWindows(QObject):
    message = Signal(str)

    def __init__(self, bridge: Bridge, window: QWidget) -> None:
        super().__init__(window)
        self._bridge = bridge
        self._window = window
        self._connect_windows: dict[str, QWidget] = {}

    def open_connect(self, vm_id: str) -> QWidget:
        from hvlab.gui.connect_window import ConnectWindow

        window = self._connect_windows.get(vm_id)
        if window is None:
            window = ConnectWindow(self._bridge, vm_id, self._window,
                                   open_settings=self.open_settings)
            self._connect_windows[vm_id] = window
            window.destroyed.connect(lambda _=None, v=vm_id: self._connect_windows.pop(v, None))
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def connect_windows(self) -> dict[str, QWidget]:
        return dict(self._connect_windows)

    def close_all(self) -> None:
        for window in list(self._connect_windows.values()):
            window.close()

    def open_settings(self, vm_id: str) -> QWidget | None:
        """Settings… (gui/settings): one dialog per VM; a second request raises it."""
        from hvlab.gui.settings.dialog import VmSettingsDialog

        for dialog in self._window.findChildren(VmSettingsDialog):
            if dialog.vm_id == vm_id and dialog.isVisible():
                dialog.raise_()
                return dialog
        return self._open(lambda: VmSettingsDialog(self._bridge, vm_id, self._window))

    def open_rename(self, vm_id: str) -> QWidget | None:
        from hvlab.gui.settings.vm_dialogs import RenameVmDialog

        dialog = self._open(lambda: RenameVmDialog(self._bridge, vm_id, self._window))
        if dialog is not None:
            dialog.renamed.connect(lambda _vm, name: self.message.emit(f"Renamed to {name}."))
        return dialog

    def open_delete(self, vm_id: str) -> QWidget | None:
        from hvlab.gui.settings.vm_dialogs import DeleteVmDialog

        dialog = self._open(lambda: DeleteVmDialog(self._bridge, vm_id, self._window))
        if dialog is not None:
            dialog.deleted.connect(lambda _vm, name: self.message.emit(f"Deleted {name}."))
            dialog.deleting.connect(lambda _vm, name: self.message.emit(
                f"Deleting {name} and its virtual hard disks (see the jobs panel)."))
        return dialog

    def _open(self, build: Callable[[], D]) -> D | None:
        """``build()`` and open the dialog, or show the engine's error (the VM is gone)."""
        try:
            dialog = build()
        except HvError as err:
            dialogs.show_error(self._window, err)
            return None
        dialog.open()
        return dialog
