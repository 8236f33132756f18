"""The main window's storage actions: New ▸ Hard Disk…, Edit Disk…, Inspect Disk… and
Import Virtual Machine… (host block), and what Export… (VM block) opens.

One :class:`StorageActions` per main window. Its QActions sit in the New menu, the Action ▸
Host menu and the Actions pane's host block; they open the wizards and dialogs of
:mod:`hvlab.gui.disks.dialogs` and :mod:`hvlab.gui.disks.import_export` over the window's
bridge. Those are imported when first opened: they need numpy (hvlab.engine.storage), and the
main window paints before numpy is loaded.

Signals:
    message(str): a one-line result for the status bar.
    vm_imported(str vm_id)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.bars import named_action
from hvlab.gui.lab_part import LabPart

if TYPE_CHECKING:
    from hvlab.gui.disks.edit_disk import EditDiskWizard
    from hvlab.gui.disks.import_export import ExportVmDialog, ImportVmWizard
    from hvlab.gui.disks.new_disk import NewDiskWizard


class StorageActions(LabPart, QObject):
    message = Signal(str)
    vm_imported = Signal(str)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window

        def action(name: ids.UiName, text: str, icon_name: str, tip: str,
                   slot: Callable[[], object]) -> QAction:
            return named_action(window, name, text, icon_name, tip, triggered=slot)

        self.new_disk_action = action(
            ids.ACT_NEW_HARD_DISK, "&Hard Disk…", "new-disk",
            "Create a virtual hard disk: a real VHD file (fixed size, dynamically expanding "
            "or differencing).", self.open_new_disk)
        self.edit_disk_action = action(
            ids.ACT_EDIT_DISK, "&Edit Disk…", "edit-disk",
            "Compact, convert, expand, merge or reconnect a virtual hard disk.",
            self.open_edit_disk)
        self.inspect_disk_action = action(
            ids.ACT_INSPECT_DISK, "I&nspect Disk…", "inspect-disk",
            "Show a virtual hard disk's type, sizes, parent and which blocks its file holds.",
            self.inspect_disk)
        self.import_action = action(
            ids.ACT_IMPORT_VM, "&Import Virtual Machine…", "import-vm",
            "Import a virtual machine from a folder an export made.", self.open_import)
        self.import_vs_action = action(
            ids.ACT_IMPORT_VIRTUAL_SERVER, "Import Virtual &Server Machine…", "import-vm",
            "Rebuild a Virtual Server 2005 R2 machine (.vmc and its .vhd) as a Hyper-V virtual "
            "machine, and see what changes.", self.open_import_virtual_server)
        self.host_actions = [self.new_disk_action, self.import_action, self.edit_disk_action,
                             self.inspect_disk_action, self.import_vs_action]
        self.wait_for_lab(self.host_actions)

    def _edited(self, text: str) -> None:
        self.bridge.refresh()
        self.message.emit(text)

    def open_new_disk(self) -> NewDiskWizard:
        from hvlab.gui.disks import dialogs as disk_dialogs

        return disk_dialogs.open_new_disk_wizard(
            self._window, self.bridge,
            lambda path: self._edited(f"The virtual hard disk {path} was created."))

    def open_edit_disk(self, path: str = "") -> EditDiskWizard:
        from hvlab.gui.disks import dialogs as disk_dialogs

        return disk_dialogs.open_edit_disk_wizard(self._window, self.bridge, path,
                                                  self._edited)

    def inspect_disk(self) -> None:
        from hvlab.gui.disks import dialogs as disk_dialogs

        disk_dialogs.choose_and_inspect(self._window, self.bridge)

    def open_import(self) -> ImportVmWizard:
        from hvlab.gui.disks.import_export import ImportVmWizard

        wizard = ImportVmWizard(self.bridge, self._window)
        wizard.imported.connect(self._on_imported)
        wizard.open()
        return wizard

    def open_import_virtual_server(self, vmc: str | None = None) -> None:
        from hvlab.gui.disks.vs_import import import_virtual_server

        import_virtual_server(self._window, self.bridge, lambda name: self._edited(
            f"The Virtual Server machine {name} was imported."), vmc)

    def _on_imported(self, vm_id: str) -> None:
        self.bridge.refresh()
        try:
            name = self.bridge.api.vm(vm_id).name
        except HvError:
            name = vm_id
        self.message.emit(f"The virtual machine {name} was imported.")
        self.vm_imported.emit(vm_id)

    def open_export(self, vm_id: str) -> ExportVmDialog | None:
        """Export… for one VM."""
        from hvlab.gui.disks.import_export import ExportVmDialog

        try:
            dialog = ExportVmDialog(self.bridge, vm_id, self._window)
        except HvError as err:
            dialogs.show_error(self._window, err)
            return None
        dialog.exported.connect(lambda folder: self._edited(
            f"The virtual machine was exported to {folder}."))
        dialog.open()
        return dialog
