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
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from engine.api import HvError
from gui import dialogs, ids
from gui.icons import named_action

if TYPE_CHECKING:
    from engine.api import HostInfo
    from gui.architecture.window import ArchitectureWindow
    from gui.bridge import Bridge
    from gui.host_settings import HostSettingsDialog
    from gui.host_tree import HostTree
    from gui.switch_manager import SwitchManagerDialog


class HostActions(QObject):
    message = Signal(str)
    vm_created = Signal(str)
    vm_picked = Signal(str)
    host_restarting = Signal()

    def __init__(self, window: QWidget, hosts: HostTree) -> None:
        super().__init__(window)
        self._window = window
        self._hosts = hosts
        self._bridge: Bridge | None = None
        self._host_settings: HostSettingsDialog | None = None
        self._switch_manager: SwitchManagerDialog | None = None
        self._architecture: ArchitectureWindow | None = None

        def action(name: ids.UiName, text: str, icon_name: str, shortcut: str, tip: str,
                   slot: Callable[[], object]) -> QAction:
            a = named_action(window, name, text, icon_name, tip, shortcut=shortcut)
            a.triggered.connect(lambda _=False: slot())
            return a

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
        for a in self.actions():
            a.setEnabled(False)  # until a lab is attached

    def actions(self) -> list[QAction]:
        return [self.new_vm_action, self.settings_action, self.switch_manager_action,
                self.architecture_action, self.restart_action, self.crash_action]

    def attach(self, bridge: Bridge) -> None:
        """Act on the lab behind ``bridge`` from now on."""
        self._bridge = bridge
        for a in self.actions():
            a.setEnabled(True)

    @property
    def bridge(self) -> Bridge:
        if self._bridge is None:
            raise RuntimeError("no lab is open yet")
        return self._bridge

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
        from gui.host_settings import HostSettingsDialog

        if self._host_settings is None:
            dialog = HostSettingsDialog(self.bridge, self._current_host_id(), self._window)
            dialog.finished.connect(lambda _r: setattr(self, "_host_settings", None))
            dialog.open()
            self._host_settings = dialog
        self._host_settings.raise_()
        return self._host_settings

    def open_switch_manager(self) -> SwitchManagerDialog:
        from gui.switch_manager import SwitchManagerDialog

        if self._switch_manager is None:
            dialog = SwitchManagerDialog(self.bridge, self._current_host_id(), self._window)
            dialog.finished.connect(lambda _r: setattr(self, "_switch_manager", None))
            dialog.open()
            self._switch_manager = dialog
        self._switch_manager.raise_()
        return self._switch_manager

    def open_architecture(self) -> ArchitectureWindow:
        """View ▸ Architecture; clicking a child partition there picks its VM."""
        from gui.architecture import ArchitectureWindow

        if self._architecture is None:
            window = ArchitectureWindow(self.bridge, self._current_host_id(), self._window)
            window.vm_selected.connect(self.vm_picked)
            window.destroyed.connect(lambda _=None: setattr(self, "_architecture", None))
            self._architecture = window
        self._architecture.show()
        self._architecture.raise_()
        return self._architecture

    def open_new_vm(self) -> QWidget:
        from gui.wizard.wizard import NewVmWizard

        groups = sorted({v.group for v in self.bridge.api.vms() if v.group})
        dialog = NewVmWizard(self.bridge, self._current_host_id(), groups, self._window)
        dialog.created.connect(self.vm_created)
        dialog.open()
        return dialog


    # -- host jobs -------------------------------------------------------------------------------
    def restart_host(self) -> None:
        host = self._current_host()
        if host is None:
            return
        dialogs.confirm(
            self._window, "Restart Host", f"Are you sure you want to restart {host.name}?",
            lambda: self._host_job(self.bridge.api.reboot_host, host.id),
            accept_text="Restart",
            informative="Each virtual machine's Automatic Stop Action runs first (Save by "
                        "default). Staged hardware changes apply when the host starts again.")

    def crash_root(self) -> None:
        host = self._current_host()
        if host is None:
            return
        dialogs.confirm(
            self._window, "Simulate Root Partition Crash",
            f"Simulate a crash of the root partition of {host.name}?",
            lambda: self._host_job(self.bridge.api.crash_root_partition, host.id),
            accept_text="Crash the Root Partition",
            informative="The management operating system bugchecks. Every virtual machine "
                        "stops at once, without saving, and the host restarts: the parent "
                        "partition is what every child partition depends on.")

    def _current_host(self) -> HostInfo | None:
        try:
            return self.bridge.api.host(self._hosts.selected_host_id() or None)
        except HvError:
            return None

    def _host_job(self, command: Callable[[str], object], host_id: str) -> None:
        try:
            self.bridge.call(command, host_id)
        except HvError as err:
            dialogs.show_error(self._window, err)
            return
        self.host_restarting.emit()
        self.message.emit("The host is restarting.")
