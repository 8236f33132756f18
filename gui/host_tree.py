"""The left pane: "hvlab" ▸ hosts ▸ VM groups, and a failover cluster ▸ its nodes.

Picking an item filters the Virtual Machines list: the root and a cluster show every VM, a
host its VMs, a group the VMs of that group on that host. A node the cluster removed from
its membership reads "NODE2 (Down)". Groups come from each VM's ``group`` setting
(Hyper-V Manager has no grouping at all; its users ask for it first).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QWidget

from hvlab.gui import ids
from hvlab.gui.icons import icon

if TYPE_CHECKING:
    from hvlab.engine.api import ClusterInfo, HostInfo, VmInfo

ROOT_TEXT = "hvlab"
UNGROUPED = "(No group)"
_KEY = Qt.ItemDataRole.UserRole + 1

#: A tree key: ("root",), ("cluster",), ("host", host_id), ("group", host_id, group) or
#: ("server", url).
TreeKey = tuple[str, ...]
#: An hvlab server in the tree: url, label, connected, tooltip, its hosts' names.
ServerEntry = tuple[str, str, bool, str, Sequence[str]]


class HostTree(QTreeWidget):
    """Signals:
        filter_changed(TreeKey): the picked item changed (see :func:`filter_of`).
        server_activated(str url): an hvlab server's item was picked (gui/servers.py); the
            filter stays as it was.
    """

    filter_changed = Signal(object)
    server_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.HOST_TREE)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformRowHeights(True)
        self.setIndentation(14)
        self._signature: tuple[object, ...] = ()
        self._key: TreeKey = ("root",)
        #: Connected hvlab servers, after the local lab.
        self._servers: list[ServerEntry] = []
        self.currentItemChanged.connect(self._on_current_changed)
        self.itemActivated.connect(self._on_activated)

    @property
    def key(self) -> TreeKey:
        return self._key

    def selected_host_id(self) -> str:
        """The host whose block the Actions pane shows ("" for the root)."""
        return self._key[1] if len(self._key) > 1 else ""

    def rebuild(self, hosts: Sequence[HostInfo], vms: Sequence[VmInfo],
                cluster: ClusterInfo | None = None) -> None:
        """Rebuild when hosts, groups or the cluster changed; keeps the picked item."""
        counts: dict[str, Counter[str]] = {h.id: Counter() for h in hosts}
        for vm in vms:
            counts.setdefault(vm.host_id, Counter())[vm.group or UNGROUPED] += 1
        nodes = {n.id: n.state for n in cluster.nodes} if cluster is not None else {}
        signature = (tuple((h.id, h.name, tuple(sorted(counts[h.id].items()))) for h in hosts),
                     cluster.name if cluster else None, tuple(nodes.items()))
        if signature == self._signature:
            return
        self._signature = signature
        keep = self._key
        self.blockSignals(True)
        try:
            self.clear()
            root = QTreeWidgetItem([ROOT_TEXT])
            root.setIcon(0, icon("hvlab"))
            root.setData(0, _KEY, ("root",))
            root.setToolTip(0, "Every virtual machine of the lab")
            self.addTopLevelItem(root)
            wanted: QTreeWidgetItem = root
            cluster_item = None
            if cluster is not None:
                cluster_item = QTreeWidgetItem([f"{cluster.name} (Failover Cluster)"])
                cluster_item.setIcon(0, icon("hvlab"))
                cluster_item.setData(0, _KEY, ("cluster",))
                cluster_item.setToolTip(0, f"{cluster.name}: {len(nodes)} nodes, "
                                           f"{cluster.votes_present} of {cluster.votes_total} "
                                           "quorum votes")
                root.addChild(cluster_item)
                if keep == ("cluster",):
                    wanted = cluster_item
            for h in hosts:
                state = nodes.get(h.id)
                host_item = QTreeWidgetItem([h.name if state in (None, "Up")
                                             else f"{h.name} ({state})"])
                host_item.setIcon(0, icon("host"))
                host_item.setData(0, _KEY, ("host", h.id))
                total = sum(counts[h.id].values())
                host_item.setToolTip(0, f"{h.name}: {h.profile_name}, {total} virtual machines"
                                     + (f"; cluster node, {state}" if state else ""))
                (cluster_item if state is not None and cluster_item else root).addChild(
                    host_item)
                if keep == ("host", h.id):
                    wanted = host_item
                named = sorted(g for g in counts[h.id] if g != UNGROUPED)
                if UNGROUPED in counts[h.id] and named:
                    named.append(UNGROUPED)
                for group in named if named else []:
                    n = counts[h.id][group]
                    item = QTreeWidgetItem([f"{group} ({n})"])
                    item.setIcon(0, icon("group"))
                    item.setData(0, _KEY, ("group", h.id, group))
                    item.setToolTip(0, f"Show only the virtual machines of group '{group}'"
                                    if group != UNGROUPED else
                                    "Show the virtual machines that are in no group")
                    host_item.addChild(item)
                    if keep == ("group", h.id, group):
                        wanted = item
            self._add_servers()
            self.expandAll()
            self.setCurrentItem(wanted)
        finally:
            self.blockSignals(False)
        self._set_key(tuple(wanted.data(0, _KEY)))

    def set_servers(self, servers: Sequence[ServerEntry]) -> None:
        """Show these hvlab servers after the local lab, each with its hosts."""
        self._servers = list(servers)
        self.blockSignals(True)
        try:
            for item in self._items():
                if tuple(item.data(0, _KEY))[:1] == ("server",):
                    self.takeTopLevelItem(self.indexOfTopLevelItem(item))
            self._add_servers()
        finally:
            self.blockSignals(False)

    def server_item(self, url: str) -> QTreeWidgetItem | None:
        """The server's top-level item."""
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if item is not None and tuple(item.data(0, _KEY)) == ("server", url):
                return item
        return None

    def _add_servers(self) -> None:
        for url, label, connected, tip, hosts in self._servers:
            item = QTreeWidgetItem([label])
            item.setIcon(0, icon("hvlab" if connected else "crash"))
            item.setData(0, _KEY, ("server", url))
            item.setToolTip(0, tip)
            self.addTopLevelItem(item)
            for host in hosts:  # picking one raises the server's window too
                child = QTreeWidgetItem([host])
                child.setIcon(0, icon("host"))
                child.setData(0, _KEY, ("server", url))
                child.setToolTip(0, tip)
                item.addChild(child)
            item.setExpanded(True)

    def select_key(self, key: TreeKey) -> bool:
        """Pick the item with ``key``; False if there is none."""
        for item in self._items():
            if tuple(item.data(0, _KEY)) == key:
                self.setCurrentItem(item)
                return True
        return False

    def _items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        stack = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while stack:
            item = stack.pop()
            if item is None:
                continue
            out.append(item)
            stack.extend(item.child(i) for i in range(item.childCount()))
        return out

    def _on_current_changed(self, current: QTreeWidgetItem | None, _prev: object) -> None:
        if current is not None:
            key = tuple(current.data(0, _KEY))
            if key[:1] == ("server",):
                self.server_activated.emit(key[1])
                return
            self._set_key(key)

    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        key = tuple(item.data(0, _KEY))
        if key[:1] == ("server",):
            self.server_activated.emit(key[1])

    def _set_key(self, key: TreeKey) -> None:
        if key == self._key:
            return
        self._key = key
        self.filter_changed.emit(key)


def filter_of(key: TreeKey) -> tuple[str | None, str | None]:
    """(host id, group) for the VM list's filter; None means any. The "(No group)" item
    filters on the empty group."""
    host = key[1] if len(key) > 1 else None
    group = key[2] if len(key) > 2 else None
    if group == UNGROUPED:
        group = ""
    return host, group
