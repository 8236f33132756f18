"""The Hyper-V Manager window: host tree, VM list, checkpoints, details, Actions pane.

Layout as in Hyper-V Manager: the tree of hosts (and VM groups) on the left; in the centre
the Virtual Machines list, the Checkpoints pane and the details pane; the Actions pane on the
right. The window assembles its parts and keeps them in step with the selection; the parts
do the work:

- :class:`hvlab.gui.actions.VmActions` and :class:`hvlab.gui.commands.VmCommands`: the VM
  actions, from one table; :class:`hvlab.gui.vm_windows.VmWindows`: the windows and dialogs
  they open;
- :class:`hvlab.gui.host_actions.HostActions`, :class:`hvlab.gui.disks.actions.StorageActions`,
  :class:`hvlab.gui.graphs.console.PerformanceViews`: the host, storage and performance entries;
- :mod:`hvlab.gui.main_menus`: where every action appears (menus, toolbars, Actions pane).

Every view refreshes from the bridge's ``tick``; nothing here owns a timer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import ids
from hvlab.gui.actions import MAIN_NAMES, VmActions, WindowTask, start_fit_text
from hvlab.gui.actions_pane import ActionsPane
from hvlab.gui.bars import named_action
from hvlab.gui.busy import BusyState
from hvlab.gui.clock import ClockControls
from hvlab.gui.details import DetailsPane
from hvlab.gui.disks.actions import StorageActions
from hvlab.gui.era import EraWords
from hvlab.gui.graphs.console import PerformanceViews
from hvlab.gui.help_actions import HelpActions
from hvlab.gui.host_actions import HostActions
from hvlab.gui.host_tree import HostTree, TreeKey, filter_of
from hvlab.gui.icons import icon
from hvlab.gui.jobs import JobsButton, JobsPanel
from hvlab.gui.keyboard import Pane, PaneKeys, list_keys, tab_chain
from hvlab.gui.lessons.presenter import PresenterActions
from hvlab.gui.lessons.teaching_clock import TeachingClock
from hvlab.gui.lessons.windows import LabWindows
from hvlab.gui.main_menus import VM_PANE, WindowActions, build_menus, vm_entries
from hvlab.gui.pane_layout import CHECKPOINT_ROWS, restore_panes, rows_height, save_panes
from hvlab.gui.setup_disk import IntegrationSetupAction
from hvlab.gui.theme import Theme, apply_theme, theme_actions
from hvlab.gui.vmlist import COLUMNS, VmListModel, VmListView

if TYPE_CHECKING:
    from hvlab.engine.api import HostInfo, VmTableSnapshot
    from hvlab.gui.bridge import Bridge
    from hvlab.gui.checkpoints.pane import CheckpointsPane
    from hvlab.gui.commands import VmCommands
    from hvlab.gui.vm_windows import VmWindows

#: The window title names the console and its host ("Hyper-V Manager — LAB-HOST-01"); the
#: desktop appends the app's display name once.
WINDOW_TITLE = "Hyper-V Manager"
APP_DISPLAY_NAME = "hvlab"
#: Above this many selected VMs, enablement is re-read only when the lab changed.
_LARGE_SELECTION = 64


class _NeedsLab(Protocol):
    """A part built with the window, for its first paint, that works once a lab is open."""

    def attach(self, bridge: Bridge) -> None: ...


class _NameDelegate(QStyledItemDelegate):
    """In-place rename: fills the editor once, so a tick does not overwrite the typing."""

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if editor.property("hvlabFilled"):
            return
        editor.setProperty("hvlabFilled", True)
        super().setEditorData(editor, index)


def _pane_header(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "paneHeader")
    return label


def _column(widgets: list[QWidget], stretch: QWidget) -> tuple[QWidget, QVBoxLayout]:
    """A panel of ``widgets`` stacked without margins; ``stretch`` takes the height left."""
    panel = QWidget()
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is stretch else 0)
    return panel, layout


class MainWindow(QMainWindow):
    """The main window. Built without a lab it paints at once, showing "Opening the lab…";
    :meth:`attach` then connects it to a bridge (the app loads the lab after the first
    paint, so the window appears before numpy and the engine are even imported)."""

    checkpoints: CheckpointsPane
    commands: VmCommands
    vm_windows: VmWindows

    def __init__(self, bridge: Bridge | None = None, *, theme: Theme = Theme.SYSTEM,
                 note: str = "") -> None:
        super().__init__()
        ids.apply(self, ids.MAIN_WINDOW)
        self.setWindowTitle(WINDOW_TITLE)
        self.setWindowIcon(icon("hvlab"))
        self._bridge: Bridge | None = None
        self._theme = theme
        self._tree_dirty = True
        self._selected: list[str] = []
        self._last_version = -1
        self._host_changes = 0
        self._host_cache: tuple[object, HostInfo | None] | None = None
        self._jobs_sized = False
        #: The hvlab server whose lab this window shows ("" for the local lab).
        self.server_name = ""

        # -- models, views, the actions of the parts -------------------------------------------
        self.model = VmListModel(self)
        self.vm_list = VmListView(self.model)
        self.vm_list.setItemDelegateForColumn(0, _NameDelegate(self.vm_list))
        self.tree = HostTree()
        self.vm_actions = VmActions(MAIN_NAMES, self)
        self.host_actions = HostActions(self, self.tree)
        self.open_event_viewer = self.host_actions.open_event_viewer  # errors' Details
        self.storage = StorageActions(self)
        self.is_disk_action = IntegrationSetupAction(ids.ACT_INSERT_IS_DISK, self)
        self.clock = ClockControls(self)
        self.teaching_clock = TeachingClock(self)
        self.presenter = PresenterActions(self, lambda: self.host_actions.open_architecture())
        self.help = HelpActions(self)
        # Lessons and demos open labs of their own, in windows of this kind.
        self.lab_windows = LabWindows(
            self, lambda bridge, note: type(self)(bridge, theme=self._theme, note=note))
        self._make_window_actions()

        # -- panes --------------------------------------------------------------------------------
        self.search = QLineEdit()
        ids.apply(self.search, ids.VM_SEARCH)
        self.search.setPlaceholderText("Search name, group or notes")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(self.find_action, QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumWidth(self.search.fontMetrics().horizontalAdvance(
            "Search name, group or notes") + 60)
        self.count_label = QLabel("")
        ids.apply(self.count_label, ids.VM_LIST_COUNT)
        self.count_label.setProperty("role", "note")
        header_row = QWidget()
        header_row.setProperty("role", "paneHeaderRow")
        header_row.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        hr = QHBoxLayout(header_row)
        hr.setContentsMargins(0, 2, 6, 2)
        hr.setSpacing(8)
        self.list_header = QLabel("Virtual Machines")
        self.list_header.setProperty("role", "paneTitle")
        hr.addWidget(self.list_header, 1)
        hr.addWidget(self.count_label)
        hr.addWidget(self.search)

        # The Checkpoints pane (gui/checkpoints) is built with the lab (_build_with_lab), after
        # the first paint; its panel and header are here so that the layout does not move.
        # Until then an empty scroll area holds its place: the pane is one too, so the
        # splitter keeps the same sizes when the pane replaces it.
        self._checkpoint_placeholder = QScrollArea()
        self._checkpoint_placeholder.setMinimumHeight(
            rows_height(self._checkpoint_placeholder, CHECKPOINT_ROWS))
        checkpoint_panel, self._checkpoint_layout = _column(
            [_pane_header("Checkpoints"), self._checkpoint_placeholder],
            self._checkpoint_placeholder)
        self.details = DetailsPane()
        self.actions_pane = ActionsPane()

        centre = QSplitter(Qt.Orientation.Vertical)
        ids.apply(centre, ids.SPLIT_CENTRE)
        list_panel = _column([header_row, self.vm_list], self.vm_list)[0]
        centre.addWidget(list_panel)
        centre.addWidget(checkpoint_panel)
        centre.addWidget(self.details)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        ids.apply(self.splitter, ids.SPLIT_MAIN)
        tree_panel = _column([_pane_header("Hyper-V Manager"), self.tree], self.tree)[0]
        self.splitter.addWidget(tree_panel)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.actions_pane)
        for splitter, stretches in ((centre, (3, 0, 2)), (self.splitter, (0, 1, 0))):
            for i, stretch in enumerate(stretches):
                splitter.setStretchFactor(i, stretch)
            splitter.setChildrenCollapsible(False)
            splitter.setHandleWidth(1)
        self.setCentralWidget(self.splitter)
        self._centre = centre

        self.jobs_panel = JobsPanel(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.jobs_panel)
        self.jobs_panel.hide()
        self.jobs_panel.toggleViewAction().setText("&Jobs Panel")
        self.jobs_panel.toggleViewAction().setShortcut(QKeySequence("Ctrl+J"))
        ids.apply(self.jobs_panel.toggleViewAction(), ids.ACT_SHOW_JOBS)

        self.performance = PerformanceViews(self, self.vm_list, self.tree,
                                            self.column_actions["cpu_history"])
        self.menus = build_menus(self, WindowActions(
            vm=self.vm_actions, host=self.host_actions, storage=self.storage,
            performance=self.performance, clock=self.clock,
            teaching_clock=self.teaching_clock, presenter=self.presenter,
            insert_setup_disk=self.is_disk_action, refresh=self.refresh_action,
            find=self.find_action, exit=self.exit_action, help=self.help.help_action,
            about=self.help.about_action, lab_windows=self.lab_windows,
            columns=list(self.column_actions.values()),
            themes=list(self.theme_actions.values()),
            show_jobs=self.jobs_panel.toggleViewAction()), self.actions_pane)
        self._make_status_bar(note)
        self.era = EraWords(self)  # the selected host's release: its words, in the status bar
        # The VM and checkpoint blocks are hidden until something is selected; they are
        # filled with the lab (_build_with_lab).
        self.actions_pane.set_vm_title("")
        self.actions_pane.set_checkpoint_title("")
        self._apply_default_sizes()
        self._panes = [Pane(tree_panel, self.tree), Pane(list_panel, self.vm_list),
                       Pane(checkpoint_panel, self._checkpoint_placeholder),
                       Pane(self.details, self.details), Pane(self.actions_pane, self.actions_pane)]
        self._make_keys()
        self._splitters = {"panes": self.splitter, "centrePanes": centre}
        restore_panes(self._splitters)

        # -- signals ------------------------------------------------------------------------------
        self.vm_list.selection_changed.connect(self._on_selection_changed)
        self.vm_list.current_changed.connect(lambda _vm: self._update_details())
        self.vm_list.doubleClicked.connect(self._on_double_clicked)
        self.vm_list.customContextMenuRequested.connect(self._on_context_menu)
        self.vm_list.horizontalHeader().customContextMenuRequested.connect(
            self._on_header_menu)
        self.tree.filter_changed.connect(self._on_tree_filter)
        self.search.textChanged.connect(self.model.set_search_text)
        # The count follows the rows, whatever changed them (a search, a filter, a tick).
        for rows_changed in (self.model.modelReset, self.model.layoutChanged,
                             self.model.rowsInserted, self.model.rowsRemoved):
            rows_changed.connect(self._on_rows_changed)
        self.jobs_panel.visibilityChanged.connect(self._on_jobs_visibility)
        self.jobs_panel.active_count.connect(self.jobs_button.set_count)
        self.busy = BusyState(self)  # for automation: docs/automation.md
        self.jobs_panel.active_count.connect(self.busy.set_jobs)
        self.jobs_button.toggled.connect(self.jobs_panel.setVisible)
        for part in (self.storage, self.is_disk_action, self.host_actions,
                     self.teaching_clock):
            part.message.connect(self._status)
        self.jobs_panel.message.connect(lambda t: self.statusBar().showMessage(t, 5000))
        self.host_actions.vm_created.connect(self._on_vm_created)
        self.performance.lab_requested.connect(self.lab_windows.open_lab)
        self.host_actions.vm_picked.connect(lambda vm_id: self.vm_list.select_ids([vm_id]))
        self.host_actions.host_restarting.connect(self._mark_tree_dirty)
        self.storage.vm_imported.connect(lambda vm_id: self.vm_list.select_ids([vm_id]))
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.styleHints().colorSchemeChanged.connect(self._on_system_scheme)

        if bridge is not None:
            self.attach(bridge)
        else:
            self.refresh_action.setEnabled(False)
            self.count_label.setText("Opening the lab…")
            self.actions_pane.set_host_name("Opening the lab…")

    @property
    def bridge(self) -> Bridge:
        if self._bridge is None:
            raise RuntimeError("the main window has no lab yet")
        return self._bridge

    @property
    def attached(self) -> bool:
        return self._bridge is not None

    def attach(self, bridge: Bridge) -> None:
        """Show the lab behind ``bridge``: every view refreshes from its ticks from now on."""
        if self._bridge is not None:
            raise RuntimeError("the main window already shows a lab")
        self._bridge = bridge
        self._build_with_lab(bridge)
        parts: tuple[_NeedsLab, ...] = (
            self.model, self.vm_actions, self.host_actions, self.storage, self.is_disk_action,
            self.clock, self.teaching_clock, self.jobs_panel, self.performance,
            self.lab_windows, self.presenter)
        for part in parts:
            part.attach(bridge)
        self.refresh_action.setEnabled(True)
        bridge.tick.connect(self._on_tick)
        bridge.vm_list_changed.connect(self._on_vm_list_changed)
        bridge.host_changed.connect(self._on_host_changed)
        self._on_tick(bridge.snapshot)
        if self.model.rowCount() > 0:
            self.vm_list.select_ids([self.model.vm_id_at(0)])
        else:
            self._update_actions()

    def _build_with_lab(self, bridge: Bridge) -> None:
        """The parts only a lab needs: built when the lab arrives, so that the window's
        first paint does not wait for their modules."""
        from hvlab.gui.checkpoints.pane import CheckpointsPane
        from hvlab.gui.commands import VmCommands
        from hvlab.gui.notices import WarningNotice
        from hvlab.gui.vm_windows import VmWindows

        self.statusBar().insertPermanentWidget(0, WarningNotice(bridge, self))
        self.details.attach(bridge)
        self.actions_pane.set_vm_actions([*vm_entries(self.vm_actions, VM_PANE), None,
                                          *self.host_actions.cluster.vm_actions])
        self.checkpoints = CheckpointsPane(bridge, self.storage.open_export)
        self.checkpoints.message.connect(self._status)
        self.era.listen(lambda say: setattr(self.checkpoints, "say", say))
        self.checkpoints.selection_changed.connect(self._update_checkpoint_block)
        self.checkpoint_tree = self.checkpoints.tree
        self.checkpoint_note = self.checkpoints.note
        self._checkpoint_layout.replaceWidget(self._checkpoint_placeholder, self.checkpoints)
        self._checkpoint_placeholder.hide()
        self._checkpoint_placeholder.deleteLater()
        self.checkpoints.show()  # a layout shows a widget added late only from the event loop
        cp = self.checkpoints
        self.actions_pane.set_checkpoint_actions([
            cp.apply_action, cp.export_action, cp.rename_action, cp.delete_action,
            cp.delete_subtree_action])
        self.actions_pane.set_checkpoint_title("")
        self._panes[2] = Pane(self._panes[2].container, self.checkpoints.tree)
        self.keys.set_panes(self._panes)
        # Tab walks the panes in reading order, then the status bar's jobs button.
        tab_chain([self.tree, self.search, self.vm_list, self.checkpoints.tree,
                   self.details.tabs, *self.actions_pane.buttons.values(), self.jobs_button])

        self.vm_windows = VmWindows(bridge, self)
        self.vm_windows.message.connect(lambda t: self.statusBar().showMessage(t, 5000))
        self.commands = VmCommands(bridge, self.vm_actions, self, {
            WindowTask.CONNECT: self.vm_windows.open_connect,
            WindowTask.SETTINGS: self.vm_windows.open_settings,
            WindowTask.CHECKPOINT: self.checkpoints.take_checkpoint,
            WindowTask.EXPORT: self.storage.open_export,
            WindowTask.RENAME: self.vm_windows.open_rename,
            WindowTask.DELETE: self.vm_windows.open_delete,
        })
        self.commands.message.connect(self._status)
        self.model.rename_requested.connect(self.commands.rename_vm)

    # -- construction -----------------------------------------------------------------------------
    def _make_window_actions(self) -> None:
        self.refresh_action = named_action(
            self, ids.ACT_REFRESH, "&Refresh", "refresh", "Read everything from the host again.",
            shortcut="F5", triggered=self.refresh_all)
        self.exit_action = named_action(self, ids.ACT_EXIT, "E&xit", "exit",
                                        "Close Hyper-V Manager.", shortcut="Ctrl+Q",
                                        triggered=self.close)
        self.find_action = named_action(
            self, ids.ACT_SEARCH, "&Find", "search",
            "Search the virtual machines by name, group or notes.", shortcut="Ctrl+F",
            triggered=self._focus_search)
        self.column_actions: dict[str, QAction] = {}
        for i, col in enumerate(COLUMNS):
            if col.key == "name":
                continue
            column = QAction(col.title, self)
            ids.apply(column, ids.column_action(col.key, col.title))
            column.setCheckable(True)
            column.setChecked(col.default_visible)
            column.setStatusTip(f"Show or hide the {col.title} column.")
            column.toggled.connect(lambda on, c=i: self.vm_list.setColumnHidden(c, not on))
            self.column_actions[col.key] = column
        self.theme_actions = theme_actions(self, self._theme, self.set_theme)

    def _make_keys(self) -> None:
        """The desktop's keys (:mod:`hvlab.gui.keyboard`); Enter connects to the VMs selected
        in the list, and F2 and Del act on them while the list has the focus (in the
        Checkpoints pane they act on the checkpoint)."""
        self.keys = PaneKeys(self, self._panes)
        list_keys(self.vm_list, self.vm_actions["connect"],
                  [self.vm_actions["rename"], self.vm_actions["delete"]])

    def _make_status_bar(self, note: str) -> None:
        bar = self.statusBar()
        ids.apply(bar, ids.STATUS_BAR)
        self.fit_label = QLabel("")
        self.fit_label.setTextFormat(Qt.TextFormat.PlainText)
        self.jobs_button = JobsButton()
        bar.addPermanentWidget(self.fit_label)
        bar.addPermanentWidget(self.jobs_button)
        if note:
            bar.showMessage(note, 15000)

    def _apply_default_sizes(self) -> None:
        # Side panes wide enough for their longest usual text, so nothing is clipped at
        # 1280×800 with any font size; the centre takes the rest.
        fm = self.fontMetrics()
        icon_room = 16 + 2 * self.tree.indentation() + 24
        left = max(fm.horizontalAdvance("Legacy applications (22)") + icon_room, 170)
        right = max(fm.horizontalAdvance("Simulate Root Partition Crash…") + 16 + 40, 200)
        self.resize(1280, 800)
        self.splitter.setSizes([left, 1280 - left - right, right])
        line = fm.height()
        self._centre.setSizes([19 * line, 4 * line, 12 * line])

    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # -- the tick ---------------------------------------------------------------------------------
    def _on_tick(self, snap: VmTableSnapshot) -> None:
        self.model.update_snapshot(snap)
        if self._tree_dirty:
            self._tree_dirty = False
            api = self.bridge.api
            self.tree.rebuild(api.hosts(), self.model.all_info(), api.cluster())
        version_changed = snap.version != self._last_version
        self._last_version = snap.version
        if len(self._selected) <= _LARGE_SELECTION or version_changed:
            self._update_actions()
        self._update_details()
        self._update_count(snap)

    def _on_vm_list_changed(self, _host: str, vm_id: str, _change: str) -> None:
        self.model.mark_dirty(vm_id)
        self._tree_dirty = True

    def _on_host_changed(self, _host: str, _what: str) -> None:
        self._tree_dirty = True
        self._host_changes += 1

    def _mark_tree_dirty(self) -> None:
        self._tree_dirty = True

    def refresh_all(self) -> None:
        for vm_id in self.model.visible_ids():
            self.model.mark_dirty(vm_id)
        self._tree_dirty = True
        self.bridge.refresh()
        self.statusBar().showMessage("Refreshed.", 3000)

    # -- selection, actions, details --------------------------------------------------------------
    def selected_vm_ids(self) -> list[str]:
        return list(self._selected)

    def _on_selection_changed(self, vm_ids: list[str]) -> None:
        self._selected = list(vm_ids)
        if self._bridge is None:
            return
        self._update_actions()
        self._update_details()

    def _names(self, vm_ids: list[str]) -> dict[str, str]:
        names = {v: self.model.name_of(v) for v in vm_ids}
        return {v: n for v, n in names.items() if n}

    def _update_actions(self) -> None:
        names = self._names(self._selected)
        self.vm_actions.set_targets(self._selected, names)
        self.is_disk_action.set_targets(self._selected)
        host = self._current_host()
        self.era.follow(self.bridge.api, host)
        self.actions_pane.set_host_name(host.name if host else "No host")
        title = f"{WINDOW_TITLE} — {host.name}" if host else WINDOW_TITLE
        if self.server_name:  # a server's window (gui/servers.py)
            title += f" on {self.server_name}"
        if self.windowTitle() != title:
            self.setWindowTitle(title)
        if len(self._selected) == 1:
            self.actions_pane.set_vm_title(names.get(self._selected[0], ""))
        elif self._selected:
            self.actions_pane.set_vm_title(f"{len(self._selected)} virtual machines")
        else:
            self.actions_pane.set_vm_title("")
        self.host_actions.show_host(host)
        self.host_actions.cluster.show(self._selected, host)
        self._update_fit_label(names)

    def _update_fit_label(self, names: dict[str, str]) -> None:
        start = self.vm_actions.actions["start"]
        text = ""
        if self._selected and start.isEnabled():
            fit = start_fit_text(self.bridge.api, self._selected, names)
            who = (names.get(self._selected[0], "") if len(self._selected) == 1
                   else f"{len(self._selected)} virtual machines")
            text = f"Start {who}: {fit}" if fit else ""
        if self.fit_label.text() != text:
            self.fit_label.setText(text)
            self.fit_label.setToolTip(text)

    def _current_host(self) -> HostInfo | None:
        """The host of the tree's selection (the first host for the root), as read when the
        lab last changed, which is enough for the per-tick refresh."""
        host_id = self.tree.selected_host_id()
        key = (host_id, self.bridge.snapshot.version, self._host_changes)
        if self._host_cache is not None and self._host_cache[0] == key:
            return self._host_cache[1]
        try:
            host = self.bridge.api.host(host_id or None)
        except HvError:
            host = None
        self._host_cache = (key, host)
        return host

    def _update_details(self) -> None:
        if self._bridge is None:
            return
        current = self.vm_list.current_id()
        if current not in self._selected and self._selected:
            current = self._selected[-1]
        if not self._selected or not current:
            self.details.show_vm(None, 0)
            self._show_checkpoints(None)
            return
        try:
            info = self.bridge.api.vm(current)
        except HvError:
            self.details.show_vm(None, 0)
            return
        self.details.show_vm(info, len(self._selected), self.bridge.snapshot.version)
        self._show_checkpoints(info.name, current)

    def _show_checkpoints(self, vm_name: str | None, vm_id: str | None = None) -> None:
        self.checkpoints.show_vm(vm_id if vm_name is not None else None, vm_name or "")
        self._update_checkpoint_block()

    def _update_checkpoint_block(self) -> None:
        self.actions_pane.set_checkpoint_title(self.checkpoints.selected_name())

    def _update_count(self, snap: VmTableSnapshot) -> None:
        shown = self.model.rowCount()
        total = len(snap.ids)
        text = (f"{total} virtual machine{'s' if total != 1 else ''}" if shown == total
                else f"{shown} of {total} shown")
        if self.count_label.text() != text:
            self.count_label.setText(text)

    def _on_rows_changed(self, *_: object) -> None:
        if self._bridge is not None:
            self._update_count(self._bridge.snapshot)

    def _on_jobs_visibility(self, visible: bool) -> None:
        if visible and not self._jobs_sized:
            self._jobs_sized = True
            self.resizeDocks([self.jobs_panel], [9 * self.fontMetrics().height()],
                             Qt.Orientation.Vertical)
        self.jobs_button.blockSignals(True)
        self.jobs_button.setChecked(visible)
        self.jobs_button.blockSignals(False)

    # -- filters and list interactions ------------------------------------------------------------
    def _on_tree_filter(self, key: TreeKey) -> None:
        if self._bridge is None:
            return
        host, group = filter_of(key)
        self.model.set_filter(host_id=host, group=group)
        self.list_header.setText("Virtual Machines" if group is None
                                 else f"Virtual Machines — {group or 'no group'}")
        self._update_actions()

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _on_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.vm_windows.open_connect(self.model.vm_id_at(index.row()))

    def _on_context_menu(self, pos: QPoint) -> None:
        if self.vm_list.indexAt(pos).isValid():
            self.menus.context_menu.popup(self.vm_list.viewport().mapToGlobal(pos))

    def _on_header_menu(self, pos: QPoint) -> None:
        self.menus.columns_menu.popup(self.vm_list.horizontalHeader().mapToGlobal(pos))

    def _on_vm_created(self, vm_id: str) -> None:
        self.vm_list.select_ids([vm_id])
        self.statusBar().showMessage("The virtual machine was created.", 5000)

    # -- theme, closing ---------------------------------------------------------------------------
    def set_theme(self, choice: Theme) -> None:
        self._theme = choice
        self.theme_actions[choice].setChecked(True)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, choice)

    def _on_system_scheme(self, *_: object) -> None:
        if self._theme is Theme.SYSTEM:
            self.set_theme(Theme.SYSTEM)

    def closeEvent(self, event: QCloseEvent) -> None:
        save_panes(self._splitters)
        if self.attached:
            self.vm_windows.close_all()
        super().closeEvent(event)
