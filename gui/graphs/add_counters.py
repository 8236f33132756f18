"""Performance Monitor's Add Counters dialog: computer → object (counter set) → counters and
instances, a list of added counters, Add >> and << Remove.

As in perfmon, the dialog opens with the counters already in the graph; OK returns the whole
list, so removing one here removes it from the graph. Selecting an object (a set) rather
than one of its counters adds all of its counters. "<All instances>" adds every instance
that exists now (perfmon would add a wildcard that also picks up future instances).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QListWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.gui import ids
from hvlab.gui.forms import Selection, caption, flat_list, named_button
from hvlab.gui.graphs.pdh import CounterPath

if TYPE_CHECKING:
    from hvlab.engine.api import CounterSetInfo
    from hvlab.gui.bridge import Bridge

ALL_INSTANCES = "<All instances>"
_SET_ROLE = int(Qt.ItemDataRole.UserRole) + 1
_COUNTER_ROLE = int(Qt.ItemDataRole.UserRole) + 2


class AddCountersDialog(QDialog):
    def __init__(self, bridge: Bridge, current: Sequence[CounterPath] = (),
                 host: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.ADD_COUNTERS_DIALOG)
        self.setWindowTitle("Add Counters")
        self._bridge = bridge
        self._sets: dict[str, CounterSetInfo] = {}
        self._added: list[CounterPath] = []

        self.computer = QComboBox()
        ids.apply(self.computer, ids.ADD_COUNTERS_COMPUTER)
        for h in bridge.api.hosts():
            self.computer.addItem(h.name, h.id)
        if host:
            index = max(self.computer.findText(host), self.computer.findData(host), 0)
            self.computer.setCurrentIndex(index)
        self.available = QTreeWidget()
        ids.apply(self.available, ids.ADD_COUNTERS_AVAILABLE)
        self.available.setHeaderHidden(True)
        self.available.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.available.setUniformRowHeights(True)
        self.instances = QListWidget()
        ids.apply(self.instances, ids.ADD_COUNTERS_INSTANCES)
        self.instances.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.add_button = named_button("&Add >>", ids.ADD_COUNTERS_ADD)
        self.remove_button = named_button("<< &Remove", ids.ADD_COUNTERS_REMOVE)
        self.added = flat_list(QTreeWidget(), ids.ADD_COUNTERS_ADDED,
                               ["Counter", "Instance", "Object", "Computer"], (150, 145, 255),
                               Selection.ExtendedSelection)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        ids.apply(ok, ids.ADD_COUNTERS_OK)
        ids.apply(cancel, ids.ADD_COUNTERS_CANCEL)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        left = QVBoxLayout()
        for text, field, stretch in (("Select counters from &computer:", self.computer, 0),
                                     ("A&vailable counters:", self.available, 3),
                                     ("&Instances of selected object:", self.instances, 2)):
            left.addWidget(caption(text, field))
            left.addWidget(field, stretch)
        add_row = QHBoxLayout()
        add_row.addStretch(1)
        add_row.addWidget(self.add_button)
        left.addLayout(add_row)
        right = QVBoxLayout()
        right.addWidget(caption("Added &counters:", self.added))
        right.addWidget(self.added, 1)
        remove_row = QHBoxLayout()
        remove_row.addWidget(self.remove_button)
        remove_row.addStretch(1)
        right.addLayout(remove_row)
        grid = QGridLayout(self)
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.addWidget(buttons, 1, 0, 1, 2)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        self.resize(900, 520)

        for path in current:
            self._append(path)
        self._load_sets()
        self.computer.currentIndexChanged.connect(lambda _i: self._load_sets())
        self.available.currentItemChanged.connect(lambda *_: self._show_instances())
        self.add_button.clicked.connect(self.add_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.available.itemDoubleClicked.connect(lambda *_: self.add_selected())

    # -- what the caller reads ----------------------------------------------------------------
    def counters(self) -> list[CounterPath]:
        """Every counter in the Added list, in order."""
        return list(self._added)

    @property
    def host_name(self) -> str:
        return self.computer.currentText()

    # -- building the lists ---------------------------------------------------------------------
    def _load_sets(self) -> None:
        host = self.computer.currentData()
        sets = self._bridge.api.counter_sets(str(host)) if host else []
        self._sets = {s.name: s for s in sets}
        self.available.clear()
        for s in sets:
            top = QTreeWidgetItem([s.name])
            top.setData(0, _SET_ROLE, s.name)
            for counter in s.counters:
                child = QTreeWidgetItem([counter])
                child.setData(0, _SET_ROLE, s.name)
                child.setData(0, _COUNTER_ROLE, counter)
                top.addChild(child)
            self.available.addTopLevelItem(top)
        self.instances.clear()

    def _current_set(self) -> CounterSetInfo | None:
        item = self.available.currentItem()
        if item is None:
            return None
        return self._sets.get(str(item.data(0, _SET_ROLE)))

    def _show_instances(self) -> None:
        info = self._current_set()
        self.instances.clear()
        if info is None:
            return
        named = [i for i in info.instances if i]
        self.instances.setEnabled(bool(named))
        if len(named) > 1:
            self.instances.addItem(ALL_INSTANCES)
        self.instances.addItems(named)
        if named:
            # perfmon preselects the first instance (_Total where there is one).
            first = 1 if len(named) > 1 else 0
            self.instances.setCurrentRow(first)

    # -- Add and Remove -----------------------------------------------------------------------
    def select(self, counter_set: str, counters: Sequence[str] = (),
               instances: Sequence[str] = ()) -> None:
        """Select a set's counters (none: the set itself) and instances, as a user would."""
        tops = [self.available.topLevelItem(i) for i in range(self.available.topLevelItemCount())]
        top = next((t for t in tops if t is not None and t.text(0) == counter_set), None)
        if top is None:
            raise KeyError(counter_set)
        children = [c for c in (top.child(k) for k in range(top.childCount())) if c is not None]
        targets = [c for c in children if c.text(0) in counters] if counters else [top]
        if not targets:
            raise KeyError(counters)
        self.available.setCurrentItem(targets[0])  # also lists the set's instances
        for target in targets:
            target.setSelected(True)
        if instances:
            self.instances.clearSelection()
            for row in range(self.instances.count()):
                entry = self.instances.item(row)
                if entry is not None:
                    entry.setSelected(entry.text() in instances)

    def add_selected(self) -> int:
        """Add the selected counters × selected instances; returns how many were new."""
        info = self._current_set()
        if info is None:
            return 0
        chosen: list[str] = []
        for item in self.available.selectedItems():
            if str(item.data(0, _SET_ROLE)) != info.name:
                continue  # only one object at a time, as in perfmon
            counter = item.data(0, _COUNTER_ROLE)
            if counter is None:
                chosen.extend(info.counters)
            elif counter not in chosen:
                chosen.append(str(counter))
        named = [i for i in info.instances if i]
        if not named:
            instances = [""]
        else:
            picked = [item.text() for item in self.instances.selectedItems()]
            instances = named if ALL_INSTANCES in picked else [i for i in named if i in picked]
        added = 0
        for counter in chosen:
            for instance in instances:
                added += self._append(CounterPath(self.host_name, info.name, counter, instance))
        return added

    def _append(self, path: CounterPath) -> int:
        if path in self._added:
            return 0
        self._added.append(path)
        item = QTreeWidgetItem([path.counter, path.instance or "—", path.counter_set,
                                f"\\\\{path.computer}"])
        item.setToolTip(0, str(path))
        self.added.addTopLevelItem(item)
        return 1

    def remove_selected(self) -> int:
        rows = sorted((self.added.indexOfTopLevelItem(i) for i in self.added.selectedItems()),
                      reverse=True)
        for row in rows:
            self.added.takeTopLevelItem(row)
            del self._added[row]
        return len(rows)

    def select_added(self, paths: Sequence[CounterPath]) -> None:
        self.added.clearSelection()
        for row, path in enumerate(self._added):
            item = self.added.topLevelItem(row)
            if item is not None:
                item.setSelected(path in paths)
