"""The details pane under the VM list: Summary, Memory and Networking of the focused VM.

Field lists follow Hyper-V Manager's details pane.
The pane is refreshed from one ``ManagementApi.vm`` read per tick for the focused VM only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.gui import format as fmt
from hvlab.gui import ids
from hvlab.gui.forms import flat_list

if TYPE_CHECKING:
    from hvlab.engine.api import VmInfo
    from hvlab.gui.bridge import Bridge
    from hvlab.gui.disks.storage_tab import VmStorageTab
    from hvlab.gui.graphs.vm_page import VmPerformancePage


def _created(seconds: float) -> str:
    return f"{fmt.sim_time(seconds)} (simulated)"


def _scrolled(widget: QWidget) -> QScrollArea:
    """Long notes wrap; when the pane is short they scroll instead of being cut off."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


class _FieldGrid(QWidget):
    """Two columns of "Label:  value" pairs, as Hyper-V's details pane lays them out."""

    def __init__(self, left: list[str], right: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 8, 10, 8)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        self.values: dict[str, QLabel] = {}
        for column, labels in ((0, left), (2, right)):
            for row, label in enumerate(labels):
                name = QLabel(f"{label}:")
                name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                value = QLabel("")
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                value.setWordWrap(label in ("Notes", "Integration Services"))
                value.setMinimumWidth(80)
                grid.addWidget(name, row, column)
                grid.addWidget(value, row, column + 1)
                self.values[label] = value
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setRowStretch(max(len(left), len(right)), 1)

    def set(self, label: str, text: str) -> None:
        widget = self.values[label]
        if widget.text() != text:
            widget.setText(text)


