"""Management pages (Name, Integration Services, Checkpoints, Smart Paging File Location,
Automatic Start and Stop Actions) and hvlab's Guest page.

The Guest page is hvlab's own: which simulated operating system runs in the VM, whether its
integration services are installed, and the workload it runs. Hyper-V has no such settings
(they describe the guest, not the virtual hardware or its management), so they sit in a
third section of the tree, "Guest (hvlab)", rather than among Hyper-V's pages, where a
trainer would have to explain that Hyper-V does not have them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from hvlab.engine.api import INTEGRATION_SERVICES, WORKLOADS, StartAction, StopAction
from hvlab.gui import ids
from hvlab.gui.settings.fields import Page, spin
from hvlab.gui.settings.model import SettingsModel

START_TEXT = {
    StartAction.NOTHING: "None",
    StartAction.START_IF_RUNNING: "Restart if previously running",
    StartAction.START: "Always start",
}
STOP_TEXT = {StopAction.SAVE: "Save", StopAction.TURN_OFF: "Turn off",
             StopAction.SHUT_DOWN: "Shut down"}


def _line(name: ids.UiName, width_chars: int = 48) -> QLineEdit:
    edit = QLineEdit()
    ids.apply(edit, name)
    edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("x" * width_chars))
    return edit


class NamePage(Page):
    fields = ("name", "notes", "group")

    def __init__(self, model: SettingsModel) -> None:
        super().__init__(
            model, "name", "Name",
            "You can edit the name of this virtual machine. The name is displayed in Hyper-V "
            "Manager. We recommend that you use a name that helps you easily identify this "
            "virtual machine, such as the name of the guest operating system or workload.")
        grid = self.grid()
        self.name = _line(ids.VM_NAME)
        self.add_row(grid, "&Name:", self.name, self.bind_line("name", self.name))
        self.layout_.addWidget(self.text(
            "Notes: type notes about this virtual machine, such as its purpose or contact "
            "information."))
        self.notes = QPlainTextEdit()
        ids.apply(self.notes, ids.VM_NOTES)
        self.notes.setTabChangesFocus(True)
        b = self.bind_plain("notes", self.notes)
        self.layout_.addWidget(self.notes, 1)
        self.layout_.addWidget(b.message)
        grid = self.grid()
        self.group = _line(ids.VM_GROUP, 24)
        self.group.setPlaceholderText("No group")
        self.add_row(grid, "&Group (hvlab):", self.group, self.bind_line("group", self.group))

    def subtitle(self) -> str:
        return str(self.model.value("name"))


class IntegrationServicesPage(Page):
    fields = ("integration_services",)

    def __init__(self, model: SettingsModel) -> None:
        super().__init__(
            model, "integration_services", "Integration Services",
            "Select the services that you want Hyper-V to offer to this virtual machine. To "
            "use the services you select, they must be supported by the guest operating "
            "system.")
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        self.boxes: dict[str, QCheckBox] = {}
        self.status: dict[str, QLabel] = {}
        offered = {k: v for k, v in INTEGRATION_SERVICES.items()
                   if k != "guest_services" or model.profile.features.guest_services}
        for row, (key, label) in enumerate(offered.items()):
            box = QCheckBox(label)
            ids.apply(box, ids.settings_service(key, label))
            self.boxes[key] = box
            status = QLabel("")
            status.setProperty("role", "fieldNote")
            self.status[key] = status
            grid.addWidget(box, row, 0)
            grid.addWidget(status, row, 1)
        self.layout_.addLayout(grid)
        b = self.bind("integration_services", list(self.boxes.values()), self._read,
                      self._write, *(box.toggled for box in self.boxes.values()))
        self.layout_.addWidget(b.message)
        self.layout_.addStretch(1)

    def _read(self) -> frozenset[str]:
        # Services this release lacks are not shown and stay as they are (off).
        hidden = set(self.model.value("integration_services")) - set(self.boxes)
        return frozenset(k for k, box in self.boxes.items() if box.isChecked()) | hidden

    def _write(self, value: Any) -> None:
        for k, box in self.boxes.items():
            box.setChecked(k in value)

    def refresh(self) -> None:
        super().refresh()
        statuses = dict(self.model.info.integration_services)
        for key in self.boxes:
            text = statuses.get(INTEGRATION_SERVICES[key], "")
            self.status[key].setText(f"({text})" if text and text != "Disabled" else "")

    def subtitle(self) -> str:
        offered = self.model.value("integration_services")
        if len(offered) >= len(self.boxes):
            return "All services offered"
        return "No services offered" if not offered else "Some services offered"


class CheckpointsPage(Page):
    fields = ("checkpoint_location",)

    def __init__(self, model: SettingsModel) -> None:
        say = model.profile.words.say  # "Snapshot File Location" on 2008 and 2008 R2
        super().__init__(
            model, "checkpoints", model.profile.words.checkpoints_page,
            say("Specify the folder for storing checkpoint files for this virtual machine."))
        grid = self.grid()
        self.location = _line(ids.CHECKPOINT_LOCATION)
        self.location.setPlaceholderText(model.host.virtual_machine_path)
        self.add_row(grid, say("Checkpoint File &Location:"), self.location,
                     self.bind_line("checkpoint_location", self.location))
        self.layout_.addWidget(self.text(say(
            "Checkpoint type: Standard checkpoints, the only kind this version of Hyper-V "
            "has (production checkpoints arrived with Windows Server 2016). The folder can "
            "be changed only while the virtual machine is Off."), note=True))
        self.layout_.addStretch(1)

    def subtitle(self) -> str:
        return str(self.model.value("checkpoint_location")) or "Virtual machine folder"


class SmartPagingPage(Page):
    fields = ("smart_paging_location",)

    def __init__(self, model: SettingsModel) -> None:
        super().__init__(
            model, "smart_paging", "Smart Paging File Location",
            "Specify the folder for storing the Smart Paging file for this virtual machine. "
            "Hyper-V uses it while a virtual machine with Dynamic Memory restarts and the host "
            "is short of memory; it is deleted once the virtual machine has started.")
        grid = self.grid()
        self.location = _line(ids.SMART_PAGING_LOCATION)
        self.location.setPlaceholderText(model.host.virtual_machine_path)
        self.add_row(grid, "Smart Paging File &Location:", self.location,
                     self.bind_line("smart_paging_location", self.location))
        self.layout_.addStretch(1)

    def subtitle(self) -> str:
        return str(self.model.value("smart_paging_location")) or "Virtual machine folder"


class AutomaticStartPage(Page):
    fields = ("automatic_start_action", "automatic_start_delay_s")

    def __init__(self, model: SettingsModel) -> None:
        super().__init__(
            model, "automatic_start", "Automatic Start Action",
            "What do you want this virtual machine to do when the physical computer starts?")
        self.add_radios("automatic_start_action", [
            (StartAction.NOTHING, ids.START_NOTHING),
            (StartAction.START_IF_RUNNING, ids.START_IF_RUNNING),
            (StartAction.START, ids.START_ALWAYS)])
        delay = QGroupBox("Automatic start delay")
        v = QVBoxLayout(delay)
        v.addWidget(self.text("Specify a startup delay to reduce resource contention between "
                              "virtual machines (0 to 86,400 seconds)."))
        self.delay = spin(ids.START_DELAY, " s")
        self.add_row(self.grid(v), "Startup &delay:", self.delay,
                     self.bind_spin("automatic_start_delay_s", self.delay))
        self.layout_.addWidget(delay)
        self.layout_.addStretch(1)

    def subtitle(self) -> str:
        return START_TEXT.get(self.model.value("automatic_start_action"), "")


class AutomaticStopPage(Page):
    fields = ("automatic_stop_action",)

    def __init__(self, model: SettingsModel) -> None:
        super().__init__(
            model, "automatic_stop", "Automatic Stop Action",
            "What do you want this virtual machine to do when the physical computer shuts "
            "down?")
        self.add_radios("automatic_stop_action", [
            (StopAction.SAVE, ids.STOP_SAVE), (StopAction.TURN_OFF, ids.STOP_TURN_OFF),
            (StopAction.SHUT_DOWN, ids.STOP_SHUT_DOWN)])
        self.layout_.addWidget(self.text(
            "Shut down needs the guest's Operating system shutdown integration service; "
            "without it the virtual machine is turned off.", note=True))
        self.layout_.addStretch(1)

    def subtitle(self) -> str:
        return STOP_TEXT.get(self.model.value("automatic_stop_action"), "")


class GuestPage(Page):
    """hvlab: the simulated guest operating system and its workload."""

    fields = ("guest_os", "guest_is_installed", "workload", "workload_cpu_pct",
              "workload_disk_iops", "workload_net_mbit", "workload_dirty_pages")

    def __init__(self, model: SettingsModel) -> None:
        super().__init__(
            model, "guest", "Operating System and Workload",
            "hvlab simulates the guest: choose the operating system installed on the virtual "
            "hard disk and the work it does once it runs. Hyper-V has no such settings.")
        grid = self.grid()
        self.os = QComboBox()
        ids.apply(self.os, ids.GUEST_OS)
        for guest in model.api.guest_os_list():
            self.os.addItem(guest.name, guest.id)
        self.add_row(grid, "Guest &operating system:", self.os, self.bind_combo("guest_os",
                                                                               self.os))
        self.installed = QCheckBox("Integration services are installed in the guest")
        ids.apply(self.installed, ids.GUEST_INSTALLED)
        b = self.bind_check("guest_is_installed", self.installed)
        self.layout_.addWidget(self.installed)
        self.layout_.addWidget(b.message)
        group = QGroupBox("Workload")
        v = QVBoxLayout(group)
        wgrid = self.grid(v)
        self.workload = QComboBox()
        ids.apply(self.workload, ids.WORKLOAD)
        for kind in WORKLOADS.values():
            self.workload.addItem(kind.name, kind.id)
        self.add_row(wgrid, "&Workload:", self.workload, self.bind_combo("workload",
                                                                         self.workload))
        v.addWidget(self.text("A custom workload uses the numbers below; the others have "
                              "their own."))
        cgrid = self.grid(v)
        self.custom = []
        for field, name, label, suffix in (
                ("workload_cpu_pct", ids.WORKLOAD_CPU, "&Processor use:", " %"),
                ("workload_disk_iops", ids.WORKLOAD_DISK, "&Disk operations:", " IOPS"),
                ("workload_net_mbit", ids.WORKLOAD_NET, "&Network traffic:", " Mbit/s"),
                ("workload_dirty_pages", ids.WORKLOAD_DIRTY, "&Memory pages written:", " /s")):
            box = spin(name, suffix)
            binding = self.bind_spin(field, box)
            self.custom.append(binding)
            self.add_row(cgrid, label, box, binding)
        self.layout_.addWidget(group)
        self.layout_.addStretch(1)

    def refresh(self) -> None:
        custom = self.model.value("workload") == "custom"
        for b in self.custom:
            b.disabled_reason = "" if custom else "Choose the Custom workload to set this."
        super().refresh()

    def subtitle(self) -> str:
        kind = WORKLOADS.get(str(self.model.value("workload")))
        return kind.name if kind else ""
