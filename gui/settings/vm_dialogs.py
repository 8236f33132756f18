"""Rename… and Delete… for one virtual machine.

Rename checks the new name with the engine as it is typed (the same dry run the settings
dialog uses) and keeps Rename disabled, with the reason under the field, while the engine
would refuse it. Delete says what goes: the configuration, the saved state if there is one,
and, when virtual hard disk files exist, optionally the disks. Until the storage work creates
real files the disks are recorded in the configuration only, so that option is shown but
disabled, with the reason.

Both open with ``open()`` (window-modal, no nested event loop) and report through signals.

Signals (RenameVmDialog): renamed(str vm_id, str new_name)
Signals (DeleteVmDialog): deleted(str vm_id, str name)
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
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.bridge import Bridge
from hvlab.gui.settings.fields import message_label, show_message

#: Why "Also delete the virtual hard disk files" is disabled for now.
DISKS_NOT_YET = ("hvlab records virtual hard disks in the configuration only until the "
                 "storage work creates real files, so there are no files to delete yet.")


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
        disks = [d.path for d in cfg.hard_drives]
        kept = (("Its virtual hard disks are not deleted: " + ", ".join(disks) + ".")
                if disks else "It has no virtual hard disks.")
        self.disks_text = QLabel(kept)
        self.disks_text.setWordWrap(True)
        self.delete_disks = QCheckBox("Also delete the virtual hard disk files")
        ids.apply(self.delete_disks, ids.DELETE_DISKS)
        self.delete_disks.setEnabled(False)
        self.delete_disks.setToolTip(DISKS_NOT_YET)
        note = QLabel(DISKS_NOT_YET)
        note.setWordWrap(True)
        note.setProperty("role", "note")
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
        layout.addWidget(self.delete_disks)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(480, self.sizeHint().height())

    def delete(self) -> bool:
        # Storage hook: when VHD files exist, delete them here if self.delete_disks is
        # checked (after the configuration, so a failure leaves the VM as it was).
        try:
            self.bridge.call(self.bridge.api.delete_vm, self.vm_id)
        except HvError as err:
            show_message(self.message, err.text)
            return False
        self.deleted.emit(self.vm_id, self.name)
        self.accept()
        return True
