"""Automation names in the device windows: Virtual Switch Manager, Device Manager, the
architecture view, and their hooks in the main window and the Connect window.

Uses the console's walker (tests/gui/test_accessibility.py), so "interactive" means the same
everywhere, and adds the graphics view and dock widgets these windows have.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QGraphicsView, QMenu, QWidget
from pytestqt.qtbot import QtBot

from hvlab.gui import ids
from hvlab.gui.architecture import ArchitectureWindow
from hvlab.gui.connect_window import ConnectWindow
from hvlab.gui.main_window import MainWindow
from hvlab.gui.switch_manager import SwitchManagerDialog
from tests.gui.test_accessibility import duplicate_names, unnamed


def _all_unnamed(top: QWidget) -> list[str]:
    problems = unnamed(top)
    for w in top.findChildren(QWidget):
        if isinstance(w, QGraphicsView | QDockWidget) and not (w.objectName()
                                                                and w.accessibleName()):
            problems.append(f"{type(w).__name__} objectName={w.objectName()!r}")
    return problems


def _texts_match(top: QWidget) -> list[str]:
    """Action accessible names are their menu text without the mnemonic."""
    return [a.objectName() for a in top.findChildren(QAction)
            if a.text() and not a.isSeparator() and not a.objectName().startswith("qt_")
            and ids.accessible_name(a) != a.text().replace("&", "")]


def test_switch_manager_is_fully_named(qtbot: QtBot, window: MainWindow) -> None:
    window.host_actions.switch_manager_action.trigger()
    dialog = window.findChild(SwitchManagerDialog, ids.SWITCH_DIALOG.object_name)
    assert isinstance(dialog, SwitchManagerDialog)
    for kind in ("External", "Internal", "Private"):
        dialog.new_switch(kind)  # every page and state of the right-hand side
    dialog.show_mac_range()
    assert _all_unnamed(dialog) == []
    assert duplicate_names(dialog) == []
    dialog.close()


def test_connect_window_device_manager_is_fully_named(qtbot: QtBot,
                                                      window: MainWindow) -> None:
    connect = window.vm_windows.open_connect(window.bridge.api.vm("W2K3-APP01").id)
    assert isinstance(connect, ConnectWindow)
    connect.device_manager.toggleViewAction().trigger()
    assert connect.device_manager.isVisible()
    assert connect.device_manager.panel.tree.topLevelItemCount() == 1
    assert _all_unnamed(connect) == []
    assert duplicate_names(connect) == []
    assert _texts_match(connect) == []
    assert connect.is_disk_action.objectName() == ids.CONNECT_INSERT_IS_DISK.object_name


def test_architecture_window_is_fully_named(qtbot: QtBot, window: MainWindow) -> None:
    arch = window.host_actions.open_architecture()
    assert isinstance(arch, ArchitectureWindow)
    qtbot.waitExposed(arch)
    assert _all_unnamed(arch) == []
    assert duplicate_names(arch) == []
    assert _texts_match(arch) == []
    for menu in arch.findChildren(QMenu):
        assert menu.objectName() and menu.accessibleName()


def test_main_window_hooks_are_named(window: MainWindow) -> None:
    for action, name in ((window.host_actions.switch_manager_action, ids.ACT_SWITCH_MANAGER),
                         (window.host_actions.architecture_action, ids.ACT_ARCHITECTURE),
                         (window.is_disk_action, ids.ACT_INSERT_IS_DISK)):
        assert action.objectName() == name.object_name
        # The name follows the host's release: the demo's 2008 R2 says Virtual Network
        # Manager (gui/era.py); the object name stays.
        era = {"Virtual Switch Manager…": "Virtual Network Manager…"}
        assert ids.accessible_name(action) == era.get(name.accessible_name,
                                                      name.accessible_name)
    assert _all_unnamed(window) == []
    assert duplicate_names(window) == []
    assert _texts_match(window) == []


def test_walker_sees_an_unnamed_graphics_view(qtbot: QtBot) -> None:
    top = QWidget()
    qtbot.addWidget(top)
    QGraphicsView(top)
    assert len(_all_unnamed(top)) == 1
