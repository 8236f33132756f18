"""The Virtual Machines list: a table model over the bulk snapshot, and its view.

Cost model: a refresh costs visible cells × roles asked × one Python call each, so

- the model emits one ranged ``dataChanged`` per tick (or ``layoutChanged`` when a live sort
  column reorders rows), never one emit per row and never a reset for value changes;
- ``data()`` answers from plain Python lists prepared once per tick, formatting only the cells
  Qt asks for, and returns early for roles it does not use;
- rows have a fixed height (vertical header ``Fixed``), so Qt never measures contents;
- sorting and filtering happen inside the model (numpy argsort), not in a
  QSortFilterProxyModel that would re-sort through Python ``data()`` on every tick.

A change of the filtered row set (a VM added, deleted, renamed out of the search, a group
picked) resets the model; :class:`VmListView` keeps the selection across it by VM id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from hvlab.gui import format as fmt
from hvlab.gui import ids
from hvlab.gui.icons import state_icon

if TYPE_CHECKING:
    import numpy as np

    from hvlab.engine.api import VmInfo, VmTableSnapshot
    from hvlab.gui.bridge import Bridge

_Index = QModelIndex | QPersistentModelIndex

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_EDIT = int(Qt.ItemDataRole.EditRole)
#: The VM id of a row (any column).
VM_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1

_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    default_visible: bool
    numeric: bool  # right-aligned: a measured quantity (categorical numbers stay left)
    width: int  # in average character widths


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", True, False, 18),
    Column("state", "State", True, False, 10),
    Column("cpu", "CPU Usage", True, True, 10),
    Column("memory", "Assigned Memory", True, True, 15),
    Column("uptime", "Uptime", True, True, 11),
    Column("status", "Status", True, False, 22),
    Column("generation", "Generation", True, False, 10),
    Column("memory_demand", "Memory Demand", False, True, 14),
    Column("heartbeat", "Heartbeat", False, False, 11),
    Column("notes", "Notes", False, False, 30),
    Column("configuration_version", "Configuration Version", False, False, 19),
    Column("group", "Group", False, False, 16),
    Column("cpu_history", "CPU History", False, False, 14),  # hvlab.gui.graphs.sparkline
)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}

_NAME = COLUMN_INDEX["name"]
_INFO_COLUMNS = {"heartbeat", "notes", "configuration_version", "group"}
#: More VMs than this changed at once: re-read all of them with one bulk call.
_BULK_INFO_THRESHOLD = 32


def _changed_columns(old: VmTableSnapshot | None, new: VmTableSnapshot,
                     info_changed: bool) -> tuple[int, int] | None:
    """(first, last) column whose text may differ between two snapshots, or None.

    Cells are compared as shown (whole percent, whole MB, whole seconds), so a running VM
    whose CPU moved from 1.2 % to 1.4 % does not repaint its CPU cell. Views repaint only
    the band of columns reported, which is most of the saving at 1,024 VMs.
    """
    import numpy as np

    if old is None or old.ids != new.ids:
        return 0, len(COLUMNS) - 1
    cols: list[int] = []
    index = COLUMN_INDEX
    states_changed = old.states != new.states
    if old.names != new.names:
        cols.append(index["name"])
    if states_changed:
        cols += [index["name"], index["state"], index["cpu"], index["memory"], index["uptime"],
                 index["memory_demand"]]
    if not np.array_equal(np.rint(old.cpu_usage_percent), np.rint(new.cpu_usage_percent)):
        cols.append(index["cpu"])
    if not np.array_equal(old.memory_assigned_mb, new.memory_assigned_mb):
        cols.append(index["memory"])
    if not np.array_equal(old.uptime_seconds.astype(np.int64),
                          new.uptime_seconds.astype(np.int64)):
        cols.append(index["uptime"])
    if old.statuses != new.statuses:
        cols.append(index["status"])
    if not np.array_equal(old.generations, new.generations):
        cols.append(index["generation"])
    if not np.array_equal(np.rint(old.memory_demand_mb), np.rint(new.memory_demand_mb)):
        cols.append(index["memory_demand"])
    if info_changed or states_changed:
        cols += [index["heartbeat"], index["notes"], index["configuration_version"],
                 index["group"]]
    if not cols:
        return None
    return min(cols), max(cols)


class VmListModel(QAbstractTableModel):
    """Rows are VMs of the lab that pass the host/group/text filter, in sort order.

    ``rename_requested(vm_id, new_name)`` is emitted when the user edits a name in place;
    the owner calls the API (and shows any error), the model does not.
    """

    rename_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge: Bridge | None = None
        self._snap: VmTableSnapshot | None = None
        self._info: dict[str, VmInfo] = {}
        self._dirty: set[str] = set()
        # Per-tick Python lists (indexing a list is much cheaper than a numpy scalar).
        self._names: Sequence[str] = ()
        self._states: Sequence[str] = ()
        self._statuses: Sequence[str] = ()
        self._ids: Sequence[str] = ()
        self._cpu: list[float] = []
        self._mem: list[int] = []
        self._demand: list[float] = []
        self._uptime: list[float] = []
        self._gen: list[int] = []
        # Display order: snapshot positions of the rows shown, and their VM ids.
        self._rows: list[int] = []
        self._row_ids: list[str] = []
        self._filter_host: str | None = None
        self._filter_group: str | None = None
        self._filter_text = ""
        self._filter_key: tuple[Any, ...] | None = None
        self._filtered_cache: list[int] = []
        self._pos: dict[str, int] = {}
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._flags_name = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                            | Qt.ItemFlag.ItemIsEditable)
        self._flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        self._text: list[Callable[[int], str]] = [
            lambda i: self._names[i],
            lambda i: self._states[i],
            lambda i: fmt.cpu_percent(self._cpu[i]) if self._live(i) else "",
            lambda i: fmt.megabytes(self._mem[i]) if self._live(i) else "",
            lambda i: fmt.uptime(self._uptime[i]) if self._live(i) else "",
            lambda i: self._statuses[i],
            lambda i: str(self._gen[i]),
            lambda i: fmt.megabytes(self._demand[i]) if self._live(i) else "",
            lambda i: self._info_text(i, "heartbeat"),
            lambda i: self._info_text(i, "notes").replace("\n", " "),
            lambda i: self._info_text(i, "configuration_version"),
            lambda i: self._info_text(i, "group"),
            lambda i: "",  # CPU History: a sparkline, painted by its delegate
        ]
        self._align = [_RIGHT if c.numeric else _LEFT for c in COLUMNS]
        #: Counters for tests and the benchmark.
        self.data_changed_emits = 0
        self.layout_changes = 0
        self.resets = 0

    # -- Qt model interface -------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY:
            return self._text[index.column()](self._rows[index.row()])
        if role == _ALIGN:
            return self._align[index.column()]
        if role == _DECORATION:
            if index.column() == _NAME:
                return state_icon(self._states[self._rows[index.row()]])
            return None
        if role == _EDIT:
            return self._names[self._rows[index.row()]] if index.column() == _NAME else None
        if role == VM_ID_ROLE:
            return self._row_ids[index.row()]
        if role == _TOOLTIP:
            return self._tooltip(self._rows[index.row()], index.column())
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == _DISPLAY:
                return COLUMNS[section].title
            if role == _ALIGN:
                return _LEFT | int(Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if index.column() == _NAME:
            return self._flags_name
        return self._flags

    def setData(self, index: _Index, value: Any, role: int = _EDIT) -> bool:
        if role != _EDIT or index.column() != _NAME or not index.isValid():
            return False
        new = str(value).strip()
        vm_id = self._row_ids[index.row()]
        if new and new != self._names[self._rows[index.row()]]:
            self.rename_requested.emit(vm_id, new)
        return False  # the next tick shows the name the engine accepted

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = column
        self._sort_order = order
        if self._snap is not None:
            self._reorder(self._ordered(self._filtered()))

    # -- what views and actions ask ------------------------------------------------------------
    def vm_id_at(self, row: int) -> str:
        return self._row_ids[row]

    def row_of(self, vm_id: str) -> int:
        try:
            return self._row_ids.index(vm_id)
        except ValueError:
            return -1

    def visible_ids(self) -> list[str]:
        return list(self._row_ids)

    def name_of(self, vm_id: str) -> str:
        """The VM's name in the latest snapshot ("" if it is not in it)."""
        i = self._pos.get(vm_id)
        return self._names[i] if i is not None else ""

    def info(self, vm_id: str) -> VmInfo | None:
        """The cached VmInfo of a VM (static columns, groups); None before the first tick."""
        return self._info.get(vm_id)

    def all_info(self) -> list[VmInfo]:
        return [self._info[v] for v in self._ids if v in self._info]

    # -- filters --------------------------------------------------------------------------------
    def set_filter(self, *, host_id: str | None = None, group: str | None = None,
                   text: str | None = None) -> None:
        """Show the VMs of one host and/or one group (None: all), whose name, group or notes
        contain ``text`` (case-insensitive)."""
        self._filter_host = host_id
        self._filter_group = group
        if text is not None:
            self._filter_text = text.strip().casefold()
        if self._snap is not None:
            self._reorder(self._ordered(self._filtered()))

    def set_search_text(self, text: str) -> None:
        self.set_filter(host_id=self._filter_host, group=self._filter_group, text=text)

    # -- the tick ---------------------------------------------------------------------------------
    def mark_dirty(self, vm_id: str) -> None:
        """A VM's configuration changed (name, group, notes): re-read it on the next update."""
        self._dirty.add(vm_id)

    def attach(self, bridge: Bridge) -> None:
        """List the lab behind ``bridge``: VM details are read from it as rows change."""
        self._bridge = bridge

    def update_snapshot(self, snap: VmTableSnapshot) -> None:
        """Take the tick's snapshot: one ranged dataChanged, or a layout change / reset when
        the rows shown or their order changed."""
        old = self._snap
        info_changed = self._refresh_info(old, snap)
        changed = _changed_columns(old, snap, info_changed)
        self._snap = snap
        if old is None or old.ids != snap.ids:
            self._pos = {v: i for i, v in enumerate(snap.ids)}
        self._ids = snap.ids
        self._names = snap.names
        self._states = snap.states
        self._statuses = snap.statuses
        self._cpu = snap.cpu_usage_percent.tolist()
        self._mem = snap.memory_assigned_mb.tolist()
        self._demand = snap.memory_demand_mb.tolist()
        self._uptime = snap.uptime_seconds.tolist()
        self._gen = snap.generations.tolist()
        if old is None or old.version != snap.version or old.ids != snap.ids:
            self._filter_key = None  # names, groups or the VM set may have changed
        self._reorder(self._ordered(self._filtered()), changed)

    def _refresh_info(self, old: VmTableSnapshot | None, snap: VmTableSnapshot) -> bool:
        """Re-read VmInfo where needed; True if any was re-read."""
        # Only VMs whose state or status text moved, or whose configuration changed, are
        # re-read: a steady lab of 1,024 VMs costs no API call per tick.
        if old is None or len(self._info) == 0:
            changed = set(snap.ids)
        else:
            changed = set(self._dirty)
            if old.ids == snap.ids:
                if old.states != snap.states or old.statuses != snap.statuses:
                    changed.update(i for i, s0, s1, t0, t1 in zip(
                        snap.ids, old.states, snap.states, old.statuses, snap.statuses,
                        strict=True) if s0 != s1 or t0 != t1)
            else:
                known = self._info.keys()
                changed.update(v for v in snap.ids if v not in known)
                live = set(snap.ids)
                for gone in [v for v in known if v not in live]:
                    del self._info[gone]
        self._dirty.clear()
        if not changed:
            return False
        if self._bridge is None:
            raise RuntimeError("the list has no lab yet")
        api = self._bridge.api
        if len(changed) > _BULK_INFO_THRESHOLD:
            for info in api.vms():
                self._info[info.id] = info
            return True
        for vm_id in changed:
            try:
                self._info[vm_id] = api.vm(vm_id)
            except Exception:  # deleted between the snapshot and now
                self._info.pop(vm_id, None)
        return True

    # -- filtering and sorting --------------------------------------------------------------------
    def _filtered(self) -> list[int]:
        key = (self._filter_host, self._filter_group, self._filter_text)
        if self._filter_key == key:
            return self._filtered_cache
        host, group, text = key
        snap = self._snap
        assert snap is not None
        out: list[int] = []
        info = self._info
        for i, vm_id in enumerate(snap.ids):
            if host is not None and snap.host_ids[i] != host:
                continue
            vi = info.get(vm_id)
            if group is not None and (vi is None or vi.group != group):
                continue
            if text and text not in snap.names[i].casefold() and not (
                    vi is not None and (text in vi.group.casefold()
                                        or text in vi.notes.casefold())):
                continue
            out.append(i)
        self._filtered_cache = out
        self._filter_key = key
        return out

    def _sort_key(self, rows: np.ndarray) -> np.ndarray | None:
        import numpy as np  # loaded with the lab, after the window's first paint

        col = self._sort_column
        if col < 0 or self._snap is None:
            return None
        snap = self._snap
        key = COLUMNS[col].key
        numeric = {
            "cpu": snap.cpu_usage_percent, "memory": snap.memory_assigned_mb,
            "uptime": snap.uptime_seconds, "generation": snap.generations,
            "memory_demand": snap.memory_demand_mb, "cpu_history": snap.cpu_usage_percent,
        }.get(key)
        if numeric is not None:
            out: np.ndarray = np.asarray(numeric)[rows].astype(np.float64)
            return out
        if key == "name":
            texts = [snap.names[i].casefold() for i in rows]
        elif key == "state":
            texts = [snap.states[i] for i in rows]
        elif key == "status":
            texts = [snap.statuses[i] for i in rows]
        else:
            texts = [self._info_text(int(i), key).casefold() for i in rows]
        # Rank strings so that descending order can negate them like numbers.
        _, ranks = np.unique(np.array(texts, dtype=object).astype(str), return_inverse=True)
        return ranks.astype(np.float64)

    def _ordered(self, rows: list[int]) -> list[int]:
        if self._sort_column < 0 or not rows:
            return rows
        import numpy as np

        arr = np.asarray(rows, dtype=np.int64)
        key = self._sort_key(arr)
        if key is None:
            return rows
        if self._sort_order == Qt.SortOrder.DescendingOrder:
            key = -key
        order = np.argsort(key, kind="stable")
        ordered: list[int] = arr[order].tolist()
        return ordered

    def _reorder(self, rows: list[int], changed: tuple[int, int] | None = (0, -1)) -> None:
        """Show ``rows`` in this order. Same rows in the same order: one dataChanged over the
        columns that changed (``changed`` = first, last; None: nothing changed; the default
        means all columns)."""
        snap = self._snap
        assert snap is not None
        new_ids = [snap.ids[i] for i in rows]
        if new_ids == self._row_ids:
            self._rows = rows
            if rows and changed is not None:
                first, last = changed
                last = len(COLUMNS) - 1 if last < 0 else last
                self.dataChanged.emit(self.index(0, first), self.index(len(rows) - 1, last))
                self.data_changed_emits += 1
            return
        if len(new_ids) == len(self._row_ids) and set(new_ids) == set(self._row_ids):
            # Same rows, new order: move persistent indexes (and so the selection) with them.
            # Emitted without arguments: PySide6 6.11 crashes emitting ([], VerticalSortHint).
            self.layoutAboutToBeChanged.emit()
            new_pos = {vm_id: r for r, vm_id in enumerate(new_ids)}
            old_ids = self._row_ids
            persistent = self.persistentIndexList()
            self._rows = rows
            self._row_ids = new_ids
            moved = [self.index(new_pos[old_ids[p.row()]], p.column()) for p in persistent]
            self.changePersistentIndexList(persistent, moved)
            self.layoutChanged.emit()
            self.layout_changes += 1
            return
        self.beginResetModel()
        self._rows = rows
        self._row_ids = new_ids
        self.endResetModel()
        self.resets += 1

    # -- cell helpers -----------------------------------------------------------------------------
    def _live(self, i: int) -> bool:
        return fmt.shows_live_figures(self._states[i])

    def _info_text(self, i: int, key: str) -> str:
        info = self._info.get(self._ids[i])
        if info is None:
            return ""
        value = getattr(info, key)
        return value if isinstance(value, str) else str(value)

    def _tooltip(self, i: int, col: int) -> str | None:
        key = COLUMNS[col].key
        info = self._info.get(self._ids[i])
        if key == "name" and info is not None:
            lines = [f"{info.name} — {info.guest_os_name}"]
            if info.group:
                lines.append(f"Group: {info.group}")
            return "\n".join(lines)
        if key in ("status", "notes"):
            text = self._text[col](i)
            return text or None
        return None


