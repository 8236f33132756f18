"""The guest's Device Manager, and the action that changes what it shows.

:class:`DeviceManagerPanel` lists a VM's devices the way the guest's Device Manager does, by
category, with the guest's driver names from ``ManagementApi.devices``: "Microsoft Virtual
Machine Bus Network Adapter" for a synthetic adapter, "Intel 21140-Based PCI Fast Ethernet
Adapter (Emulated)" for the legacy one, and *Other devices* ▸ unknown devices (with a warning
icon) for synthetic devices the guest has no driver for, because its integration services are
not installed or have not started. A second column says how each device works: emulated in
the VM's worker process, or synthetic over VMBus to a VSP in the root partition.

Action ▸ Insert Integration Services Setup Disk (:mod:`hvlab.gui.setup_disk`) changes what it
shows: after the guest restarts, its VMBus drivers load and the unknown devices get their
drivers.

The panel follows the bridge's tick and reads the engine only while it is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import ids
from hvlab.gui.icons import icon

if TYPE_CHECKING:  # hvlab.engine.api imports numpy; the main window paints before it is loaded
    from hvlab.engine.api import Device
    from hvlab.gui.bridge import Bridge

OTHER = "Other devices"
#: Device Manager's categories, in its (alphabetical) order.
CATEGORIES = (
    "Disk drives", "Display adapters", "Floppy disk controllers",
    "Human Interface Devices", "IDE ATA/ATAPI controllers", "Keyboards",
    "Mice and other pointing devices", "Network adapters", OTHER, "Ports (COM & LPT)",
    "Storage controllers", "System devices",
)
NOT_RUNNING = ("The virtual machine '{name}' is not running.\n\nDevice Manager runs inside the "
               "guest operating system: start the virtual machine to see its devices.")

#: One row of the tree: (category, device name as the guest shows it, how it works, unknown).
Row = tuple[str, str, str, bool]


def rows_of(devices: Sequence[Device]) -> list[Row]:
    """The guest's view of ``devices``: one row per device Device Manager lists."""
    out: list[Row] = []
    for d in devices:
        how = _how(d)
        if d.guest_driver is None:
            out.append((OTHER, d.guest_name, how, True))
        elif d.key == "ps2" and "; " in d.guest_driver:
            keyboard, mouse = d.guest_driver.split("; ", 1)
            out.append(("Keyboards", keyboard, how, False))
            out.append(("Mice and other pointing devices", mouse, how, False))
        else:
            out.append((_category(d), d.guest_driver, how, False))
    return out


def _category(d: Device) -> str:
    if d.category == "storage":
        if ":" in d.key:
            return "Disk drives"
        return "IDE ATA/ATAPI controllers" if d.key.startswith("ide") else "Storage controllers"
    return {
        "network": "Network adapters", "display": "Display adapters",
        "input": "Human Interface Devices", "floppy": "Floppy disk controllers",
        "ports": "Ports (COM & LPT)", "system": "System devices",
    }.get(d.category, "System devices")


def _how(d: Device) -> str:
    if d.guest_driver is None:
        return "Synthetic: no driver in the guest (needs integration services)"
    if d.kind == "emulated":
        return f"Emulated by the {d.handled_by}"
    if d.fast_path:
        return f"Emulated IDE on the synthetic fast path: VMBus to the {d.handled_by}"
    if d.key == "vmbus":
        return "VMBus: channels to the root partition through the hypervisor"
    return f"Synthetic: VMBus to the {d.handled_by}"


def _warning_icon() -> QIcon:
    app = QApplication.instance()
    style = app.style() if isinstance(app, QApplication) else None
    if style is None:
        return QIcon()
    return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)


