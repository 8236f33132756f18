"""The New Virtual Machine Wizard's pages, as panels the wizard shows one at a time (guided)
or all together (expert mode). Each panel reads its part of the choices from its widgets,
which keep what the user typed, and shows the messages the wizard gives it under the fields.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import GuestOs, HostInfo
from hvlab.gui import ids
from hvlab.gui.forms import caption
from hvlab.gui.settings.fields import message_label, note_label, plain_label, show_message
from hvlab.gui.wizard.choices import PAGE_TITLES, NewVmChoices, join_path


def _text(text: str, note: bool = False) -> QLabel:
    return note_label(text) if note else plain_label(text)


def _line(name: ids.UiName, text: str = "", chars: int = 44) -> QLineEdit:
    edit = QLineEdit(text)
    ids.apply(edit, name)
    edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("x" * chars))
    return edit


def _radio(name: ids.UiName, text: str | None = None) -> QRadioButton:
    radio = QRadioButton(text or name.accessible_name)
    ids.apply(radio, name)
    return radio


class Panel(QWidget):
    """One wizard page.

    Signals:
        edited(): the user changed something on it.
    """

    edited = Signal()
    key = ""

    def __init__(self, description: str = "") -> None:
        super().__init__()
        self.setObjectName(f"newVmPage_{self.key}")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 8)
        self.layout_.setSpacing(8)
        self.heading = QLabel(PAGE_TITLES[self.key])
        self.heading.setProperty("role", "sectionHeader")
        self.layout_.addWidget(self.heading)
        self.description = _text(description) if description else None
        if self.description is not None:
            self.layout_.addWidget(self.description)
        self.messages: dict[str, QLabel] = {}

    def message(self, slot: str, owner: QWidget | None = None) -> QLabel:
        label = message_label(owner)
        self.messages[slot] = label
        return label

    def add_field(self, text: str, field: QWidget, slot: str, *,
                  indent: bool = False) -> None:
        """``field`` after its caption on a row of its own, its message (``slot``) under it.
        Indented under a choice it fills the row; else it keeps its width."""
        row = QHBoxLayout()
        if indent:
            row.setContentsMargins(24, 0, 0, 0)
        row.addWidget(caption(text, field))
        row.addWidget(field, 1 if indent else 0)
        if not indent:
            row.addStretch(1)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.message(slot, field))

    def show_messages(self, messages: dict[str, str]) -> None:
        for slot, label in self.messages.items():
            show_message(label, messages.get(slot, ""))

    def read(self, c: NewVmChoices) -> None:
        """Write this page's part of the choices."""

    def expert(self, on: bool) -> None:
        """Expert mode shows every page at once: long explanations are left out there."""
        if self.description is not None:
            self.description.setVisible(not on)


class IntroPanel(Panel):
    key = "intro"

    def __init__(self, skip: bool) -> None:
        super().__init__(
            "This wizard helps you create a virtual machine. You can use virtual machines in "
            "place of physical computers for a variety of uses. You can use this wizard to "
            "configure the virtual machine now, and you can change the configuration later "
            "using Hyper-V Manager.")
        self.layout_.addWidget(_text(
            "To create a virtual machine, do one of the following:\n\n"
            "•  Click Finish to create a virtual machine that is configured with default "
            "values.\n"
            "•  Click Next to create a virtual machine with a custom configuration.\n\n"
            "Expert Mode shows every setting of the wizard on one page."))
        self.layout_.addStretch(1)
        self.skip = QCheckBox("Do not show this page again")
        ids.apply(self.skip, ids.WIZARD_SKIP_INTRO)
        self.skip.setChecked(skip)
        self.layout_.addWidget(self.skip)