class VmListView(QTableView):
    """The table: fixed row height, sortable header, selection kept by VM id across resets.

    Signals:
        selection_changed(list[str]): the selected VM ids (in row order) changed.
        current_changed(str): the focused VM id ("" for none).
    """

    selection_changed = Signal(list)
    current_changed = Signal(str)

    def __init__(self, model: VmListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.VM_LIST)
        self.setModel(model)
        self._model = model
        self._saved_selection: list[str] = []
        self._saved_current = ""
        self._last_selection: list[str] = []
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        vh = self.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.horizontalHeader()
        ids.apply(hh, ids.VM_LIST_HEADER)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        hh.setSortIndicatorShown(True)
        hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        hh.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setSortingEnabled(True)
        char = self.fontMetrics().averageCharWidth()
        for i, col in enumerate(COLUMNS):
            self.setColumnWidth(i, col.width * char + 24)
            self.setColumnHidden(i, not col.default_visible)
        model.modelAboutToBeReset.connect(self._on_about_to_reset)
        model.modelReset.connect(self._on_reset)
        sel = self.selectionModel()
        sel.selectionChanged.connect(self._on_selection_changed)
        sel.currentRowChanged.connect(self._on_current_row_changed)

    # -- repaint only what is on screen
    def dataChanged(self, top_left: QModelIndex | QPersistentModelIndex,
                    bottom_right: QModelIndex | QPersistentModelIndex,
                    roles: Sequence[int] = ()) -> None:
        """Pass on only the part of a change that is on screen.

        QTableView repaints the whole viewport when a changed range reaches beyond it, so a
        tick's range over 1,024 rows would repaint every visible cell. Clipped to the
        visible rows it repaints just the band of columns that changed. Rows off screen
        need nothing: they are read fresh when scrolled into view.
        """
        first = self.rowAt(0)
        last = self.rowAt(self.viewport().height() - 1)
        if first < 0:
            first = 0
        if last < 0:
            last = self._model.rowCount() - 1
        top = max(top_left.row(), first)
        bottom = min(bottom_right.row(), last)
        if top > bottom:
            return
        m = self._model
        super().dataChanged(m.index(top, top_left.column()),
                            m.index(bottom, bottom_right.column()), list(roles))

    # -- selection by VM id -----------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        return [self._model.vm_id_at(r) for r in rows]

    def current_id(self) -> str:
        cur = self.currentIndex()
        return self._model.vm_id_at(cur.row()) if cur.isValid() else ""

    def select_ids(self, vm_ids: Iterable[str], current: str = "") -> None:
        wanted = [self._model.row_of(v) for v in vm_ids]
        rows = [r for r in wanted if r >= 0]
        sel = QItemSelection()
        last = self._model.columnCount() - 1
        for r in rows:
            sel.select(self._model.index(r, 0), self._model.index(r, last))
        flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                 | QItemSelectionModel.SelectionFlag.Rows)
        sm = self.selectionModel()
        cur_row = self._model.row_of(current) if current else (rows[-1] if rows else -1)
        if cur_row >= 0:
            sm.setCurrentIndex(self._model.index(cur_row, 0),
                               QItemSelectionModel.SelectionFlag.NoUpdate)
        sm.select(sel, flags)

    def _on_about_to_reset(self) -> None:
        self._saved_selection = self.selected_ids()
        self._saved_current = self.current_id()

    def _on_reset(self) -> None:
        self.select_ids(self._saved_selection, self._saved_current)
        self._emit_selection()

    def _on_selection_changed(self, *_: Any) -> None:
        self._emit_selection()

    def _emit_selection(self) -> None:
        selected = self.selected_ids()
        if selected != self._last_selection:
            self._last_selection = selected
            self.selection_changed.emit(selected)

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_changed.emit(self._model.vm_id_at(current.row()) if current.isValid()
                                  else "")
