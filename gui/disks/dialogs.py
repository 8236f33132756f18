"""What the rest of the console calls to open the disk wizards and Inspect Disk.

Every function opens its dialog with ``open()`` (window-modal, no nested event loop: the
simulated clock keeps running and tests never block) and returns it; what happens when the
user finishes arrives through the callback.  The Hard Drive page of the VM settings uses
them for its New, Edit and Inspect buttons:

    from hvlab.gui.disks.dialogs import (
        open_edit_disk_wizard, open_inspect_dialog, open_new_disk_wizard)

    open_new_disk_wizard(self, bridge, on_created=self.path_edit.setText)
    open_edit_disk_wizard(self, bridge, self.path_edit.text())
    open_inspect_dialog(self, bridge, self.path_edit.text())

Browse is :func:`hvlab.gui.disks.files.choose_disk`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from hvlab.engine.api import HvError
from hvlab.gui import dialogs
from hvlab.gui.disks import files
from hvlab.gui.disks.edit_disk import EditDiskWizard
from hvlab.gui.disks.inspect import InspectDiskDialog
from hvlab.gui.disks.new_disk import NewDiskWizard

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge


def open_new_disk_wizard(parent: QWidget | None, bridge: Bridge,
                         on_created: Callable[[str], None] | None = None, *,
                         folder: str | None = None) -> NewDiskWizard:
    """The New Virtual Hard Disk Wizard; ``on_created(path)`` once the file exists."""
    wizard = NewDiskWizard(bridge, parent, folder=folder)
    if on_created is not None:
        wizard.created.connect(on_created)
    wizard.open()
    return wizard


def open_edit_disk_wizard(parent: QWidget | None, bridge: Bridge, path: str = "",
                          on_edited: Callable[[str], None] | None = None) -> EditDiskWizard:
    """The Edit Virtual Hard Disk Wizard, at Choose Action when ``path`` is a disk;
    ``on_edited(message)`` with one line saying what changed."""
    wizard = EditDiskWizard(bridge, parent, path)
    if on_edited is not None:
        wizard.edited.connect(on_edited)
    wizard.open()
    return wizard


def open_inspect_dialog(parent: QWidget | None, bridge: Bridge,
                        path: str) -> InspectDiskDialog | None:
    """Virtual Hard Disk Properties for ``path``; None (after an error box) when the file
    cannot be read as a virtual hard disk. Inspect Parent opens the parent's properties on
    top of this dialog; Edit… opens the Edit Virtual Hard Disk Wizard."""
    try:
        info = bridge.api.inspect_vhd(path)
    except HvError as err:
        dialogs.show_error(parent, err)
        return None

    def open_parent(parent_path: str) -> object:
        return open_inspect_dialog(dialog, bridge, parent_path)

    dialog = InspectDiskDialog(info, parent, open_parent=open_parent,
                               open_edit=lambda p: open_edit_disk_wizard(parent, bridge, p))
    dialog.open()
    return dialog


def choose_and_inspect(parent: QWidget | None, bridge: Bridge) -> None:
    """Inspect Disk… in the Actions pane: pick a file, then show its properties."""
    def chosen(path: str) -> None:
        open_inspect_dialog(parent, bridge, path)

    files.choose_disk(parent, "Open", bridge.api.vhd_folder(), chosen)
