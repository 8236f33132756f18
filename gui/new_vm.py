"""New ▸ Virtual Machine…: a one-page dialog until the New Virtual Machine Wizard arrives.

It asks for what a VM needs to boot (name, guest OS, generation, startup memory, virtual
processors, group) and calls ``ManagementApi.create_vm``. The engine validates: its error
(naming the field, in Hyper-V's words) is shown in the dialog, which stays open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.errors import HvError
from gui import ids
from gui.bridge import Bridge
from gui.icons import icon

if TYPE_CHECKING:
    from engine.views import VmInfo

DEFAULT_NAME = "New Virtual Machine"


class NewVmDialog(QDialog):
    """Signals:
        created(str vm_id)
    """

    created = Signal(str)

    def __init__(self, bridge: Bridge, host_id: str | None, groups: list[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.NEW_VM_DIALOG)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("New Virtual Machine")
        self.setWindowIcon(icon("new-vm"))
        self.bridge = bridge
        api = bridge.api
        host = api.host(host_id)
        self.host_id = host.id

        intro = QLabel(f"Create a virtual machine on {host.name}. It gets a virtual hard "
                       "disk with the chosen operating system installed.")
        intro.setWordWrap(True)
        self.name = QLineEdit(self._free_name(api.vms()))
        ids.apply(self.name, ids.NEW_VM_NAME)
        self.guest_os = QComboBox()
        ids.apply(self.guest_os, ids.NEW_VM_GUEST_OS)
        for guest in api.guest_os_list():
            self.guest_os.addItem(guest.name, guest.id)
            i = self.guest_os.count() - 1
            self.guest_os.setItemData(i, guest.note or guest.kernel, Qt.ItemDataRole.ToolTipRole)
        self.generation = QComboBox()
        ids.apply(self.generation, ids.NEW_VM_GENERATION)
        for g in host.generations:
            self.generation.addItem(f"Generation {g}", g)
        self.memory = QSpinBox()
        ids.apply(self.memory, ids.NEW_VM_MEMORY)
        self.memory.setRange(32, 1_048_576)
        self.memory.setSingleStep(256)
        self.memory.setValue(1024)
        self.memory.setSuffix(" MB")
        self.cpus = QSpinBox()
        ids.apply(self.cpus, ids.NEW_VM_CPUS)
        self.cpus.setRange(1, 64)
        self.group = QComboBox()
        ids.apply(self.group, ids.NEW_VM_GROUP)
        self.group.setEditable(True)
        self.group.addItem("")
        self.group.addItems(groups)
        line_edit = self.group.lineEdit()
        if line_edit is not None:
            ids.apply(line_edit, ids.NEW_VM_GROUP_EDIT)
            line_edit.setPlaceholderText("No group")
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d32f2f;")
        self.error.hide()

        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("Guest &operating system:", self.guest_os)
        form.addRow("G&eneration:", self.generation)
        form.addRow("Startup &memory:", self.memory)
        form.addRow("Virtual &processors:", self.cpus)
        form.addRow("&Group:", self.group)
        buttons = QDialogButtonBox()
        self.create_button = buttons.addButton("Create", QDialogButtonBox.ButtonRole.AcceptRole)
        ids.apply(self.create_button, ids.NEW_VM_OK)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        ids.apply(cancel, ids.NEW_VM_CANCEL)
        buttons.accepted.connect(self.create_vm)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(460, self.sizeHint().height())

    @staticmethod
    def _free_name(vms: list[VmInfo]) -> str:
        taken = {v.name.casefold() for v in vms}
        if DEFAULT_NAME.casefold() not in taken:
            return DEFAULT_NAME
        n = 2
        while f"{DEFAULT_NAME} {n}".casefold() in taken:
            n += 1
        return f"{DEFAULT_NAME} {n}"

    def create_vm(self) -> str | None:
        """Create the VM; returns its id, or None after showing the engine's error."""
        name = self.name.text().strip()
        generation = int(self.generation.currentData() or 1)
        controller = "IDE" if generation == 1 else "SCSI"
        disk = {"controller": controller, "controller_number": 0, "location": 0,
                "path": f"{name}.vhd", "bootable": True}
        try:
            info = self.bridge.call(
                self.bridge.api.create_vm, name, host=self.host_id,
                guest_os=self.guest_os.currentData(), generation=generation,
                memory_startup_mb=self.memory.value(), cpu_count=self.cpus.value(),
                group=self.group.currentText().strip(), hard_drives=[disk])
        except HvError as err:
            self.error.setText(err.text)
            self.error.show()
            return None
        self.created.emit(info.id)
        self.accept()
        return info.id