class DeviceManagerPanel(QWidget):
    """Device Manager of one VM's guest, refreshed on the bridge's tick while visible."""

    def __init__(self, bridge: Bridge, vm_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.vm_id = vm_id
        self._rows: list[Row] | None = None
        self._name = vm_id
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "note")
        self.tree = QTreeWidget()
        ids.apply(self.tree, ids.DEVICE_MANAGER_TREE)
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Device", "How it works"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, self.fontMetrics().horizontalAdvance(
            "Intel 21140-Based PCI Fast Ethernet Adapter (Emulated)") + 60)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setProperty("role", "note")
        self._stack = QStackedWidget()
        self._stack.addWidget(self.tree)
        self._stack.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.summary)
        layout.addWidget(self._stack, 1)
        bridge.tick.connect(self._on_tick)

    # -- what tests and users read ---------------------------------------------------------------
    def categories(self) -> dict[str, list[str]]:
        """{category: [device names]} as the tree shows them now ({} when not running)."""
        out: dict[str, list[str]] = {}
        if self._stack.currentWidget() is not self.tree:
            return out
        root = self.tree.topLevelItem(0)
        if root is None:
            return out
        for i in range(root.childCount()):
            cat = root.child(i)
            if cat is not None:
                out[cat.text(0)] = [c.text(0) for c in
                                    (cat.child(j) for j in range(cat.childCount())) if c]
        return out

    def driver_of(self, device_name: str) -> str:
        """The 'How it works' text of the first device called ``device_name``."""
        root = self.tree.topLevelItem(0)
        for i in range(root.childCount() if root else 0):
            cat = root.child(i) if root else None
            for j in range(cat.childCount() if cat else 0):
                item = cat.child(j) if cat else None
                if item is not None and item.text(0) == device_name:
                    return item.text(1)
        return ""

    # -- following the VM -------------------------------------------------------------------------
    def _on_tick(self, _snap: object) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        api = self.bridge.api
        try:
            info = api.vm(self.vm_id)
            devices = api.devices(self.vm_id) if info.partition_id is not None else []
            blocker = api.integration_setup_blocker(self.vm_id)
        except HvError:
            self._show_message(f"The virtual machine '{self._name}' was deleted.")
            return
        self._name = info.name
        if info.partition_id is None:
            self._show_message(NOT_RUNNING.format(name=info.name))
            return
        rows = rows_of(devices)
        unknown = sum(1 for r in rows if r[3])
        if unknown:
            text = (f"{unknown} device{'s have' if unknown != 1 else ' has'} no driver in "
                    f"{info.guest_os_name}: synthetic devices need the guest's integration "
                    "services. ")
            if blocker is None:
                text += ("Use Action ▸ Insert Integration Services Setup Disk, then restart "
                         "the virtual machine.")
            else:
                text += f"{blocker} Drivers installed from the setup disk load when the guest "
                text += "restarts."
        else:
            text = f"{info.guest_os_name}: every device has a driver."
        if self.summary.text() != text:
            self.summary.setText(text)
        self._stack.setCurrentWidget(self.tree)
        if rows != self._rows:
            self._rows = rows
            self._fill(info.name, rows)

    def _show_message(self, text: str) -> None:
        self._rows = None
        self.summary.setText("")
        if self.message.text() != text:
            self.message.setText(text)
        self._stack.setCurrentWidget(self.message)

    def _collapsed_categories(self) -> set[str]:
        root = self.tree.topLevelItem(0)
        out: set[str] = set()
        for i in range(root.childCount() if root is not None else 0):
            cat = root.child(i) if root is not None else None
            if cat is not None and not cat.isExpanded():
                out.add(cat.text(0))
        return out

    def _fill(self, computer: str, rows: list[Row]) -> None:
        collapsed = self._collapsed_categories()
        self.tree.clear()
        root = QTreeWidgetItem(self.tree, [computer])
        root.setIcon(0, icon("vm"))
        by_category: dict[str, list[Row]] = {}
        for row in rows:
            by_category.setdefault(row[0], []).append(row)
        warning = _warning_icon()
        for category in sorted(by_category, key=lambda c: (CATEGORIES.index(c)
                                                           if c in CATEGORIES else 99, c)):
            cat = QTreeWidgetItem(root, [category])
            cat.setIcon(0, warning if category == OTHER else icon("settings"))
            for _c, name, how, unknown in sorted(by_category[category], key=lambda r: r[1]):
                item = QTreeWidgetItem(cat, [name, how])
                item.setToolTip(0, name)
                item.setToolTip(1, how)
                if unknown:
                    item.setIcon(0, warning)
            # Device Manager opens the categories with a problem; the others stay as the
            # user left them (expanded the first time).
            cat.setExpanded(category == OTHER or category not in collapsed)
        root.setExpanded(True)


class DeviceManagerDock(QDockWidget):
    """View ▸ Device Manager in a Virtual Machine Connection window."""

    def __init__(self, bridge: Bridge, vm_id: str, parent: QWidget | None = None) -> None:
        super().__init__("Device Manager", parent)
        ids.apply(self, ids.DEVICE_MANAGER_DOCK)
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.panel = DeviceManagerPanel(bridge, vm_id, self)
        self.setWidget(self.panel)
        self.visibilityChanged.connect(self._on_visibility)
        action = self.toggleViewAction()
        action.setText("&Device Manager")
        action.setShortcut(QKeySequence("Ctrl+Shift+M"))
        action.setToolTip("Show the guest's devices and drivers: emulated, synthetic (VMBus) "
                          "and unknown (Ctrl+Shift+M).")
        ids.apply(action, ids.CONNECT_SHOW_DEVICE_MANAGER)

    def _on_visibility(self, visible: bool) -> None:
        if visible:
            self.panel.refresh()


def add_device_manager(window: QMainWindow, bridge: Bridge, vm_id: str,
                       view_menu: QMenu) -> DeviceManagerDock:
    """Give a Connect window its Device Manager dock (hidden) and View ▸ Device Manager."""
    dock = DeviceManagerDock(bridge, vm_id, window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.hide()
    view_menu.addSeparator()
    view_menu.addAction(dock.toggleViewAction())
    return dock
