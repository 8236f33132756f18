"""The Hyper-V Manager window: host tree, VM list, checkpoints, details, Actions pane.

Layout (../shared/research/hyperv-anchor.md §1): the tree of hosts (and VM groups) on the
left; in the centre the Virtual Machines list, the Checkpoints pane and the details pane;
the Actions pane on the right. The menu bar, toolbar, Actions pane and the list's context
menu share one set of QActions (:class:`gui.actions.VmActions`).

Every view refreshes from the bridge's ``tick``; nothing here owns a timer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSplitter,
    QStyledItemDelegate,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from engine.api import HvError, __version__
from gui import dialogs, ids
from gui.actions import MAIN_NAMES, VmActions, start_fit_text
from gui.actions_pane import ActionsPane
from gui.clock import ClockControls
from gui.details import DetailsPane
from gui.disks.actions import StorageActions
from gui.graphs.console import PerformanceViews
from gui.host_tree import HostTree, TreeKey, filter_of
from gui.icons import icon
from gui.jobs import JobsButton, JobsPanel
from gui.setup_disk import IntegrationSetupAction
from gui.theme import Theme, apply_theme
from gui.vmlist import COLUMNS, VmListModel, VmListView

if TYPE_CHECKING:
    from engine.api import HostInfo, VmTableSnapshot
    from gui.bridge import Bridge
    from gui.commands import VmCommands
    from gui.host_settings import HostSettingsDialog

WINDOW_TITLE = "Hyper-V Manager — hvlab"
#: Above this many selected VMs, enablement is re-read only when the lab changed.
_LARGE_SELECTION = 64


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


class MainWindow(QMainWindow):
    """The main window. Built without a lab it paints at once, showing "Opening the lab…";
    :meth:`attach` then connects it to a bridge (the app loads the lab after the first
    paint, so the window appears before numpy and the engine are even imported)."""

    def __init__(self, bridge: Bridge | None = None, *, theme: Theme = Theme.SYSTEM,
                 note: str = "") -> None:
        super().__init__()
        ids.apply(self, ids.MAIN_WINDOW)
        self.setWindowTitle(WINDOW_TITLE)
        self.setWindowIcon(icon("hvlab"))
        self._bridge: Bridge | None = None
        self._theme = theme
        self._tree_dirty = True
        self._connect_windows: dict[str, QWidget] = {}
        self._host_settings: HostSettingsDialog | None = None
        self._switch_manager: QWidget | None = None
        self._architecture: QWidget | None = None
        self._selected: list[str] = []
        self._last_version = -1
        self.commands: VmCommands | None = None
        self._host_changes = 0
        self._host_cache: tuple[object, HostInfo | None] | None = None
        self._active_jobs: set[int] = set()
        self._jobs_sized = False

        # -- models, views, actions --------------------------------------------------------------
        self.model = VmListModel(lambda vm: self.bridge.api.vm(vm),
                                 lambda: self.bridge.api.vms(), self)
        self.vm_list = VmListView(self.model)
        self.vm_list.setItemDelegateForColumn(0, _NameDelegate(self.vm_list))
        self.vm_actions = VmActions(lambda: self.bridge.api, MAIN_NAMES, self)
        self.clock = ClockControls(self)
        self._make_host_actions()
        self._make_view_actions()

        # -- panes --------------------------------------------------------------------------------
        self.tree = HostTree()
        tree_panel = QWidget()
        tree_layout = QVBoxLayout(tree_panel)
        tree_layout.setContentsMargins(0, 0, 0, 0)
        tree_layout.setSpacing(0)
        tree_layout.addWidget(_pane_header("Hyper-V Manager"))
        tree_layout.addWidget(self.tree, 1)

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
        list_panel = QWidget()
        list_layout = QVBoxLayout(list_panel)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(0)
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
        list_layout.addWidget(header_row)
        list_layout.addWidget(self.vm_list, 1)

        # The Checkpoints pane (gui/checkpoints) is built with the lab (_build_with_lab), after
        # the first paint; its panel and header are here so that the layout does not move.
        checkpoint_panel = QWidget()
        self._checkpoint_layout = QVBoxLayout(checkpoint_panel)
        self._checkpoint_layout.setContentsMargins(0, 0, 0, 0)
        self._checkpoint_layout.setSpacing(0)
        self._checkpoint_layout.addWidget(_pane_header("Checkpoints"))
        # Until then an empty scroll area holds its place: the pane is one too, so the
        # splitter keeps the same sizes when the pane replaces it.
        self._checkpoint_placeholder = QScrollArea()
        self._checkpoint_layout.addWidget(self._checkpoint_placeholder, 1)

        self.details = DetailsPane()
        self.actions_pane = ActionsPane()

        centre = QSplitter(Qt.Orientation.Vertical)
        ids.apply(centre, ids.SPLIT_CENTRE)
        centre.addWidget(list_panel)
        centre.addWidget(checkpoint_panel)
        centre.addWidget(self.details)
        centre.setStretchFactor(0, 3)
        centre.setStretchFactor(1, 0)
        centre.setStretchFactor(2, 2)
        centre.setChildrenCollapsible(False)
        centre.setHandleWidth(1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        ids.apply(self.splitter, ids.SPLIT_MAIN)
        self.splitter.addWidget(tree_panel)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.actions_pane)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.setCentralWidget(self.splitter)
        self._centre = centre

        self.jobs_panel = JobsPanel(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.jobs_panel)
        self.jobs_panel.hide()
        self.jobs_panel.toggleViewAction().setText("&Jobs Panel")
        self.jobs_panel.toggleViewAction().setShortcut(QKeySequence("Ctrl+J"))
        ids.apply(self.jobs_panel.toggleViewAction(), ids.ACT_SHOW_JOBS)

        self.performance = PerformanceViews(self)
        self._make_menus()
        self._make_toolbars()
        self._make_status_bar(note)
        self._fill_actions_pane()
        self._apply_default_sizes()

        # -- signals ------------------------------------------------------------------------------
        self.vm_list.selection_changed.connect(self._on_selection_changed)
        self.vm_list.current_changed.connect(lambda _vm: self._update_details())
        self.vm_list.doubleClicked.connect(self._on_double_clicked)
        self.vm_list.customContextMenuRequested.connect(self._on_context_menu)
        self.vm_list.horizontalHeader().customContextMenuRequested.connect(
            self._on_header_menu)
        self.vm_actions.triggered.connect(self._run_vm_action)
        self.model.rename_requested.connect(self._rename_vm)
        self.tree.filter_changed.connect(self._on_tree_filter)
        self.search.textChanged.connect(self.model.set_search_text)
        self.jobs_panel.cancel_requested.connect(self._cancel_job)
        self.jobs_panel.visibilityChanged.connect(self._on_jobs_visibility)
        self.jobs_button.toggled.connect(self.jobs_panel.setVisible)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.styleHints().colorSchemeChanged.connect(self._on_system_scheme)

        self._host_actions = (self.new_vm_action, self.host_settings_action,
                              self.refresh_action, self.restart_host_action, self.crash_action,
                              self.switch_manager_action, self.architecture_action,
                              *self.storage.host_actions)
        if bridge is not None:
            self.attach(bridge)
        else:
            for action in self._host_actions:
                action.setEnabled(False)
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
        self._build_with_lab()
        self._bridge = bridge
        from gui.commands import VmCommands

        self.commands = VmCommands(bridge, self, self.open_connect, self.open_vm_settings,
                                   self.open_rename_vm)
        self.commands.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.clock.attach(bridge)
        bridge.tick.connect(self._on_tick)
        bridge.vm_list_changed.connect(self._on_vm_list_changed)
        bridge.host_changed.connect(self._on_host_changed)
        bridge.job_changed.connect(self._on_job_changed)
        self.performance.attach(bridge)
        self._active_jobs = {j.id for j in bridge.api.jobs(active_only=True)}
        for action in self._host_actions:
            action.setEnabled(True)
        self._on_tick(bridge.snapshot)
        if self.model.rowCount() > 0:
            self.vm_list.select_ids([self.model.vm_id_at(0)])
        else:
            self._update_actions()

    def _build_with_lab(self) -> None:
        """The parts only a lab fills: built when the lab arrives, so that the window's
        first paint does not wait for their modules."""
        from gui.checkpoints.pane import CheckpointsPane

        self.details.build_tabs()
        a = self.vm_actions.actions
        self.actions_pane.set_vm_actions([
            a["connect"], a["settings"], None, a["start"], a["turn_off"], a["shut_down"],
            a["save"], a["pause"], a["resume"], a["reset"], None, a["checkpoint"], a["export"],
            a["delete_saved_state"], a["rename"], a["delete"]])
        self.checkpoints = CheckpointsPane(lambda: self.bridge, self.storage.open_export)
        self.checkpoints.message.connect(lambda t: self.statusBar().showMessage(t, 8000))
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

    def _run_vm_action(self, key: str, vm_ids: list[str]) -> None:
        if key == "checkpoint" and vm_ids:
            self.checkpoints.take_checkpoint(vm_ids[0])
            return
        if key == "export" and vm_ids:
            self.storage.open_export(vm_ids[0])
            return
        if key == "delete" and len(vm_ids) == 1:
            self.open_delete_vm(vm_ids[0])
            return
        if self.commands is not None:
            self.commands.run(key, vm_ids)

    def _rename_vm(self, vm_id: str, name: str) -> None:
        if self.commands is not None:
            self.commands.rename_vm(vm_id, name)

    # -- construction -----------------------------------------------------------------------------
    def _action(self, name: ids.UiName, text: str, icon_name: str = "", shortcut: str = "",
                tip: str = "") -> QAction:
        action = QAction(icon(icon_name) if icon_name else icon("missing"), text, self)
        action.setIconText(text.replace("&", ""))  # keep the "…" on buttons
        ids.apply(action, name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip + (f" ({shortcut})" if shortcut else ""))
            action.setStatusTip(tip)
        return action

    def _make_host_actions(self) -> None:
        self.new_vm_action = self._action(ids.ACT_NEW_VM, "&Virtual Machine…", "new-vm",
                                          "Ctrl+Shift+N", "Create a virtual machine.")
        self.new_vm_action.triggered.connect(self.open_new_vm)
        self.host_settings_action = self._action(
            ids.ACT_HOST_SETTINGS, "Hyper-V &Settings…", "host-settings", "Ctrl+,",
            "Default folders, NUMA spanning and the host's hardware.")
        self.host_settings_action.triggered.connect(self.open_host_settings)
        self.refresh_action = self._action(ids.ACT_REFRESH, "&Refresh", "refresh", "F5",
                                           "Read everything from the host again.")
        self.refresh_action.triggered.connect(self.refresh_all)
        self.restart_host_action = self._action(
            ids.ACT_RESTART_HOST, "Restart &Host…", "restart-host", "",
            "Restart the host; each VM's Automatic Stop Action runs first, and staged "
            "hardware changes apply when it comes back.")
        self.restart_host_action.triggered.connect(self.restart_host)
        self.crash_action = self._action(
            ids.ACT_CRASH_ROOT, "Simulate Root Partition &Crash…", "crash", "",
            "For trainers: the management operating system bugchecks and takes every "
            "virtual machine down with it.")
        self.crash_action.triggered.connect(self.crash_root)
        # Issue 7: Virtual Switch Manager, the architecture view, the setup disk.
        self.switch_manager_action = self._action(
            ids.ACT_SWITCH_MANAGER, "Virtual Switch &Manager…", "host-settings", "",
            "Create and configure virtual switches and the range of dynamic MAC addresses.")
        self.switch_manager_action.triggered.connect(self.open_switch_manager)
        self.architecture_action = self._action(
            ids.ACT_ARCHITECTURE, "&Architecture", "view", "",
            "Show the host's live architecture: hypervisor, root and child partitions, VMBus, "
            "and the path each I/O takes.")
        self.architecture_action.triggered.connect(self.open_architecture)
        self.is_disk_action = IntegrationSetupAction(ids.ACT_INSERT_IS_DISK,
                                                     lambda: self.bridge, self)
        self.is_disk_action.message.connect(lambda t: self.statusBar().showMessage(t, 8000))
        self.storage = StorageActions(lambda: self.bridge, self)
        self.storage.message.connect(lambda t: self.statusBar().showMessage(t, 8000))
        self.storage.vm_imported.connect(lambda vm_id: self.vm_list.select_ids([vm_id]))
        self.exit_action = self._action(ids.ACT_EXIT, "E&xit", "exit", "Ctrl+Q",
                                        "Close Hyper-V Manager.")
        self.exit_action.triggered.connect(self.close)
        self.find_action = self._action(ids.ACT_SEARCH, "&Find", "search", "Ctrl+F",
                                        "Search the virtual machines by name, group or notes.")
        self.find_action.triggered.connect(self._focus_search)
        self.help_action = self._action(ids.ACT_HELP, "&Help Topics", "help", "F1",
                                        "Keyboard shortcuts and where the user guide is.")
        self.help_action.triggered.connect(self.show_help)
        self.about_action = self._action(ids.ACT_ABOUT, "&About hvlab", "hvlab", "",
                                         "What hvlab is.")
        self.about_action.triggered.connect(self.show_about)

    def _make_view_actions(self) -> None:
        self.column_actions: dict[str, QAction] = {}
        for i, col in enumerate(COLUMNS):
            if col.key == "name":
                continue
            action = QAction(col.title, self)
            ids.apply(action, ids.column_action(col.key, col.title))
            action.setCheckable(True)
            action.setChecked(col.default_visible)
            action.setStatusTip(f"Show or hide the {col.title} column.")
            action.toggled.connect(lambda on, c=i: self.vm_list.setColumnHidden(c, not on))
            self.column_actions[col.key] = action
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[Theme, QAction] = {}
        for choice, name, text in ((Theme.SYSTEM, ids.ACT_THEME_SYSTEM, "Follow &System"),
                                   (Theme.LIGHT, ids.ACT_THEME_LIGHT, "&Light"),
                                   (Theme.DARK, ids.ACT_THEME_DARK, "&Dark")):
            action = QAction(text, self)
            ids.apply(action, name)
            action.setCheckable(True)
            action.setChecked(choice is self._theme)
            action.triggered.connect(lambda _=False, c=choice: self.set_theme(c))
            self.theme_group.addAction(action)
            self.theme_actions[choice] = action

    def _make_menus(self) -> None:
        bar = self.menuBar()
        ids.apply(bar, ids.MENU_BAR)

        def menu(parent: QMenu | None, name: ids.UiName, text: str) -> QMenu:
            m = QMenu(text, self)
            ids.apply(m, name)
            ids.apply(m.menuAction(), ids.UiName(f"{name.object_name}Action",
                                                 name.accessible_name))
            m.setToolTipsVisible(True)
            if parent is None:
                bar.addMenu(m)
            else:
                parent.addMenu(m)
            return m

        self.new_menu = QMenu("&New", self)
        ids.apply(self.new_menu, ids.MENU_NEW)
        ids.apply(self.new_menu.menuAction(), ids.UiName("menuNewAction", "New"))
        self.new_menu.addAction(self.new_vm_action)
        self.new_menu.addAction(self.storage.new_disk_action)

        file_menu = menu(None, ids.MENU_FILE, "&File")
        file_menu.addMenu(self.new_menu)
        file_menu.addAction(self.host_settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.exit_action)

        action_menu = menu(None, ids.MENU_ACTION, "&Action")
        self._add_vm_actions(action_menu)
        action_menu.addSeparator()
        host_menu = menu(action_menu, ids.MENU_HOST, "&Host")
        host_menu.addAction(self.host_settings_action)
        host_menu.addAction(self.switch_manager_action)
        host_menu.addAction(self.storage.import_action)
        host_menu.addAction(self.storage.edit_disk_action)
        host_menu.addAction(self.storage.inspect_disk_action)
        host_menu.addAction(self.restart_host_action)
        host_menu.addSeparator()
        host_menu.addAction(self.crash_action)
        action_menu.addAction(self.refresh_action)

        self.view_menu = menu(None, ids.MENU_VIEW, "&View")
        self.columns_menu = menu(self.view_menu, ids.MENU_COLUMNS, "Add/Remove &Columns")
        for action in self.column_actions.values():
            self.columns_menu.addAction(action)
        theme_menu = menu(self.view_menu, ids.MENU_THEME, "&Theme")
        for action in self.theme_actions.values():
            theme_menu.addAction(action)
        self.view_menu.addAction(self.architecture_action)
        self.view_menu.addSeparator()
        self._view_toggles_at = self.view_menu.addSeparator()
        self.view_menu.addAction(self.jobs_panel.toggleViewAction())
        self.performance.add_to_view_menu(self.view_menu)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.find_action)
        self.view_menu.addAction(self.refresh_action)

        clock_menu = menu(None, ids.MENU_CLOCK, "&Clock")
        for action in self.clock.speed_actions.values():
            clock_menu.addAction(action)
        clock_menu.addSeparator()
        clock_menu.addAction(self.clock.step_action)
        clock_menu.addAction(self.clock.step_minute_action)
        clock_menu.addSeparator()
        clock_menu.addAction(self.clock.manual_action)

        help_menu = menu(None, ids.MENU_HELP, "&Help")
        help_menu.addAction(self.help_action)
        help_menu.addAction(self.about_action)
        self.performance.add_demos_menu(help_menu)

        self.context_menu = QMenu(self)
        ids.apply(self.context_menu, ids.MENU_VM_CONTEXT)
        ids.apply(self.context_menu.menuAction(), ids.MENU_VM_CONTEXT_ACTION)
        self.context_menu.setToolTipsVisible(True)
        self._add_vm_actions(self.context_menu)

    def _add_vm_actions(self, menu: QMenu) -> None:
        a = self.vm_actions.actions
        for group in (("connect", "settings"),
                      ("start", "turn_off", "shut_down", "save", "pause", "resume", "reset"),
                      ("checkpoint", "export"), ("delete_saved_state", "rename", "delete")):
            for key in group:
                menu.addAction(a[key])
            menu.addSeparator()
        menu.addAction(self.is_disk_action)

    def _make_toolbars(self) -> None:
        tb = QToolBar("Virtual machine toolbar", self)
        ids.apply(tb, ids.MAIN_TOOLBAR)
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        a = self.vm_actions.actions
        for entry in (self.new_vm_action, None, a["connect"], a["settings"], None, a["start"],
                      a["turn_off"], a["shut_down"], a["save"], a["pause"], a["resume"],
                      a["reset"], None, a["checkpoint"], None, self.host_settings_action,
                      self.refresh_action):
            if entry is None:
                tb.addSeparator()
            else:
                tb.addAction(entry)
        self.addToolBar(tb)
        self.main_toolbar = tb
        ctb = QToolBar("Simulated clock", self)
        ids.apply(ctb, ids.CLOCK_TOOLBAR)
        ctb.setMovable(False)
        ctb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.clock.fill_toolbar(ctb)
        self.addToolBar(ctb)
        self.clock_toolbar = ctb
        for bar in (tb, ctb):
            for action in bar.actions():
                widget = bar.widgetForAction(action)
                if widget is not None and action.objectName():
                    ids.apply(widget, ids.tool_button(
                        ids.UiName(action.objectName(), ids.accessible_name(action))))
        for bar, name, text in ((tb, ids.ACT_SHOW_TOOLBAR, "&Toolbar"),
                                (ctb, ids.ACT_SHOW_CLOCK_TOOLBAR, "&Clock Toolbar")):
            bar.toggleViewAction().setText(text)
            ids.apply(bar.toggleViewAction(), name)
        self.view_menu.insertAction(self._view_toggles_at, tb.toggleViewAction())
        self.view_menu.insertAction(self._view_toggles_at, ctb.toggleViewAction())
        self.show_actions_pane = QAction("&Action Pane", self)
        ids.apply(self.show_actions_pane, ids.ACT_SHOW_ACTIONS)
        self.show_actions_pane.setCheckable(True)
        self.show_actions_pane.setChecked(True)
        self.show_actions_pane.toggled.connect(lambda on: self.actions_pane.setVisible(on))
        self.view_menu.insertAction(self._view_toggles_at, self.show_actions_pane)

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

    def _fill_actions_pane(self) -> None:
        self.actions_pane.set_host_actions([
            (self.new_menu, "new-vm"), self.storage.import_action, self.host_settings_action,
            self.switch_manager_action, self.storage.edit_disk_action,
            self.storage.inspect_disk_action,
            self.restart_host_action,
            self.crash_action, None, self.performance.dashboard_action,
            self.performance.perfmon_action, None, self.refresh_action,
            (self.view_menu, "view"),
            self.help_action])
        # The VM and checkpoint blocks are hidden until something is selected; they are
        # filled with the lab (_build_with_lab).
        self.actions_pane.set_vm_title("")
        self.actions_pane.set_checkpoint_title("")

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

    # -- the tick ---------------------------------------------------------------------------------
    def _on_tick(self, snap: VmTableSnapshot) -> None:
        self.model.update_snapshot(snap)
        if self._tree_dirty:
            self._tree_dirty = False
            self.tree.rebuild(self.bridge.api.hosts(), self.model.all_info())
        version_changed = snap.version != self._last_version
        self._last_version = snap.version
        if len(self._selected) <= _LARGE_SELECTION or version_changed:
            self._update_actions()
        self._update_details()
        self._update_jobs()
        self._update_count(snap)

    def _on_vm_list_changed(self, _host: str, vm_id: str, _change: str) -> None:
        self.model.mark_dirty(vm_id)
        self._tree_dirty = True

    def _on_host_changed(self, _host: str, _what: str) -> None:
        self._tree_dirty = True
        self._host_changes += 1

    def _on_job_changed(self, job_id: int, state: str, _percent: int) -> None:
        if state == "Running":
            self._active_jobs.add(job_id)
        else:
            self._active_jobs.discard(job_id)

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
        host = self._current_host(cached=True)
        self.actions_pane.set_host_name(host.name if host else "No host")
        if len(self._selected) == 1:
            self.actions_pane.set_vm_title(names.get(self._selected[0], ""))
        elif self._selected:
            self.actions_pane.set_vm_title(f"{len(self._selected)} virtual machines")
        else:
            self.actions_pane.set_vm_title("")
        rebooting = bool(host and host.rebooting)
        for action in (self.restart_host_action, self.crash_action):
            action.setEnabled(host is not None and not rebooting)
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

    def _current_host(self, cached: bool = False) -> HostInfo | None:
        """The host of the tree's selection (the first host for the root). ``cached``: the
        one read when the lab last changed, which is enough for the per-tick refresh."""
        api = self.bridge.api
        host_id = self.tree.selected_host_id()
        key = (host_id, self.bridge.snapshot.version, self._host_changes)
        if cached and self._host_cache is not None and self._host_cache[0] == key:
            return self._host_cache[1]
        try:
            host = api.host(host_id or None)
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
            self.details.storage.show_vm(self.bridge.api, None)
            return
        try:
            info = self.bridge.api.vm(current)
        except HvError:
            self.details.show_vm(None, 0)
            return
        self.details.show_vm(info, len(self._selected))
        self._show_checkpoints(info.name, current)
        self.details.storage.show_vm(self.bridge.api, current, self.bridge.snapshot.version)

    def _show_checkpoints(self, vm_name: str | None, vm_id: str | None = None) -> None:
        self.checkpoints.show_vm(vm_id if vm_name is not None else None, vm_name or "")
        self._update_checkpoint_block()

    def _update_checkpoint_block(self) -> None:
        name = self.checkpoints.selected_name()
        self.actions_pane.set_checkpoint_title(name)

    def _update_count(self, snap: VmTableSnapshot) -> None:
        shown = self.model.rowCount()
        total = len(snap.ids)
        text = (f"{total} virtual machine{'s' if total != 1 else ''}" if shown == total
                else f"{shown} of {total} shown")
        if self.count_label.text() != text:
            self.count_label.setText(text)

    # -- jobs -------------------------------------------------------------------------------------
    def _update_jobs(self) -> None:
        if self._bridge is None:
            return
        api = self._bridge.api
        if self.jobs_panel.isVisible():
            jobs = api.jobs()
            active = sum(1 for j in jobs if not j.state.finished)
            names = dict(zip(self.bridge.snapshot.ids, self.bridge.snapshot.names, strict=True))
            self.jobs_panel.update_jobs(jobs, api.now_seconds,
                                        lambda vm_id: names.get(vm_id, vm_id))
        else:
            # Kept from job events: listing every job each tick costs a millisecond at 1,024.
            active = len(self._active_jobs)
        self.jobs_button.set_count(active)

    def _on_jobs_visibility(self, visible: bool) -> None:
        if visible and not self._jobs_sized:
            self._jobs_sized = True
            self.resizeDocks([self.jobs_panel], [9 * self.fontMetrics().height()],
                             Qt.Orientation.Vertical)
        self.jobs_button.blockSignals(True)
        self.jobs_button.setChecked(visible)
        self.jobs_button.blockSignals(False)
        if visible:
            self._update_jobs()

    def _cancel_job(self, job_id: int) -> None:
        try:
            self.bridge.call(self.bridge.api.cancel_job, job_id)
        except HvError as err:
            dialogs.show_error(self, err)
            return
        self.statusBar().showMessage("The job was cancelled.", 5000)

    # -- filters ----------------------------------------------------------------------------------
    def _on_tree_filter(self, key: TreeKey) -> None:
        if self._bridge is None:
            return
        host, group = filter_of(key)
        self.model.set_filter(host_id=host, group=group)
        self.list_header.setText("Virtual Machines" if group is None
                                 else f"Virtual Machines — {group or 'no group'}")
        self._update_count(self.bridge.snapshot)
        self._update_actions()

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # -- list interactions ------------------------------------------------------------------------
    def _on_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_connect(self.model.vm_id_at(index.row()))

    def _on_context_menu(self, pos: QPoint) -> None:
        if self.vm_list.indexAt(pos).isValid():
            self.context_menu.popup(self.vm_list.viewport().mapToGlobal(pos))

    def _on_header_menu(self, pos: QPoint) -> None:
        self.columns_menu.popup(self.vm_list.horizontalHeader().mapToGlobal(pos))

    def rename_in_place(self, vm_id: str) -> None:
        row = self.model.row_of(vm_id)
        if row >= 0:
            index = self.model.index(row, 0)
            self.vm_list.setCurrentIndex(index)
            self.vm_list.edit(index)

    # -- windows and dialogs ----------------------------------------------------------------------
    def open_connect(self, vm_id: str) -> QWidget:
        from gui.connect_window import ConnectWindow

        window = self._connect_windows.get(vm_id)
        if window is None:
            window = ConnectWindow(self.bridge, vm_id, self)
            self._connect_windows[vm_id] = window
            window.destroyed.connect(lambda _=None, v=vm_id: self._connect_windows.pop(v, None))
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def connect_windows(self) -> dict[str, QWidget]:
        return dict(self._connect_windows)

    def open_vm_settings(self, vm_id: str) -> QWidget | None:
        """Settings… (gui/settings): one dialog per VM; a second request raises it."""
        from gui.settings.dialog import VmSettingsDialog

        for dialog in self.findChildren(VmSettingsDialog):
            if dialog.vm_id == vm_id and dialog.isVisible():
                dialog.raise_()
                return dialog
        try:
            dialog = VmSettingsDialog(self.bridge, vm_id, self)
        except HvError as err:
            dialogs.show_error(self, err)
            return None
        dialog.open()
        return dialog

    def open_rename_vm(self, vm_id: str) -> QWidget | None:
        from gui.settings.vm_dialogs import RenameVmDialog

        try:
            dialog = RenameVmDialog(self.bridge, vm_id, self)
        except HvError as err:
            dialogs.show_error(self, err)
            return None
        dialog.renamed.connect(
            lambda _vm, name: self.statusBar().showMessage(f"Renamed to {name}.", 5000))
        dialog.open()
        return dialog

    def open_delete_vm(self, vm_id: str) -> QWidget | None:
        from gui.settings.vm_dialogs import DeleteVmDialog

        try:
            dialog = DeleteVmDialog(self.bridge, vm_id, self)
        except HvError as err:
            dialogs.show_error(self, err)
            return None
        dialog.deleted.connect(
            lambda _vm, name: self.statusBar().showMessage(f"Deleted {name}.", 5000))
        dialog.open()
        return dialog

    def open_host_settings(self) -> HostSettingsDialog:
        from gui.host_settings import HostSettingsDialog

        if self._host_settings is not None:
            self._host_settings.raise_()
            return self._host_settings
        host = self._current_host()
        dialog = HostSettingsDialog(self.bridge, host.id if host else None, self)
        self._host_settings = dialog
        dialog.finished.connect(lambda _r: setattr(self, "_host_settings", None))
        dialog.open()
        return dialog

    def open_switch_manager(self) -> QWidget:
        from gui.switch_manager import SwitchManagerDialog

        if self._switch_manager is not None:
            self._switch_manager.raise_()
            return self._switch_manager
        host = self._current_host()
        dialog = SwitchManagerDialog(self.bridge, host.id if host else None, self)
        self._switch_manager = dialog
        dialog.finished.connect(lambda _r: setattr(self, "_switch_manager", None))
        dialog.open()
        return dialog

    def open_architecture(self) -> QWidget:
        """View ▸ Architecture; clicking a child partition there selects its VM here."""
        from gui.architecture import ArchitectureWindow

        if self._architecture is None:
            host = self._current_host()
            window = ArchitectureWindow(self.bridge, host.id if host else None, self)
            window.vm_selected.connect(lambda vm_id: self.vm_list.select_ids([vm_id]))
            window.destroyed.connect(lambda _=None: setattr(self, "_architecture", None))
            self._architecture = window
        self._architecture.show()
        self._architecture.raise_()
        return self._architecture

    def open_new_vm(self) -> QWidget:
        from gui.wizard.wizard import NewVmWizard

        host = self._current_host()
        groups = sorted({i.group for i in self.model.all_info() if i.group})
        dialog = NewVmWizard(self.bridge, host.id if host else None, groups, self)
        dialog.created.connect(self._on_vm_created)
        dialog.open()
        return dialog

    def _on_vm_created(self, vm_id: str) -> None:
        self.vm_list.select_ids([vm_id])
        self.statusBar().showMessage("The virtual machine was created.", 5000)

    def restart_host(self) -> None:
        host = self._current_host()
        if host is None:
            return
        dialogs.confirm(
            self, "Restart Host", f"Are you sure you want to restart {host.name}?",
            lambda: self._host_job(self.bridge.api.reboot_host, host.id),
            accept_text="Restart",
            informative="Each virtual machine's Automatic Stop Action runs first (Save by "
                        "default). Staged hardware changes apply when the host starts again.")

    def crash_root(self) -> None:
        host = self._current_host()
        if host is None:
            return
        dialogs.confirm(
            self, "Simulate Root Partition Crash",
            f"Simulate a crash of the root partition of {host.name}?",
            lambda: self._host_job(self.bridge.api.crash_root_partition, host.id),
            accept_text="Crash the Root Partition",
            informative="The management operating system bugchecks. Every virtual machine "
                        "stops at once, without saving, and the host restarts: the parent "
                        "partition is what every child partition depends on.")

    def _host_job(self, command: Callable[[str], object], host_id: str) -> None:
        try:
            self.bridge.call(command, host_id)
        except HvError as err:
            dialogs.show_error(self, err)
            return
        self._tree_dirty = True
        self.statusBar().showMessage("The host is restarting.", 8000)

    def show_help(self) -> None:
        dialogs.information(
            self, "hvlab Help",
            "<b>Keyboard shortcuts</b>",
            "Start Ctrl+S · Turn Off Ctrl+T · Shut Down Ctrl+D · Save Ctrl+Shift+S · "
            "Pause Ctrl+P · Resume Ctrl+R · Reset Ctrl+E · Connect Ctrl+Enter · Rename F2 · "
            "Delete Del · Find Ctrl+F · Refresh F5\n\n"
            "Clock: Pause Ctrl+0 · 1x Ctrl+1 · 10x Ctrl+2 · 60x Ctrl+3 · Step F10 · "
            "Step 1 minute Shift+F10\n\nThe user guide is docs/console.md.")

    def show_about(self) -> None:
        dialogs.information(
            self, "About hvlab",
            f"<b>hvlab {__version__}</b> — Hyper-V Manager for a simulated lab",
            "A console in the style of Hyper-V Manager over a simulated Windows Server "
            "2008-era Hyper-V host, for learning and demonstrations.")

    # -- theme ------------------------------------------------------------------------------------
    def set_theme(self, choice: Theme) -> None:
        self._theme = choice
        self.theme_actions[choice].setChecked(True)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, choice)

    def _on_system_scheme(self, *_: object) -> None:
        if self._theme is Theme.SYSTEM:
            self.set_theme(Theme.SYSTEM)

    # -- closing ----------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        for window in list(self._connect_windows.values()):
            window.close()
        super().closeEvent(event)