class DetailsPane(QWidget):
    """Header with the VM name and a tab widget; ``show_vm(None)`` shows a hint instead."""

    tabs: QTabWidget
    summary: _FieldGrid
    memory: _FieldGrid
    networking: QTreeWidget
    storage: VmStorageTab
    performance: VmPerformancePage

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = QLabel("")
        self.header.setProperty("role", "paneHeader")
        layout.addWidget(self.header)
        self._stack = QStackedWidget()
        layout.addWidget(self._stack, 1)
        self._empty = QLabel("Select a virtual machine to see its details.")
        self._empty.setProperty("role", "note")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack.addWidget(self._empty)

        self._built = False
        self._network_key: tuple[object, ...] = ()
        self.show_vm(None)

    def attach(self, bridge: Bridge) -> None:
        """Build the tabs over the lab behind ``bridge``. The main window attaches after its
        first paint; until then the pane shows only its hint."""
        if self._built:
            raise RuntimeError("the details pane already shows a lab")
        self._built = True
        from hvlab.gui.disks.storage_tab import VmStorageTab
        from hvlab.gui.graphs.vm_page import VmPerformancePage

        self.tabs = QTabWidget()
        ids.apply(self.tabs, ids.DETAILS_TABS)
        ids.apply(self.tabs.tabBar(), ids.DETAILS_TAB_BAR)
        self.tabs.setDocumentMode(True)
        self.tabs.setTabPosition(QTabWidget.TabPosition.South)
        self.summary = _FieldGrid(
            ["Created", "Configuration Version", "Generation", "Group", "Notes"],
            ["Guest OS", "Heartbeat", "Integration Services", "Clustered"])
        ids.apply(self.summary, ids.DETAILS_SUMMARY)
        self.memory = _FieldGrid(
            ["Startup Memory", "Dynamic Memory", "Minimum Memory", "Maximum Memory"],
            ["Assigned Memory", "Memory Demand", "Memory Weight", "Memory Buffer"])
        ids.apply(self.memory, ids.DETAILS_MEMORY)
        self.networking = flat_list(
            QTreeWidget(), ids.DETAILS_NETWORKING,
            ["Adapter", "Connected To", "MAC Address", "Status"], (190, 150, 130))
        self.tabs.addTab(_scrolled(self.summary), "Summary")
        self.tabs.addTab(_scrolled(self.memory), "Memory")
        self.tabs.addTab(self.networking, "Networking")
        self.storage = VmStorageTab(bridge)
        self.tabs.addTab(self.storage, "Storage")
        self.performance = VmPerformancePage(bridge)
        self.tabs.addTab(self.performance, "Performance")
        self._stack.addWidget(self.tabs)

    def show_vm(self, vm: VmInfo | None, selected_count: int = 1,
                version: object = None) -> None:
        """Show ``vm`` (None: the hint); ``version`` is the lab's, so that the Storage tab
        re-reads the files when the lab changed."""
        if self._built:
            self.performance.show_vm(vm)
            self.storage.show_vm(vm.id if vm is not None else None, version)
        elif vm is not None:
            raise RuntimeError("the details pane has no lab yet")
        if vm is None:
            self.header.setText("Details")
            self._empty.setText("Select a virtual machine to see its details."
                                if selected_count == 0 else "")
            self._stack.setCurrentWidget(self._empty)
            return
        self.header.setText(vm.name if selected_count <= 1
                            else f"{vm.name}  (and {selected_count - 1} more selected)")
        self._stack.setCurrentWidget(self.tabs)
        cfg = vm.config
        s = self.summary
        s.set("Created", _created(vm.created_seconds))
        s.set("Configuration Version", vm.configuration_version)
        s.set("Generation", str(vm.generation))
        s.set("Group", vm.group or "None")
        s.set("Notes", vm.notes or "None")
        s.set("Guest OS", vm.guest_os_name)
        s.set("Heartbeat", vm.heartbeat or "—")
        statuses = [status for _label, status in vm.integration_services]
        offered = [s for s in statuses if s not in ("Disabled", "Not available for this guest")]
        running = statuses.count("OK")
        if not offered:
            services = "Not available for this guest"
        elif running:
            services = f"{running} of {len(offered)} running"
        elif "Not installed in the guest" in offered:
            services = "Not installed in the guest"
        else:
            services = "No contact" if vm.partition_id is not None else "Not running"
        s.set("Integration Services", services)
        s.set("Clustered", "Yes" if vm.clustered else "No")
        m = self.memory
        live = fmt.shows_live_figures(vm.state)
        m.set("Startup Memory", fmt.megabytes(vm.memory_startup_mb))
        m.set("Dynamic Memory", "Enabled" if cfg.dynamic_memory_enabled else "Disabled")
        dm = cfg.dynamic_memory_enabled
        m.set("Minimum Memory", fmt.megabytes(cfg.memory_minimum_mb) if dm else "—")
        m.set("Maximum Memory", fmt.megabytes(cfg.memory_maximum_mb) if dm else "—")
        m.set("Assigned Memory", fmt.megabytes(vm.memory_assigned_mb) if live else "—")
        m.set("Memory Demand", fmt.megabytes(vm.memory_demand_mb) if live else "—")
        m.set("Memory Weight", str(cfg.memory_weight))
        m.set("Memory Buffer", f"{cfg.memory_buffer_pct} %" if dm else "—")
        self._show_network(vm)

    def _show_network(self, vm: VmInfo) -> None:
        adapters = vm.config.network_adapters
        key = (vm.id, adapters, vm.state)
        if key == self._network_key:
            return
        self._network_key = key
        self.networking.clear()
        if not adapters:
            item = QTreeWidgetItem(["This virtual machine has no network adapters.", "", "", ""])
            item.setFirstColumnSpanned(True)
            self.networking.addTopLevelItem(item)
            return
        on = vm.state not in ("Off", "Saved")
        for a in adapters:
            kind = "Legacy Network Adapter" if a.legacy else "Network Adapter"
            switch = a.switch or "Not connected"
            mac = a.static_mac or "Dynamic"
            status = ("OK" if a.switch else "Disconnected") if on else ""
            self.networking.addTopLevelItem(QTreeWidgetItem([kind, switch, mac, status]))