class NamePanel(Panel):
    key = "name"

    def __init__(self, name: str, host: HostInfo, groups: list[str]) -> None:
        super().__init__(
            "Choose a name and location for this virtual machine. The name is displayed in "
            "Hyper-V Manager. We recommend that you use a name that helps you easily identify "
            "this virtual machine, such as the name of the guest operating system or workload.")
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        self.name = _line(ids.NEW_VM_NAME, name)
        grid.addWidget(caption("&Name:", self.name), 0, 0)
        grid.addWidget(self.name, 0, 1)
        grid.addWidget(self.message("name", self.name), 1, 1)
        self.group = QComboBox()
        ids.apply(self.group, ids.NEW_VM_GROUP)
        self.group.setEditable(True)
        self.group.addItem("")
        self.group.addItems(groups)
        self.group.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 24))
        edit = self.group.lineEdit()
        if edit is not None:
            ids.apply(edit, ids.NEW_VM_GROUP_EDIT)
            edit.setPlaceholderText("No group")
        grid.addWidget(caption("&Group (hvlab):", self.group), 2, 0)
        grid.addWidget(self.group, 2, 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.message("group", self.group), 3, 1)
        self.layout_.addLayout(grid)
        self.where = _text(
            "You can create a folder or use an existing folder to store the virtual machine. "
            "If you don't select a folder, the virtual machine is stored in the default folder "
            f"configured for this server ({host.virtual_machine_path}).")
        self.layout_.addWidget(self.where)
        self.elsewhere = QCheckBox("Store the virtual machine in a different location")
        ids.apply(self.elsewhere, ids.WIZARD_STORE_ELSEWHERE)
        self.location = _line(ids.WIZARD_LOCATION, host.virtual_machine_path)
        self.location.setEnabled(False)
        self.layout_.addWidget(self.elsewhere)
        self.add_field("&Location:", self.location, "location", indent=True)
        self.layout_.addStretch(1)
        self.name.textEdited.connect(self.edited)
        self.group.editTextChanged.connect(self.edited)
        self.elsewhere.toggled.connect(self._on_elsewhere)
        self.location.textEdited.connect(self.edited)

    def _on_elsewhere(self, on: bool) -> None:
        self.location.setEnabled(on)
        self.edited.emit()

    def read(self, c: NewVmChoices) -> None:
        c.name = self.name.text()
        c.group = self.group.currentText().strip()
        c.store_elsewhere = self.elsewhere.isChecked()
        c.location = self.location.text()

    def expert(self, on: bool) -> None:
        super().expert(on)
        self.where.setVisible(not on)


class GenerationPanel(Panel):
    key = "generation"

    def __init__(self) -> None:
        super().__init__("Choose the generation of this virtual machine.")
        self.gen1 = _radio(ids.WIZARD_GENERATION_1)
        self.gen2 = _radio(ids.WIZARD_GENERATION_2)
        group = QButtonGroup(self)
        group.addButton(self.gen1)
        group.addButton(self.gen2)
        self.gen1.setChecked(True)
        self.layout_.addWidget(self.gen1)
        self.gen1_text = _text("This virtual machine generation provides the same virtual "
                               "hardware to the virtual machine as in previous versions of "
                               "Hyper-V: legacy BIOS, IDE boot disk, emulated devices.")
        self.layout_.addWidget(self.gen1_text)
        self.layout_.addWidget(self.gen2)
        self.gen2_text = _text("This virtual machine generation provides support for newer "
                               "virtualization features, has UEFI-based firmware, and requires "
                               "a supported 64-bit guest operating system.")
        self.layout_.addWidget(self.gen2_text)
        self.layout_.addWidget(self.message("generation", self.gen1))
        self.layout_.addWidget(_text(
            "Once a virtual machine has been created, you cannot change its generation.",
            note=True))
        self.layout_.addStretch(1)
        self.gen1.toggled.connect(lambda _on: self.edited.emit())

    def read(self, c: NewVmChoices) -> None:
        c.generation = 2 if self.gen2.isChecked() else 1

    def expert(self, on: bool) -> None:
        super().expert(on)
        self.gen1_text.setVisible(not on)
        self.gen2_text.setVisible(not on)


class MemoryPanel(Panel):
    key = "memory"

    def __init__(self, host: HostInfo, ram_limit_mb: int) -> None:
        super().__init__(
            "Specify the amount of memory to allocate to this virtual machine. You can "
            f"specify an amount from 32 MB through {ram_limit_mb:,} MB. To improve "
            "performance, specify more than the minimum amount recommended for the operating "
            "system.")
        self.memory = QSpinBox()
        ids.apply(self.memory, ids.NEW_VM_MEMORY)
        self.memory.setRange(0, 2_147_483_647)
        self.memory.setSingleStep(256)
        self.memory.setValue(1024)
        self.memory.setSuffix(" MB")
        self.memory.setMinimumWidth(self.fontMetrics().horizontalAdvance("000000000 MB") + 30)
        self.add_field("Startup &memory:", self.memory, "memory")
        self.dynamic = QCheckBox("Use Dynamic Memory for this virtual machine")
        ids.apply(self.dynamic, ids.WIZARD_DYNAMIC_MEMORY)
        self.layout_.addWidget(self.dynamic)
        if not host.dynamic_memory_supported:
            self.dynamic.setEnabled(False)
            self.dynamic.setToolTip(f"{host.profile_name} does not support Dynamic Memory.")
            self.layout_.addWidget(_text(f"{host.profile_name} does not support Dynamic "
                                         "Memory.", note=True))
        self.layout_.addWidget(self.message("dynamic", self.dynamic))
        self.fit = _text("")
        self.fit.setObjectName("newVmMemoryFit")
        self.layout_.addWidget(self.fit)
        self.layout_.addStretch(1)
        self.memory.valueChanged.connect(lambda _v: self.edited.emit())
        self.dynamic.toggled.connect(lambda _on: self.edited.emit())

    def read(self, c: NewVmChoices) -> None:
        c.memory_mb = self.memory.value()
        c.dynamic_memory = self.dynamic.isChecked()


