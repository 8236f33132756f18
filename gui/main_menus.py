"""Where each of the main window's actions appears: menu bar, toolbars, the VM list's context
menu and the Actions pane's blocks.

The actions belong to their components (:class:`~hvlab.gui.actions.VmActions`,
:class:`~hvlab.gui.host_actions.HostActions`, :class:`~hvlab.gui.disks.actions.StorageActions`,
:class:`~hvlab.gui.graphs.console.PerformanceViews`, :class:`~hvlab.gui.clock.ClockControls`) and to
the window (Refresh, Find, Exit, Help, the View toggles). This module only places them, in
Hyper-V Manager's order, and names the menus and tool buttons for automation
(docs/automation.md). One QAction appears in several places, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from hvlab.gui import ids
from hvlab.gui.bars import fill_toolbar, name_tool_buttons
from hvlab.gui.host_menu import install_host_menu

if TYPE_CHECKING:
    from hvlab.gui.actions import VmActions
    from hvlab.gui.actions_pane import ActionsPane
    from hvlab.gui.clock import ClockControls
    from hvlab.gui.disks.actions import StorageActions
    from hvlab.gui.graphs.console import PerformanceViews
    from hvlab.gui.host_actions import HostActions
    from hvlab.gui.lessons.presenter import PresenterActions
    from hvlab.gui.lessons.teaching_clock import TeachingClock
    from hvlab.gui.lessons.windows import LabWindows

#: The VM block of the Action menu and the context menu, in groups between separators.
VM_MENU_GROUPS = (("connect", "settings"),
                  ("start", "turn_off", "shut_down", "save", "pause", "resume", "reset"),
                  ("checkpoint", "revert", "export"), ("delete_saved_state", "rename", "delete"))
#: The VM actions on the main toolbar (None: a separator).
VM_TOOLBAR = ("connect", "settings", None, "start", "turn_off", "shut_down", "save", "pause",
              "resume", "reset", None, "checkpoint")
#: The Actions pane's block for the selected VMs (None: a separator).
VM_PANE = ("connect", "settings", None, "start", "turn_off", "shut_down", "save", "pause",
           "resume", "reset", None, "checkpoint", "revert", "export", "delete_saved_state",
           "rename", "delete")


def vm_entries(vm: VmActions, keys: Sequence[str | None]) -> list[QAction | None]:
    """The actions of ``keys`` (None stays a separator)."""
    return [None if key is None else vm[key] for key in keys]


@dataclass(frozen=True)
class WindowActions:
    """The window's own actions, and the components whose actions it shows."""

    vm: VmActions
    host: HostActions
    storage: StorageActions
    performance: PerformanceViews
    clock: ClockControls
    teaching_clock: TeachingClock
    presenter: PresenterActions
    insert_setup_disk: QAction
    refresh: QAction
    find: QAction
    exit: QAction
    help: QAction
    about: QAction
    lab_windows: LabWindows
    columns: Sequence[QAction]
    themes: Sequence[QAction]
    show_jobs: QAction


@dataclass(frozen=True)
class MainMenus:
    """What :func:`build_menus` made that the window uses later."""

    new_menu: QMenu
    view_menu: QMenu
    columns_menu: QMenu
    context_menu: QMenu
    main_toolbar: QToolBar
    clock_toolbar: QToolBar


