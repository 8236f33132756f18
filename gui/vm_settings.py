"""Settings… for a VM: read-only until the settings dialog has its own issue.

Shows the configuration the way Hyper-V's Settings dialog groups it (Hardware, Management),
and which fields are locked in the VM's current state, with the engine's reason.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.views import VmInfo
from gui import format as fmt
from gui import ids
from gui.icons import icon


class VmSettingsDialog(QDialog):
    def __init__(self, vm: VmInfo, locked: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.VM_SETTINGS_DIALOG)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Settings for {vm.name} on {vm.host_name}")
        self.setWindowIcon(icon("settings"))
        note = QLabel("These settings are read-only in this version of hvlab; the editable "
                      "Settings dialog arrives in a later version.")
        note.setWordWrap(True)
        note.setProperty("role", "note")
        self.tree = QTreeWidget()
        ids.apply(self.tree, ids.VM_SETTINGS_TREE)
        self.tree.setHeaderLabels(["Setting", "Value"])
        self.tree.setColumnWidth(0, 240)
        cfg = vm.config

        def section(title: str, icon_name: str) -> QTreeWidgetItem:
            item = QTreeWidgetItem([title, ""])
            item.setIcon(0, icon(icon_name))
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            self.tree.addTopLevelItem(item)
            return item

        def field(parent: QTreeWidgetItem, label: str, value: str, key: str = "") -> None:
            item = QTreeWidgetItem([label, value])
            if key and key in locked:
                item.setToolTip(1, locked[key])
                item.setToolTip(0, locked[key])
            parent.addChild(item)

        hw = section("Hardware", "vm")
        field(hw, "Generation", str(cfg.generation), "generation")
        field(hw, "Startup memory", fmt.megabytes_grouped(cfg.memory_startup_mb),
              "memory_startup_mb")
        field(hw, "Dynamic Memory", "Enabled" if cfg.dynamic_memory_enabled else "Disabled",
              "dynamic_memory_enabled")
        if cfg.dynamic_memory_enabled:
            field(hw, "Minimum memory", fmt.megabytes_grouped(cfg.memory_minimum_mb),
                  "memory_minimum_mb")
            field(hw, "Maximum memory", fmt.megabytes_grouped(cfg.memory_maximum_mb),
                  "memory_maximum_mb")
            field(hw, "Memory buffer", f"{cfg.memory_buffer_pct} %", "memory_buffer_pct")
        field(hw, "Memory weight", str(cfg.memory_weight), "memory_weight")
        field(hw, "Virtual processors", str(cfg.cpu_count), "cpu_count")
        field(hw, "Processor reserve", f"{cfg.cpu_reserve_pct} %", "cpu_reserve_pct")
        field(hw, "Processor limit", f"{cfg.cpu_limit_pct} %", "cpu_limit_pct")
        field(hw, "Processor weight", str(cfg.cpu_weight), "cpu_weight")
        for d in cfg.hard_drives:
            field(hw, f"{d.controller} Controller {d.controller_number}, location {d.location}",
                  d.path, "hard_drives")
        for n in cfg.network_adapters:
            kind = "Legacy Network Adapter" if n.legacy else "Network Adapter"
            field(hw, kind, n.switch or "Not connected", "network_adapters")
        mgmt = section("Management", "settings")
        field(mgmt, "Name", vm.name, "name")
        field(mgmt, "Guest operating system", vm.guest_os_name, "guest_os")
        field(mgmt, "Group", cfg.group or "None", "group")
        field(mgmt, "Notes", cfg.notes or "None", "notes")
        services = ", ".join(f"{label}: {status or 'off'}"
                             for label, status in vm.integration_services)
        field(mgmt, "Integration Services", services, "integration_services")
        field(mgmt, "Automatic Start Action", cfg.automatic_start_action.value,
              "automatic_start_action")
        field(mgmt, "Automatic Stop Action", cfg.automatic_stop_action.value,
              "automatic_stop_action")
        self.tree.expandAll()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        ids.apply(close, ids.VM_SETTINGS_CLOSE)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self.resize(640, 520)