class NetworkPanel(Panel):
    key = "network"

    def __init__(self, switches: list[tuple[str, str]]) -> None:
        super().__init__(
            "Each new virtual machine includes a network adapter. You can configure the "
            "network adapter to use a virtual switch, or it can remain disconnected.")
        self.switch = QComboBox()
        ids.apply(self.switch, ids.WIZARD_SWITCH)
        self.switch.addItem("Not Connected", None)
        for name, kind in switches:
            self.switch.addItem(f"{name} ({kind})", name)
        self.switch.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 32))
        self.add_field("&Connection:", self.switch, "switch")
        if not switches:
            self.layout_.addWidget(_text(
                "This host has no virtual switches yet: create one with Virtual Switch "
                "Manager, then connect the adapter in the virtual machine's settings.",
                note=True))
        self.layout_.addStretch(1)
        self.switch.currentIndexChanged.connect(lambda _i: self.edited.emit())

    def read(self, c: NewVmChoices) -> None:
        c.switch = self.switch.currentData()


class DiskPanel(Panel):
    key = "disk"

    def __init__(self, vhd_folder: str, vm_name: str, vhd_max_gb: int) -> None:
        super().__init__(
            "A virtual machine requires storage so that you can install an operating system. "
            "You can specify the storage now or configure it later by modifying the virtual "
            "machine's properties.")
        self.new = _radio(ids.WIZARD_DISK_NEW)
        self.existing = _radio(ids.WIZARD_DISK_EXISTING)
        self.later = _radio(ids.WIZARD_DISK_LATER)
        group = QButtonGroup(self)
        for r in (self.new, self.existing, self.later):
            group.addButton(r)
        self.new.setChecked(True)
        self.name_touched = False
        self.disk_name = _line(ids.WIZARD_DISK_NAME, f"{vm_name}.vhd")
        self.disk_location = _line(ids.WIZARD_DISK_LOCATION, vhd_folder)
        self.size_gb = QSpinBox()
        ids.apply(self.size_gb, ids.WIZARD_DISK_SIZE)
        self.size_gb.setRange(0, 2_147_483_647)
        self.size_gb.setValue(127)
        self.size_gb.setSuffix(" GB")
        self.size_gb.setMinimumWidth(self.fontMetrics().horizontalAdvance("0000000000 GB") + 30)
        self.disk_path = _line(ids.WIZARD_DISK_PATH,
                               join_path(vhd_folder, "disk.vhd"))
        self.layout_.addWidget(self.new)
        grid = QGridLayout()
        grid.setContentsMargins(24, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        for row, (text, editor, slot) in enumerate((
                ("N&ame:", self.disk_name, "disk_name"),
                ("&Location:", self.disk_location, "disk_location"),
                ("&Size:", self.size_gb, "disk_size"))):
            grid.addWidget(caption(text, editor), row * 2, 0)
            if editor is self.size_gb:
                grid.addWidget(editor, row * 2, 1, Qt.AlignmentFlag.AlignLeft)
            else:
                grid.addWidget(editor, row * 2, 1)
            grid.addWidget(self.message(slot, editor), row * 2 + 1, 1)
        self.layout_.addLayout(grid)
        self.size_note = _text(f"A dynamically expanding VHD of 1 to {vhd_max_gb:,} GB, created "
                               "with the virtual machine.", note=True)
        self.layout_.addWidget(self.size_note)
        self.layout_.addWidget(self.existing)
        self.add_field("&Path:", self.disk_path, "disk_path", indent=True)
        self.layout_.addWidget(self.later)
        self.layout_.addStretch(1)
        for r in (self.new, self.existing, self.later):
            r.toggled.connect(self._on_mode)
        self.disk_name.textEdited.connect(self._on_name_edited)
        self.disk_location.textEdited.connect(self.edited)
        self.size_gb.valueChanged.connect(lambda _v: self.edited.emit())
        self.disk_path.textEdited.connect(self.edited)
        self._on_mode(True)

    def _on_name_edited(self) -> None:
        self.name_touched = True
        self.edited.emit()

    def follow_vm_name(self, vm_name: str) -> None:
        """The disk is named after the VM until the user names it."""
        if not self.name_touched:
            self.disk_name.setText(f"{vm_name}.vhd")

    def _on_mode(self, _on: bool) -> None:
        new = self.new.isChecked()
        for w in (self.disk_name, self.disk_location, self.size_gb):
            w.setEnabled(new)
        self.disk_path.setEnabled(self.existing.isChecked())
        self.edited.emit()

    def read(self, c: NewVmChoices) -> None:
        c.disk_mode = ("new" if self.new.isChecked() else
                       "existing" if self.existing.isChecked() else "later")
        c.disk_name = self.disk_name.text()
        c.disk_location = self.disk_location.text()
        c.disk_size_gb = self.size_gb.value()
        c.disk_path = self.disk_path.text()


class InstallPanel(Panel):
    key = "install"

    def __init__(self, guests: list[GuestOs]) -> None:
        super().__init__(
            "You can install an operating system now if you have access to the setup media, "
            "or you can install it later.")
        self.later = _radio(ids.WIZARD_INSTALL_LATER)
        self.image = _radio(ids.WIZARD_INSTALL_IMAGE)
        self.network = _radio(ids.WIZARD_INSTALL_NETWORK)
        group = QButtonGroup(self)
        for r in (self.later, self.image, self.network):
            group.addButton(r)
        self.later.setChecked(True)
        self.image_touched = False
        self.os_touched = False
        self.image_path = _line(ids.WIZARD_IMAGE_PATH, "")
        self.layout_.addWidget(self.later)
        self.layout_.addWidget(self.image)
        self.add_field("&Image file (.iso):", self.image_path, "image_path", indent=True)
        self.layout_.addWidget(self.network)
        self.layout_.addWidget(self.message("mode", self.network))
        self.guest_os = QComboBox()
        ids.apply(self.guest_os, ids.NEW_VM_GUEST_OS)
        for guest in guests:
            self.guest_os.addItem(guest.name, guest.id)
            self.guest_os.setItemData(self.guest_os.count() - 1, guest.note or guest.kernel,
                                      Qt.ItemDataRole.ToolTipRole)
        self.guests = {g.id: g for g in guests}
        self.add_field("Guest &operating system:", self.guest_os, "guest_os")
        self.os_text = _text(
            "hvlab simulates the guest: this is the system that installs from the image or "
            "the network (at once, when the virtual machine first starts), or that you will "
            "install later.", note=True)
        self.layout_.addWidget(self.os_text)
        self.layout_.addStretch(1)
        for r in (self.later, self.image, self.network):
            r.toggled.connect(self._on_mode)
        self.image_path.textEdited.connect(self._on_image_edited)
        self.guest_os.currentIndexChanged.connect(self._on_os)
        self._on_mode(True)

    def _suggested_image(self) -> str:
        # In the platform's path style, like every other path field.
        return os.path.join(os.path.expanduser("~"), "ISO", f"{self.guest_os.currentData()}.iso")

    def _on_image_edited(self) -> None:
        self.image_touched = True
        self.edited.emit()

    def _on_os(self, _i: int) -> None:
        self.os_touched = True
        if not self.image_touched and self.image.isChecked():
            self.image_path.setText(self._suggested_image())
        self.edited.emit()

    def _on_mode(self, _on: bool) -> None:
        image = self.image.isChecked()
        self.image_path.setEnabled(image)
        if image and not self.image_path.text():
            self.image_path.setText(self._suggested_image())
        self.edited.emit()

    def suit_generation(self, generation: int) -> None:
        """Offer a guest that runs in ``generation`` until the user picks one."""
        if self.os_touched:
            return
        current = self.guests.get(str(self.guest_os.currentData()))
        if current is not None and generation in current.generations:
            return
        for i in range(self.guest_os.count()):
            if generation in self.guests[str(self.guest_os.itemData(i))].generations:
                self.guest_os.blockSignals(True)
                self.guest_os.setCurrentIndex(i)
                self.guest_os.blockSignals(False)
                if not self.image_touched and self.image.isChecked():
                    self.image_path.setText(self._suggested_image())
                return

    def read(self, c: NewVmChoices) -> None:
        c.install_mode = ("image" if self.image.isChecked() else
                          "network" if self.network.isChecked() else "later")
        c.image_path = self.image_path.text()
        c.guest_os = str(self.guest_os.currentData())

    def expert(self, on: bool) -> None:
        super().expert(on)
        self.os_text.setVisible(not on)


class SummaryPanel(Panel):
    key = "summary"

    def __init__(self) -> None:
        super().__init__("You have successfully completed the New Virtual Machine Wizard. You "
                         "are about to create the following virtual machine.")
        self.summary = QLabel("")
        ids.apply(self.summary, ids.WIZARD_SUMMARY)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.layout_.addWidget(self.summary)
        self.layout_.addWidget(_text("To create the virtual machine and close the wizard, "
                                     "click Finish."))
        self.layout_.addStretch(1)
