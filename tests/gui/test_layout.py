"""The main window at 1280×800, and pane sizes remembered per user."""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui.app import create_main_window
from hvlab.gui.main_window import MainWindow
from hvlab.gui.pane_layout import CHECKPOINT_ROWS
from hvlab.gui.theme import Theme
from tests.gui.keyboard_walk import activate
from tests.gui.test_keyboard import with_checkpoints


def test_every_pane_is_usable_at_1280_by_800(qtbot: QtBot, window: MainWindow) -> None:
    assert (window.width(), window.height()) == (1280, 800)
    with_checkpoints(window)
    tree = window.checkpoint_tree
    row = tree.visualItemRect(tree.topLevelItem(0)).height()
    assert tree.viewport().height() >= CHECKPOINT_ROWS * row, "at least four checkpoint rows"
    # The Actions pane scrolls: its last button is reached, and shown, with the keyboard.
    pane = window.actions_pane
    assert pane.widget().sizeHint().height() > pane.viewport().height(), \
        "with a VM and a checkpoint selected the blocks are taller than the pane"
    last = list(pane.buttons.values())[-1]
    activate(qtbot, window)
    last.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    top = last.mapTo(pane.viewport(), last.rect().topLeft()).y()
    assert top >= 0 and top + last.height() <= pane.viewport().height(), "scrolled into view"


def _open(qtbot: QtBot, lab: ManagementApi) -> MainWindow:
    window = create_main_window(copy.deepcopy(lab), clock="manual", theme=Theme.LIGHT)
    window.show()
    qtbot.waitExposed(window)
    return window


def _close(window: MainWindow) -> None:
    window.bridge.close()
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_pane_sizes_are_remembered(qtbot: QtBot, light_theme: None,
                                   _user_settings_in_tmp_path: Path,
                                   _pristine_demo_lab: ManagementApi) -> None:
    window = _open(qtbot, _pristine_demo_lab)
    sizes = window.splitter.sizes()
    window.splitter.setSizes([sizes[0] + 60, sizes[1] - 60, sizes[2]])
    centre = window._centre.sizes()
    window._centre.setSizes([centre[0] - 40, centre[1] + 40, centre[2]])
    wanted = (window.splitter.sizes(), window._centre.sizes())
    assert wanted != (sizes, centre)
    _close(window)
    assert any(_user_settings_in_tmp_path.rglob("*.conf")), "kept in the user's settings"

    again = _open(qtbot, _pristine_demo_lab)
    try:
        assert (again.splitter.sizes(), again._centre.sizes()) == wanted
    finally:
        _close(again)
