"""Rename… and Delete… for one virtual machine.

Rename checks the new name with the engine as it is typed (the same dry run the settings
dialog uses) and keeps Rename disabled, with the reason under the field, while the engine
would refuse it. Delete says what goes: the configuration, the saved state if there is one,
and, when it ticks "Also delete the virtual hard disk files", the disk files the engine lists
as the VM's own (``vm_disk_files``: its disks and their checkpoint disks that no other VM
uses); that deletion is a job (``delete_vm_and_disks``) followed in the jobs panel.

Both open with ``open()`` (window-modal, no nested event loop) and report through signals.

Signals (RenameVmDialog): renamed(str vm_id, str new_name)
Signals (DeleteVmDialog): deleted(str vm_id, str name) when the VM is gone, or
deleting(str vm_id, str name) when the job that deletes it with its disks has started
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.bridge import Bridge
from hvlab.gui.settings.fields import message_label, show_message

#: Why "Also delete the virtual hard disk files" is disabled when there is nothing to delete.
NO_DISK_FILES = ("This virtual machine has no virtual hard disk file of its own to delete: "
                 "none exists (an in-memory lab keeps no files), or another virtual machine "
                 "uses it.")


class _VmDialog(QDialog):
    """A dialog about one VM, read when it opens (HvError if the VM is gone)."""

    def __init__(self, bridge: Bridge, vm_id: str, name: ids.UiName, icon_name: str,
                 title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        dialogs.dress(self, name, icon_name, title)
        self.bridge = bridge
        self.vm_id = vm_id
        self.info = bridge.api.vm(vm_id)


class RenameVmDialog(_VmDialog):
    renamed = Signal(str, str)

    def __init__(self, bridge: Bridge, vm_id: str, parent: QWidget | None = None) -> None:
        super().__init__(bridge, vm_id, ids.RENAME_DIALOG, "rename", "Rename Virtual Machine",
                         parent)
        info = self.info
        self.old_name = info.name
        intro = QLabel(f"Type a new name for the virtual machine '{info.name}' on "
                       f"{info.host_name}.")
        intro.setWordWrap(True)
        self.name = QLineEdit(info.name)
        ids.apply(self.name, ids.RENAME_NAME)
        self.name.selectAll()
        self.message = message_label(self.name)
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton("Rename", QDialogButtonBox.ButtonRole.AcceptRole)
        ids.apply(self.ok_button, ids.RENAME_OK)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        ids.apply(cancel, ids.RENAME_CANCEL)
        self.buttons.accepted.connect(self.rename)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.name)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self._check)
        self._check()
        self.resize(max(self.sizeHint().width(), 440), self.sizeHint().height())

    def _check(self) -> str:
        """The engine's objection to the typed name ("" if none); Rename follows it."""
        name = self.name.text()
        reason = ""
        if name != self.old_name:
            try:
                self.bridge.api.validate_vm_changes(self.vm_id, name=name)
            except HvError as err:
                reason = err.message
        self.ok_button.setEnabled(not reason and name != self.old_name)
        show_message(self.message, reason)
        return reason

    def rename(self) -> bool:
        name = self.name.text()
        if self._check() or name == self.old_name:
            return False
        try:
            self.bridge.call(self.bridge.api.rename, self.vm_id, name)
        except HvError as err:  # e.g. the VM changed state meanwhile: keep what was typed
            show_message(self.message, err.text)
            return False
        self.renamed.emit(self.vm_id, name)
        self.accept()
        return True


class DeleteVmDialog(_VmDialog):
    deleted = Signal(str, str)
    deleting = Signal(str, str)

    def __init__(self, bridge: Bridge, vm_id: str, parent: QWidget | None = None) -> None:
        super().__init__(bridge, vm_id, ids.DELETE_DIALOG, "delete",
                         "Delete Selected Virtual Machine", parent)
        info = self.info
        self.name = info.name
        cfg = info.config
        e = html.escape
        removed = ["its configuration (the settings you see in Settings…)"]
        if info.has_saved_state:
            removed.append("its saved state")
        question = QLabel(f"<b>Are you sure you want to delete the virtual machine "
                          f"'{e(info.name)}'?</b>")
        question.setTextFormat(Qt.TextFormat.RichText)
        question.setWordWrap(True)
        what = QLabel(f"Deleting it removes {', and '.join(removed)} from {e(info.host_name)}.")
        what.setWordWrap(True)
        self.files = bridge.api.vm_disk_files(vm_id)
        disks = [d.path for d in cfg.hard_drives]
        if self.files:
            kept = ("Its virtual hard disks are kept unless you tick the box below; these "
                    "files would be deleted:")
        elif disks:
            kept = "Its virtual hard disks are not deleted: " + ", ".join(disks) + "."
        else:
            kept = "It has no virtual hard disks."
        self.disks_text = QLabel(kept)
        self.disks_text.setWordWrap(True)
        self.file_list = QListWidget()
        ids.apply(self.file_list, ids.DELETE_DISK_FILES)
        self.file_list.addItems(self.files)
        self.file_list.setVisible(bool(self.files))
        self.file_list.setMaximumHeight(96)
        self.delete_disks = QCheckBox("Also delete the virtual hard disk files")
        ids.apply(self.delete_disks, ids.DELETE_DISKS)
        self.delete_disks.setEnabled(bool(self.files))
        self.delete_disks.setToolTip(
            "Deleting the files is a job: follow it, or cancel it, in the jobs panel; a "
            "cancelled job keeps the virtual machine and every file." if self.files
            else NO_DISK_FILES)
        self.message = message_label()
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton("Delete", QDialogButtonBox.ButtonRole.AcceptRole)
        ids.apply(self.ok_button, ids.DELETE_OK)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        ids.apply(cancel, ids.DELETE_CANCEL)
        cancel.setDefault(True)
        self.buttons.accepted.connect(self.delete)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(what)
        layout.addWidget(self.disks_text)
        layout.addWidget(self.file_list)
        layout.addWidget(self.delete_disks)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(480, self.sizeHint().height())

    def delete(self) -> bool:
        with_disks = self.delete_disks.isEnabled() and self.delete_disks.isChecked()
        try:
            if with_disks:
                self.bridge.call(self.bridge.api.delete_vm_and_disks, self.vm_id)
            else:
                self.bridge.call(self.bridge.api.delete_vm, self.vm_id)
        except HvError as err:
            show_message(self.message, err.text)
            return False
        (self.deleting if with_disks else self.deleted).emit(self.vm_id, self.name)
        self.accept()
        return True
