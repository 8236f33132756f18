"""Every action of the console is reachable with the keyboard alone.

The main window and a VM Connection window: every enabled action of their menus, toolbars,
context menus and Actions pane is reached by F10 and the arrows, Shift+F10 on the focused
item, or Tab. Settings, Hyper-V Settings and the wizards: Tab reaches every control of each
page, and the page lists and Next are worked with the keyboard.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QListWidget, QTreeWidget
from pytestqt.qtbot import QtBot

from hvlab.gui.disks.wizard import StepWizard
from hvlab.gui.main_window import MainWindow
from hvlab.gui.settings.dialog import VmSettingsDialog
from hvlab.gui.wizard.wizard import NewVmWizard
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import select
from tests.gui.keyboard_walk import (
    activate,
    button_actions,
    context_menu_walk,
    focus,
    menu_walk,
    tab_walk,
    unreached,
    window_actions,
)
from tests.gui.test_keyboard import with_checkpoints


def names(actions: set[QAction]) -> list[str]:
    return sorted(a.objectName() or a.text() for a in actions)


@pytest.fixture
def active(qtbot: QtBot, window: MainWindow) -> MainWindow:
    activate(qtbot, window)
    return window


def walk_main_window(qtbot: QtBot, window: MainWindow) -> set[QAction]:
    reached = menu_walk(qtbot, window, window.menuBar())
    visited = tab_walk(qtbot, window.tree)
    assert unreached(window, visited) == []
    reached |= button_actions(visited)
    window.vm_list.setFocus()
    reached |= context_menu_walk(qtbot, window.vm_list)
    window.tree.setFocus()
    reached |= context_menu_walk(qtbot, window.tree)  # the host's menu
    if window.checkpoint_tree.isVisible():
        window.checkpoint_tree.setFocus()
        reached |= context_menu_walk(qtbot, window.checkpoint_tree)
    return reached


@pytest.mark.parametrize("vm", ["XP-CLIENT", "W2K8-DC01"])  # Off, then Running
def test_every_action_of_the_main_window_is_reached_by_keyboard(
        qtbot: QtBot, active: MainWindow, shown: DialogRecorder, vm: str) -> None:
    window = active
    with_checkpoints(window)  # XP-CLIENT has checkpoints: the checkpoint actions are on
    select(window, vm)
    if vm == "XP-CLIENT":
        window.checkpoints.select(window.bridge.api.checkpoints(vm)[0].id)
    reached = walk_main_window(qtbot, window)
    missed = window_actions(window) - reached
    assert names(missed) == []
    assert not shown.errors and not shown.confirmations, "walking triggered nothing"


@pytest.mark.parametrize("vm", ["XP-CLIENT", "W2K8-DC01"])  # Off, then Running
def test_every_action_of_a_connect_window_is_reached_by_keyboard(
        qtbot: QtBot, active: MainWindow, vm: str) -> None:
    api = active.bridge.api
    api.checkpoint(vm)  # Revert… is enabled
    api.set_vm(vm, dvd_path="tools.iso")  # and Media ▸ DVD Drive ▸ Eject
    connect = active.vm_windows.open_connect(api.vm(vm).id)
    activate(qtbot, connect)
    reached = menu_walk(qtbot, connect, connect.menuBar())
    assert names(window_actions(connect) - reached) == []
    visited = tab_walk(qtbot, focus())
    assert unreached(connect, visited) == []


def walk_pages(qtbot: QtBot, dialog: QDialog, page_list: QTreeWidget | QListWidget) -> list[str]:
    """Home, then Down through ``page_list``, with a Tab walk on each page; the pages
    visited."""
    def current() -> str:
        if isinstance(page_list, QTreeWidget):
            item = page_list.currentItem()
            return item.text(0) if item is not None else ""
        row = page_list.currentItem()
        return row.text() if row is not None else ""

    page_list.setFocus()
    qtbot.keyClick(page_list, Qt.Key.Key_Home)
    visited_pages: list[str] = []
    for _ in range(60):
        visited = tab_walk(qtbot, page_list)
        assert unreached(dialog, visited) == [], f"on the page {current()}"
        visited_pages.append(current())
        qtbot.keyClick(page_list, Qt.Key.Key_Down)
        if current() == visited_pages[-1]:
            return visited_pages
    raise AssertionError("the page list never ends")


def test_settings_pages_are_walked_with_the_keyboard(qtbot: QtBot, active: MainWindow) -> None:
    dialog = active.vm_windows.open_settings(active.bridge.api.vm("XP-CLIENT").id)
    assert isinstance(dialog, VmSettingsDialog)
    activate(qtbot, dialog)
    pages = walk_pages(qtbot, dialog, dialog.tree)
    # Every page but the section headings' (Hardware, Management) is in the walk.
    assert len(set(pages)) >= len(dialog.pages) - 1
    dialog.reject()


def test_hyper_v_settings_pages_are_walked_with_the_keyboard(qtbot: QtBot,
                                                             active: MainWindow) -> None:
    dialog = active.host_actions.open_host_settings()
    activate(qtbot, dialog)
    assert len(walk_pages(qtbot, dialog, dialog.pages)) == dialog.pages.count()
    dialog.reject()


def walk_wizard(qtbot: QtBot, wizard: NewVmWizard | StepWizard) -> int:
    """Tab through each page, then Tab to Next and press Space, until Next is disabled;
    the pages seen."""
    next_button = wizard.next_button
    for page in range(1, 20):
        visited = tab_walk(qtbot, focus())
        assert unreached(wizard, visited) == [], f"on page {page}"
        if not (next_button.isEnabled() and next_button.isVisible()):
            return page
        while focus() is not next_button:
            qtbot.keyClick(focus(), Qt.Key.Key_Tab)
        qtbot.keyClick(next_button, Qt.Key.Key_Space)
    raise AssertionError("the wizard never ends")


@pytest.mark.parametrize("opener", ["new_vm", "new_disk", "import"])
def test_wizards_are_walked_with_the_keyboard(qtbot: QtBot, active: MainWindow,
                                              opener: str) -> None:
    wizard = {"new_vm": active.host_actions.open_new_vm,
              "new_disk": active.storage.open_new_disk,
              "import": active.storage.open_import}[opener]()
    assert isinstance(wizard, NewVmWizard | StepWizard)
    activate(qtbot, wizard)
    assert walk_wizard(qtbot, wizard) >= 2
    wizard.reject()


def test_the_event_viewer_is_walked_with_the_keyboard(qtbot: QtBot, active: MainWindow) -> None:
    viewer = active.host_actions.open_event_viewer()
    activate(qtbot, viewer)
    visited = tab_walk(qtbot, viewer.logs)
    assert unreached(viewer, visited) == []
    viewer.close()