def build_menus(window: QMainWindow, a: WindowActions, pane: ActionsPane) -> MainMenus:
    """The menu bar, the toolbars and the context menu of ``window``, and the host block of
    the Actions pane ``pane`` (whose visibility View ▸ Action Pane toggles)."""
    bar = window.menuBar()
    ids.apply(bar, ids.MENU_BAR)

    def menu(parent: QMenu | None, name: ids.UiName, text: str) -> QMenu:
        m = QMenu(text, window)
        ids.apply(m, name)
        ids.apply(m.menuAction(), ids.UiName(f"{name.object_name}Action", name.accessible_name))
        m.setToolTipsVisible(True)
        if parent is None:
            bar.addMenu(m)
        else:
            parent.addMenu(m)
        return m

    new_menu = QMenu("&New", window)
    ids.apply(new_menu, ids.MENU_NEW)
    ids.apply(new_menu.menuAction(), ids.UiName("menuNewAction", "New"))
    new_menu.addAction(a.host.new_vm_action)
    new_menu.addAction(a.storage.new_disk_action)

    file_menu = menu(None, ids.MENU_FILE, "&File")
    file_menu.addMenu(new_menu)
    file_menu.addAction(a.host.settings_action)
    file_menu.addSeparator()
    file_menu.addAction(a.exit)

    action_menu = menu(None, ids.MENU_ACTION, "&Action")
    _add_vm_actions(action_menu, a)
    action_menu.addSeparator()
    host_menu = menu(action_menu, ids.MENU_HOST, "&Host")
    for action in (a.host.settings_action, a.host.switch_manager_action,
                   a.storage.import_action, a.storage.import_vs_action,
                   a.storage.edit_disk_action,
                   a.storage.inspect_disk_action, a.host.event_viewer_action,
                   a.host.restart_action):
        host_menu.addAction(action)
    host_menu.addSeparator()
    host_menu.addAction(a.host.crash_action)
    action_menu.addAction(a.refresh)

    view_menu = menu(None, ids.MENU_VIEW, "&View")
    columns_menu = menu(view_menu, ids.MENU_COLUMNS, "Add/Remove &Columns")
    columns_menu.addActions(list(a.columns))
    theme_menu = menu(view_menu, ids.MENU_THEME, "&Theme")
    theme_menu.addActions(list(a.themes))
    view_menu.addAction(a.presenter.presenter_action)
    view_menu.addAction(a.presenter.contrast_action)
    view_menu.addAction(a.host.architecture_action)
    view_menu.addAction(a.presenter.architecture_action)
    view_menu.addSeparator()
    toggles_at = view_menu.addSeparator()
    view_menu.addAction(a.show_jobs)
    a.performance.add_to_view_menu(view_menu)
    view_menu.addSeparator()
    view_menu.addAction(a.find)
    view_menu.addAction(a.refresh)

    clock_menu = menu(None, ids.MENU_CLOCK, "&Clock")
    clock_menu.addActions(list(a.clock.speed_actions.values()))
    clock_menu.addSeparator()
    clock_menu.addAction(a.clock.step_action)
    clock_menu.addAction(a.clock.step_minute_action)
    clock_menu.addSeparator()
    clock_menu.addAction(a.clock.manual_action)
    a.teaching_clock.add_to_menu(clock_menu)

    help_menu = menu(None, ids.MENU_HELP, "&Help")
    help_menu.addAction(a.help)
    help_menu.addAction(a.about)
    a.lab_windows.add_to_help_menu(help_menu)
    a.performance.add_demos_menu(help_menu)

    context_menu = QMenu(window)
    ids.apply(context_menu, ids.MENU_VM_CONTEXT)
    ids.apply(context_menu.menuAction(), ids.MENU_VM_CONTEXT_ACTION)
    context_menu.setToolTipsVisible(True)
    _add_vm_actions(context_menu, a)

    main_toolbar, clock_toolbar = _toolbars(window, a)
    for toolbar in (main_toolbar, clock_toolbar):
        view_menu.insertAction(toggles_at, toolbar.toggleViewAction())
    show_pane = QAction("&Action Pane", window)
    ids.apply(show_pane, ids.ACT_SHOW_ACTIONS)
    show_pane.setCheckable(True)
    show_pane.setChecked(True)
    show_pane.toggled.connect(pane.setVisible)
    view_menu.insertAction(toggles_at, show_pane)

    pane.set_host_actions([
        (new_menu, "new-vm"), a.storage.import_action, a.host.settings_action,
        a.host.switch_manager_action, a.storage.edit_disk_action, a.storage.inspect_disk_action,
        a.host.event_viewer_action, a.host.restart_action, a.host.crash_action,
        *a.host.cluster.host_actions, None,
        a.performance.dashboard_action,
        a.performance.perfmon_action, None, a.refresh, (view_menu, "view"), a.help])
    install_host_menu(a.host.hosts, [  # the host tree's context menu
        new_menu, a.storage.import_action, a.host.settings_action, a.host.switch_manager_action,
        a.storage.edit_disk_action, a.storage.inspect_disk_action, None,
        a.host.event_viewer_action, None, a.host.restart_action, a.host.crash_action, None,
        a.refresh])
    return MainMenus(new_menu, view_menu, columns_menu, context_menu, main_toolbar,
                     clock_toolbar)


def _add_vm_actions(menu: QMenu, a: WindowActions) -> None:
    for group in VM_MENU_GROUPS:
        for key in group:
            menu.addAction(a.vm[key])
        menu.addSeparator()
    menu.addAction(a.insert_setup_disk)
    menu.addSeparator()
    for action in a.host.cluster.vm_actions:
        menu.addAction(action)


def _toolbars(window: QMainWindow, a: WindowActions) -> tuple[QToolBar, QToolBar]:
    main = QToolBar("Virtual machine toolbar", window)
    ids.apply(main, ids.MAIN_TOOLBAR)
    fill_toolbar(main, [a.host.new_vm_action, None, *vm_entries(a.vm, VM_TOOLBAR), None,
                        a.host.settings_action, a.refresh])
    clock = QToolBar("Simulated clock", window)
    ids.apply(clock, ids.CLOCK_TOOLBAR)
    a.clock.fill_toolbar(clock)
    name_tool_buttons(clock)
    for toolbar, toggle_name, toggle_text in ((main, ids.ACT_SHOW_TOOLBAR, "&Toolbar"),
                                              (clock, ids.ACT_SHOW_CLOCK_TOOLBAR,
                                               "&Clock Toolbar")):
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        window.addToolBar(toolbar)
        toolbar.toggleViewAction().setText(toggle_text)
        ids.apply(toolbar.toggleViewAction(), toggle_name)
    return main, clock

