"""The main window with the keyboard alone: panes, menus, context menus, the focused item's keys.

Conventions of Windows consoles and of KDE and GNOME: Tab and F6 move between the panes,
Shift+F10 and the Menu key open the focused item's context menu, F10 opens the menu bar;
F2 and Del act on what has the focus (a VM in the list, a checkpoint in its tree), Enter on
a VM connects to it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu, QWidget
from pytestqt.qtbot import QtBot

from hvlab.gui.main_window import MainWindow
from hvlab.gui.settings.vm_dialogs import DeleteVmDialog, RenameVmDialog
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import select
from tests.gui.keyboard_walk import activate

SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def active(qtbot: QtBot, window: MainWindow) -> MainWindow:
    """The main window, active (window shortcuts need an active window)."""
    activate(qtbot, window)
    return window


def press(qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
          ) -> QWidget:
    """Press ``key`` where the focus is, as a user would; return the new focus widget."""
    focus = QApplication.focusWidget()
    assert focus is not None, "nothing has the keyboard focus"
    qtbot.keyClick(focus, key, modifiers)
    after = QApplication.focusWidget()
    assert after is not None
    return after


@pytest.fixture
def popups() -> Iterator[None]:
    """Closes the menus a test leaves open."""
    yield
    while isinstance(popup := QApplication.activePopupWidget(), QMenu):
        popup.close()


def with_checkpoints(window: MainWindow) -> None:
    """XP-CLIENT (Off) with two checkpoints, A then B, shown in the Checkpoints pane."""
    api = window.bridge.api
    api.checkpoint("XP-CLIENT", "A")
    window.bridge.step(5)
    api.checkpoint("XP-CLIENT", "B")
    window.bridge.step(5)
    select(window, "XP-CLIENT")
    window.bridge.refresh()
    assert window.checkpoints.currentWidget() is window.checkpoint_tree


def test_tab_leaves_the_vm_list_and_walks_the_panes_in_order(qtbot: QtBot,
                                                             active: MainWindow) -> None:
    window = active
    with_checkpoints(window)
    window.tree.setFocus()
    order = [QApplication.focusWidget()]
    for _ in range(5):
        order.append(press(qtbot, Qt.Key.Key_Tab))
    assert order == [window.tree, window.search, window.vm_list, window.checkpoint_tree,
                     window.details.tabs.tabBar(), window.details.tabs.currentWidget()]
    # Onwards through the Actions pane's buttons, and round to the tree again.
    reached: list[QWidget] = []
    while (focus := press(qtbot, Qt.Key.Key_Tab)) is not window.tree:
        reached.append(focus)
        assert len(reached) < 80, "Tab never comes back to the tree"
    assert window.actions_pane.buttons["actionConnect"] in reached
    assert reached[-1] is window.jobs_button
    # Shift+Tab goes back the same way.
    assert press(qtbot, Qt.Key.Key_Tab, SHIFT) is window.jobs_button
    window.checkpoint_tree.setFocus()
    assert press(qtbot, Qt.Key.Key_Tab, SHIFT) is window.vm_list
    assert press(qtbot, Qt.Key.Key_Backtab, SHIFT) is window.search


def test_f6_cycles_the_panes_and_skips_an_empty_one(qtbot: QtBot, active: MainWindow) -> None:
    window = active
    select(window, "W2K8-DC01")  # no checkpoints: the pane shows its note
    window.tree.setFocus()
    first_button = window.actions_pane.buttons["menuNewAction"]
    assert press(qtbot, Qt.Key.Key_F6) is window.vm_list
    assert press(qtbot, Qt.Key.Key_F6) is window.details.tabs.tabBar()
    assert press(qtbot, Qt.Key.Key_F6) is first_button
    assert press(qtbot, Qt.Key.Key_F6) is window.tree
    assert press(qtbot, Qt.Key.Key_F6, SHIFT) is first_button
    with_checkpoints(window)
    window.vm_list.setFocus()
    assert press(qtbot, Qt.Key.Key_F6) is window.checkpoint_tree
    window.search.setFocus()  # the search box belongs to the list's pane
    assert press(qtbot, Qt.Key.Key_F6) is window.checkpoint_tree


@pytest.mark.parametrize(("key", "modifiers"), [(Qt.Key.Key_F10, SHIFT),
                                                (Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier)])
def test_shift_f10_and_the_menu_key_open_the_focused_items_menu(
        qtbot: QtBot, active: MainWindow, popups: None, key: Qt.Key,
        modifiers: Qt.KeyboardModifier) -> None:
    window = active
    with_checkpoints(window)
    clock = window.bridge.api.now_seconds
    window.vm_list.setFocus()
    qtbot.keyClick(window.vm_list, key, modifiers)
    assert QApplication.activePopupWidget() is window.menus.context_menu
    window.menus.context_menu.close()
    window.checkpoint_tree.setFocus()
    qtbot.keyClick(window.checkpoint_tree, key, modifiers)
    assert QApplication.activePopupWidget() is window.checkpoints.context_menu
    window.checkpoints.context_menu.close()
    assert window.bridge.api.now_seconds == clock, "the clock has keys of its own now"


def test_f10_opens_the_menu_bar_and_f8_steps_the_clock(qtbot: QtBot, active: MainWindow,
                                                       popups: None) -> None:
    window = active
    window.vm_list.setFocus()
    before = window.bridge.api.now_seconds
    qtbot.keyClick(window.vm_list, Qt.Key.Key_F8)
    assert window.bridge.api.now_seconds == before + 1
    qtbot.keyClick(window.vm_list, Qt.Key.Key_F8, SHIFT)
    assert window.bridge.api.now_seconds == before + 61
    qtbot.keyClick(window.vm_list, Qt.Key.Key_F10)
    file_menu = window.menuBar().actions()[0].menu()
    assert QApplication.activePopupWidget() is file_menu
    # Right walks to the next menu, as on every desktop.
    qtbot.keyClick(file_menu, Qt.Key.Key_Right)
    assert QApplication.activePopupWidget() is window.menuBar().actions()[1].menu()


def test_f2_and_del_in_the_checkpoint_tree_act_on_the_checkpoint(
        qtbot: QtBot, active: MainWindow, shown: DialogRecorder) -> None:
    window = active
    with_checkpoints(window)
    api = window.bridge.api
    a, b = (c.id for c in api.checkpoints("XP-CLIENT"))
    window.checkpoints.select(b)
    window.checkpoint_tree.setFocus()
    qtbot.keyClick(window.checkpoint_tree, Qt.Key.Key_F2)
    editor = window.checkpoint_tree.viewport().findChild(QLineEdit)
    assert editor is not None and editor.hasFocus(), "F2 edits the checkpoint's name"
    assert editor.text() == "B"
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert api.vm("XP-CLIENT").name == "XP-CLIENT", "the VM was not renamed"
    window.checkpoint_tree.setFocus()
    qtbot.keyClick(window.checkpoint_tree, Qt.Key.Key_Delete)
    assert shown.confirmations == ["Delete Snapshot"]  # the demo host is 2008 R2
    assert [c.name for c in api.checkpoints("XP-CLIENT")] == ["A"]
    window.checkpoints.select(a)
    window.checkpoint_tree.setFocus()
    api.checkpoint("XP-CLIENT", "C")
    window.bridge.step(5)
    window.checkpoints.select(a)
    qtbot.keyClick(window.checkpoint_tree, Qt.Key.Key_Delete, SHIFT)
    assert shown.confirmations[-1] == "Delete Snapshot Subtree"
    assert api.checkpoints("XP-CLIENT") == []
    assert "XP-CLIENT" in {v.name for v in api.vms()}, "Del never reached the VM"


def test_f2_del_and_enter_in_the_vm_list_act_on_the_vm(qtbot: QtBot, active: MainWindow) -> None:
    window = active
    select(window, "XP-CLIENT")
    window.vm_list.setFocus()
    qtbot.keyClick(window.vm_list, Qt.Key.Key_F2)
    (rename,) = [d for d in window.findChildren(RenameVmDialog) if d.isVisible()]
    rename.reject()
    window.vm_list.setFocus()
    qtbot.keyClick(window.vm_list, Qt.Key.Key_Delete)
    (delete,) = [d for d in window.findChildren(DeleteVmDialog) if d.isVisible()]
    delete.reject()
    window.vm_list.setFocus()
    qtbot.keyClick(window.vm_list, Qt.Key.Key_Return)
    assert list(window.vm_windows.connect_windows()) == [window.bridge.api.vm("XP-CLIENT").id]
    # Away from the list, F2 and Del leave the VM alone.
    activate(qtbot, window)
    window.tree.setFocus()
    qtbot.keyClick(window.tree, Qt.Key.Key_Delete)
    qtbot.keyClick(window.tree, Qt.Key.Key_F2)
    dialogs = [*window.findChildren(RenameVmDialog), *window.findChildren(DeleteVmDialog)]
    assert not [d for d in dialogs if d.isVisible()]
