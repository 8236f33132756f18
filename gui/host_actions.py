"""The host block of the main window: New ▸ Virtual Machine…, Hyper-V Settings…, Virtual
Switch Manager…, View ▸ Architecture, Restart Host… and Simulate Root Partition Crash….

One :class:`HostActions` per main window. Its QActions sit in the menus, the toolbar and the
Actions pane's host block; each acts on the host of the tree's selection (the first host for
the root). Hyper-V Settings, Virtual Switch Manager and the architecture view are one window
each: asked again, the open one is raised. The dialogs' modules are imported when first
opened, so the main window paints before they (and numpy) are loaded.

Signals:
    message(str): a one-line result for the status bar.
    vm_created(str vm_id): the New Virtual Machine Wizard created a VM.
    vm_picked(str vm_id): the user clicked a child partition in the architecture view.
    host_restarting(): a restart or a root partition crash began.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QWidget

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.bars import named_action
from hvlab.gui.cluster_actions import ClusterActions
from hvlab.gui.lab_part import LabPart

if TYPE_CHECKING:
    from hvlab.engine.api import HostInfo, ManagementApi
    from hvlab.gui.architecture.window import ArchitectureWindow
    from hvlab.gui.bridge import Bridge
    from hvlab.gui.event_viewer import EventViewerWindow
    from hvlab.gui.host_settings import HostSettingsDialog
    from hvlab.gui.host_tree import HostTree
    from hvlab.gui.switch_manager import SwitchManagerDialog

W = TypeVar("W", bound=QWidget)


class HostActions(LabPart, QObject):
    message = Signal(str)
    vm_created = Signal(str)
    vm_picked = Signal(str)
    host_restarting = Signal()

    def __init__(self, window: QWidget, hosts: HostTree) -> None:
        super().__init__(window)
        self._window = window
        self._hosts = hosts
        self.hosts = hosts  # the tree whose context menu shows these actions
        self._open: dict[type[QWidget], QWidget] = {}

        def action(name: ids.UiName, text: str, icon_name: str, shortcut: str, tip: str,
                   slot: Callable[[], object]) -> QAction:
            return named_action(window, name, text, icon_name, tip, shortcut=shortcut,
                                triggered=slot)

        self.new_vm_action = action(ids.ACT_NEW_VM, "&Virtual Machine…", "new-vm",
                                    "Ctrl+Shift+N", "Create a virtual machine.", self.open_new_vm)
        self.settings_action = action(
            ids.ACT_HOST_SETTINGS, "Hyper-V &Settings…", "host-settings", "Ctrl+,",
            "Default folders, NUMA spanning and the host's hardware.", self.open_host_settings)
        self.restart_action = action(
            ids.ACT_RESTART_HOST, "Restart &Host…", "restart-host", "",
            "Restart the host; each VM's Automatic Stop Action runs first, and staged "
            "hardware changes apply when it comes back.", self.restart_host)
        self.crash_action = action(
            ids.ACT_CRASH_ROOT, "Simulate Root Partition &Crash…", "crash", "",
            "For trainers: the management operating system bugchecks and takes every "
            "virtual machine down with it.", self.crash_root)
        self.switch_manager_action = action(
            ids.ACT_SWITCH_MANAGER, "Virtual Switch &Manager…", "host-settings", "",
            "Create and configure virtual switches and the range of dynamic MAC addresses.",
            self.open_switch_manager)
        self.architecture_action = action(
            ids.ACT_ARCHITECTURE, "&Architecture", "view", "",
            "Show the host's live architecture: hypervisor, root and child partitions, VMBus, "
            "and the path each I/O takes.", self.open_architecture)
        self.event_viewer_action = action(
            ids.ACT_EVENT_VIEWER, "E&vent Viewer…", "view", "",
            "Show the lab's event log: the Hyper-V-VMMS, Hyper-V-Worker and Hypervisor "
            "channels and the System log.", self.open_event_viewer)
        self.wait_for_lab([self.new_vm_action, self.settings_action,
                           self.switch_manager_action, self.architecture_action,
                           self.restart_action, self.crash_action, self.event_viewer_action])
        #: The failover cluster's actions (migrations, node failure): gui/cluster_actions.py.
        self.cluster = ClusterActions(window, hosts)
        self.cluster.message.connect(self.message)

    def attach(self, bridge: Bridge) -> None:
        super().attach(bridge)
        self.cluster.attach(bridge)

    def show_host(self, host: HostInfo | None) -> None:
        """The selected host, as the main window last read it: Restart and Crash apply
        to a host that is not restarting already."""
        for a in (self.restart_action, self.crash_action):
            a.setEnabled(host is not None and not host.rebooting)

    def _current_host_id(self) -> str | None:
        try:
            return self.bridge.api.host(self._hosts.selected_host_id() or None).id
        except HvError:
            return None

    # -- windows and dialogs -------------------------------------------------------------------
    def open_host_settings(self) -> HostSettingsDialog:
        from hvlab.gui.host_settings import HostSettingsDialog

        return self._one(HostSettingsDialog, lambda: HostSettingsDialog(
            self.bridge, self._current_host_id(), self._window))

    def open_switch_manager(self) -> SwitchManagerDialog:
        from hvlab.gui.switch_manager import SwitchManagerDialog

        return self._one(SwitchManagerDialog, lambda: SwitchManagerDialog(
            self.bridge, self._current_host_id(), self._window))

    def open_architecture(self) -> ArchitectureWindow:
        """View ▸ Architecture; clicking a child partition there picks its VM."""
        from hvlab.gui.architecture import ArchitectureWindow

        def build() -> ArchitectureWindow:
            window = ArchitectureWindow(self.bridge, self._current_host_id(), self._window)
            window.vm_selected.connect(self.vm_picked)
            return window

        return self._one(ArchitectureWindow, build)

    def open_event_viewer(self, error_message: str = "") -> EventViewerWindow:
        """The Event Viewer; with ``error_message`` (an error box's Details), the newest
        event about it selected."""
        from hvlab.gui.event_viewer import EventViewerWindow

        viewer = self._one(EventViewerWindow,
                           lambda: EventViewerWindow(self.bridge, self._window))
        if error_message:
            viewer.show_error(error_message)
        viewer.activateWindow()
        return viewer

    def _one(self, kind: type[W], build: Callable[[], W]) -> W:
        """The open window of ``kind``, raised; else a new one from ``build()``, shown (a
        dialog window-modal). Each is forgotten once closed."""
        window = self._open.get(kind)
        if not isinstance(window, kind):
            window = build()
            self._open[kind] = window

            def forget(*_: object) -> None:
                self._open.pop(kind, None)

            window.destroyed.connect(forget)
            if isinstance(window, QDialog):
                window.finished.connect(forget)
                window.open()
            else:
                window.show()
        window.raise_()
        return window

    def open_new_vm(self) -> QWidget:
        from hvlab.gui.wizard.wizard import NewVmWizard

        groups = sorted({v.group for v in self.bridge.api.vms() if v.group})
        dialog = NewVmWizard(self.bridge, self._current_host_id(), groups, self._window)
        dialog.created.connect(self.vm_created)
        dialog.open()
        return dialog


    # -- host jobs -------------------------------------------------------------------------------
    def restart_host(self) -> None:
        self._host_job(
            lambda api: api.reboot_host, "Restart Host",
            "Are you sure you want to restart {host}?", "Restart",
            "Each virtual machine's Automatic Stop Action runs first (Save by default). "
            "Staged hardware changes apply when the host starts again.")

    def crash_root(self) -> None:
        self._host_job(
            lambda api: api.crash_root_partition, "Simulate Root Partition Crash",
            "Simulate a crash of the root partition of {host}?", "Crash the Root Partition",
            "The management operating system bugchecks. Every virtual machine stops at once, "
            "without saving, and the host restarts: the parent partition is what every child "
            "partition depends on.")

    def _host_job(self, command: Callable[[ManagementApi], Callable[[str], object]],
                  title: str, question: str, accept: str, informative: str) -> None:
        """Ask ``question`` about the selected host; if agreed, run ``command(api)`` on it."""
        try:
            host = self.bridge.api.host(self._hosts.selected_host_id() or None)
        except HvError:
            return

        def run() -> None:
            try:
                self.bridge.call(command(self.bridge.api), host.id)
            except HvError as err:
                dialogs.show_error(self._window, err)
                return
            self.host_restarting.emit()
            self.message.emit("The host is restarting.")

        dialogs.confirm(self._window, title, question.format(host=host.name), run,
                        accept_text=accept, informative=informative)
