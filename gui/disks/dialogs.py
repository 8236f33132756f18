"""What the rest of the console calls to open the disk wizards and Inspect Disk.

Every function opens its dialog with ``open()`` (window-modal, no nested event loop: the
simulated clock keeps running and tests never block) and returns it; what happens when the
user finishes arrives through the callback.  The Hard Drive page of the VM settings uses
them for its New, Edit and Inspect buttons:

    from gui.disks.dialogs import (
        open_edit_disk_wizard, open_inspect_dialog, open_new_disk_wizard)

    open_new_disk_wizard(self, api, on_created=self.path_edit.setText)
    open_edit_disk_wizard(self, api, self.path_edit.text())
    open_inspect_dialog(self, api, self.path_edit.text())

Browse is :func:`gui.disks.files.choose_disk`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from engine.api import HvError
from gui import dialogs
from gui.disks import files
from gui.disks.edit_disk import EditDiskWizard
from gui.disks.inspect import InspectDiskDialog, inspect_dialog
from gui.disks.new_disk import NewDiskWizard

if TYPE_CHECKING:
    from engine.api import ManagementApi


def open_new_disk_wizard(parent: QWidget | None, api: ManagementApi,
                         on_created: Callable[[str], None] | None = None, *,
                         folder: str | None = None) -> NewDiskWizard:
    """The New Virtual Hard Disk Wizard; ``on_created(path)`` once the file exists."""
    wizard = NewDiskWizard(api, parent, folder=folder)
    if on_created is not None:
        wizard.created.connect(on_created)
    wizard.open()
    return wizard


def open_edit_disk_wizard(parent: QWidget | None, api: ManagementApi, path: str = "",
                          on_edited: Callable[[str], None] | None = None) -> EditDiskWizard:
    """The Edit Virtual Hard Disk Wizard, at Choose Action when ``path`` is a disk;
    ``on_edited(message)`` with one line saying what changed."""
    wizard = EditDiskWizard(api, parent, path)
    if on_edited is not None:
        wizard.edited.connect(on_edited)
    wizard.open()
    return wizard


def open_inspect_dialog(parent: QWidget | None, api: ManagementApi,
                        path: str) -> InspectDiskDialog | None:
    """Virtual Hard Disk Properties for ``path``; None (after an error box) when the file
    cannot be read as a virtual hard disk."""
    try:
        info = api.inspect_vhd(path)
    except HvError as err:
        dialogs.show_error(parent, err)
        return None
    dialog = inspect_dialog(api, info, parent,
                            open_edit=lambda p: open_edit_disk_wizard(parent, api, p))
    dialog.open()
    return dialog


def choose_and_inspect(parent: QWidget | None, api: ManagementApi) -> None:
    """Inspect Disk… in the Actions pane: pick a file, then show its properties."""
    def chosen(path: str) -> None:
        open_inspect_dialog(parent, api, path)

    files.choose_disk(parent, "Open", api.vhd_folder(), chosen)
