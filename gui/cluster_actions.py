"""The failover cluster's actions in the main window: Live Migrate to another node…, Quick
Migrate… (VM block), Simulate Node Failure… and Start Node (host block).

Whether a migration action is enabled, and the tooltip that says why not, come from
``ManagementApi.migration_blockers`` for every other node of the cluster: the same rule the
command enforces. The node actions act on the host picked in the tree.

Signals:
    message(str): a one-line result for the status bar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.bars import named_action
from hvlab.gui.lab_part import LabPart

if TYPE_CHECKING:
    from hvlab.engine.api import HostInfo
    from hvlab.gui.host_tree import HostTree
    from hvlab.gui.migration_dialog import MigrationDialog


class ClusterActions(LabPart, QObject):
    message = Signal(str)

    def __init__(self, window: QWidget, hosts: HostTree) -> None:
        super().__init__(window)
        self._window = window
        self._hosts = hosts
        self._vm_id: str | None = None
        self._host: HostInfo | None = None
        self.dialog: MigrationDialog | None = None
        self.live_action = named_action(
            window, ids.ACT_LIVE_MIGRATE, "&Live Migrate to another node…", "export", "",
            triggered=lambda: self.open_migration(live=True))
        self.quick_action = named_action(
            window, ids.ACT_QUICK_MIGRATE, "&Quick Migrate…", "export", "",
            triggered=lambda: self.open_migration(live=False))
        self.fail_action = named_action(
            window, ids.ACT_FAIL_NODE, "Simulate Node &Failure…", "crash",
            "For trainers: the node loses power; its virtual machines stop at once and the "
            "cluster restarts the highly available ones on the other nodes.",
            triggered=self.fail_node)
        self.restore_action = named_action(
            window, ids.ACT_RESTORE_NODE, "Start &Node", "restart-host",
            "Power the failed node on; it boots and rejoins the cluster.",
            triggered=self.restore_node)
        self.vm_actions = [self.live_action, self.quick_action]
        self.host_actions = [self.fail_action, self.restore_action]
        self.wait_for_lab([*self.vm_actions, *self.host_actions])

    # -- enablement ---------------------------------------------------------------------------
    def show(self, vm_ids: list[str], host: HostInfo | None) -> None:
        """The selection changed (or the clock ticked): enable what applies, say why not."""
        if self._bridge is None:
            return
        api = self.bridge.api
        cluster = api.cluster()
        self._vm_id = vm_ids[0] if len(vm_ids) == 1 else None
        self._host = host
        for action, live in ((self.live_action, True), (self.quick_action, False)):
            why = self._blocked(live) if cluster is not None else \
                "The lab has no failover cluster."
            action.setEnabled(why is None)
            base = ("Move the running virtual machine to another node while it runs."
                    if live else "Save the virtual machine, move it to another node and "
                                 "restore it there.")
            action.setToolTip(base if why is None else f"{base}\n\nNot available: {why}")
            action.setStatusTip(action.toolTip().replace("\n\n", " "))
        node = next((n for n in cluster.nodes if host is not None and n.id == host.id),
                    None) if cluster is not None else None
        failed = host is not None and not host.hypervisor_running and not host.rebooting
        self.fail_action.setEnabled(node is not None and not failed and not host.rebooting)  # type: ignore[union-attr]
        self.restore_action.setEnabled(node is not None and node.state != "Up" and failed)

    def _blocked(self, live: bool) -> str | None:
        """None when some node can take the selected VM now, else the reasons."""
        if self._vm_id is None:
            return "Select one virtual machine."
        api = self.bridge.api
        cluster = api.cluster()
        assert cluster is not None
        try:
            owner = api.vm(self._vm_id).host_id
        except HvError as err:
            return err.message
        reasons: list[str] = []
        for node in cluster.nodes:
            if node.id == owner:
                continue
            why = api.migration_blockers(self._vm_id, node.id, live=live)
            if not why:
                return None
            reasons.extend(r for r in why if r not in reasons)
        return " ".join(reasons) or "The cluster has no other node."

    # -- doing ----------------------------------------------------------------------------------
    def open_migration(self, live: bool) -> MigrationDialog | None:
        from hvlab.gui.migration_dialog import MigrationDialog

        if self._vm_id is None:
            return None
        self.dialog = MigrationDialog(self.bridge, self._vm_id, live, self._window)
        self.dialog.open()
        return self.dialog

    def fail_node(self) -> None:
        host = self._host
        if host is None:
            return

        def run() -> None:
            try:
                self.bridge.call(self.bridge.api.fail_node, host.id)
            except HvError as err:
                dialogs.show_error(self._window, err)
                return
            self.message.emit(f"{host.name} lost power; the cluster will notice when its "
                              "heartbeats stop.")

        dialogs.confirm(
            self._window, "Simulate Node Failure",
            f"Pull the power of {host.name}?", run, accept_text="Fail the Node",
            informative="Every virtual machine on the node stops at once and loses what it "
                        "had not saved. After five missed heartbeats the cluster restarts "
                        "the highly available ones on the other nodes, highest priority "
                        "first, as far as their memory allows.")

    def restore_node(self) -> None:
        host = self._host
        if host is None:
            return
        try:
            self.bridge.call(self.bridge.api.restore_node, host.id)
        except HvError as err:
            dialogs.show_error(self._window, err)
            return
        self.message.emit(f"{host.name} is starting.")
