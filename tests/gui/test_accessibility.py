"""Every interactive widget and action has an objectName and an accessible name.

GUI automation finds widgets by these names (docs/automation.md): pytest-qt by objectName,
AT-SPI clients by accessible name. The walk covers the main window, Hyper-V Settings, a
Connect window and the other dialogs, and fails on anything a user can operate that has
no names. Qt's own parts of composite widgets (a spin box's line edit, a table's corner
button, a tab bar's scroll arrows) belong to their owner and are not walked.
"""

from __future__ import annotations

from collections import Counter

import pytest
import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QHeaderView,
    QLineEdit,
    QMenu,
    QMenuBar,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QToolBar,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from hvlab.gui import ids
from hvlab.gui.main_window import MainWindow
from tests.gui.helpers import select

INTERACTIVE = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView,
               QTabBar, QMenu, QMenuBar, QToolBar, QAbstractSlider, QPlainTextEdit, QTextEdit)
#: Widgets whose children are their own private parts.
COMPOSITE = (QAbstractSpinBox, QComboBox, QLineEdit, QTabBar, QPlainTextEdit, QTextEdit)


def _address(obj: QObject) -> int:
    """The C++ object's address (Python wrappers may differ between two lookups)."""
    return int(shiboken6.getCppPointer(obj)[0])


def _overflow_menus(top: QWidget) -> set[int]:
    """The menus Qt makes for a menu bar's » button (when a window is too narrow)."""
    out: set[int] = set()
    for bar in [top, *top.findChildren(QMenuBar)]:
        if isinstance(bar, QMenuBar):
            button = bar.findChild(QToolButton, "qt_menubar_ext_button")
            if button is not None and button.menu() is not None:
                out.add(_address(button.menu()))
    return out


def _is_private_part(widget: QWidget, top: QWidget) -> bool:
    if widget.objectName().startswith(("qt_", "_q_")):
        return True
    if isinstance(widget, QMenu) and _address(widget) in _overflow_menus(top):
        return True
    if isinstance(widget, QScrollBar | QHeaderView):
        return True  # the owning view is named; header sections are not widgets
    if type(widget).__name__ in ("QTableCornerButton", "QLineEditIconButton"):
        return True
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, COMPOSITE):
            return True
        parent = parent.parentWidget()
    return False


def unnamed(top: QWidget) -> list[str]:
    """Descriptions of interactive widgets and actions under ``top`` lacking a name."""
    problems: list[str] = []
    widgets = [top, *top.findChildren(QWidget)]
    for w in widgets:
        if not isinstance(w, INTERACTIVE) or _is_private_part(w, top):
            continue
        if not w.objectName() or not w.accessibleName():
            problems.append(f"{type(w).__name__} objectName={w.objectName()!r} "
                            f"accessibleName={w.accessibleName()!r} text="
                            f"{getattr(w, 'text', lambda: '')()!r}")
    overflow = _overflow_menus(top)
    for a in top.findChildren(QAction):
        if a.objectName().startswith(("qt_", "_q_")) or a.isSeparator():
            continue
        if a.parent() is not None and _address(a.parent()) in overflow:
            continue
        if not a.objectName() or not ids.accessible_name(a):
            problems.append(f"QAction objectName={a.objectName()!r} text={a.text()!r}")
    return problems


def duplicate_names(top: QWidget) -> list[str]:
    names = [w.objectName() for w in top.findChildren(QWidget)
             if isinstance(w, INTERACTIVE) and not _is_private_part(w, top) and w.objectName()]
    names += [a.objectName() for a in top.findChildren(QAction)
              if a.objectName() and not a.objectName().startswith(("qt_", "_q_"))]
    return [n for n, c in Counter(names).items() if c > 1]


def test_main_window_is_fully_named(window: MainWindow) -> None:
    select(window, "W2K8-DC01")
    window.jobs_panel.show()
    window.bridge.api.save("W2K8-DC01")  # a job with a Cancel button in the jobs panel
    window.bridge.step(0.1)
    assert window.jobs_panel.active_job_ids()
    assert unnamed(window) == []
    assert duplicate_names(window) == []


def test_host_settings_is_fully_named(window: MainWindow) -> None:
    dialog = window.host_actions.open_host_settings()
    for key in ("vhd", "vm", "numa", "hardware", "keyboard", "mouse", "reset"):
        dialog.show_page(key)
    assert unnamed(dialog) == []
    assert duplicate_names(dialog) == []
    dialog.close()


def test_event_viewer_is_fully_named(window: MainWindow) -> None:
    viewer = window.host_actions.open_event_viewer()
    assert unnamed(viewer) == []
    assert duplicate_names(viewer) == []


def test_connect_window_is_fully_named(window: MainWindow) -> None:
    connect = window.vm_windows.open_connect(window.bridge.api.vm("W2K8-DC01").id)
    assert unnamed(connect) == []
    assert duplicate_names(connect) == []


@pytest.mark.parametrize("opener", ["new_vm", "vm_settings"])
def test_other_dialogs_are_fully_named(window: MainWindow, opener: str) -> None:
    if opener == "new_vm":
        dialog = window.host_actions.open_new_vm()
    else:
        window.vm_windows.open_settings(window.bridge.api.vm("W2K8-DC01").id)
        found = window.findChild(QDialog, ids.VM_SETTINGS_DIALOG.object_name)
        assert found is not None
        dialog = found
    assert unnamed(dialog) == []
    dialog.close()


def test_action_accessible_names_match_their_text(window: MainWindow, qtbot: QtBot) -> None:
    # A menu item's AT-SPI name is its text; the buttons for the same action share it.
    connect = window.vm_windows.open_connect(window.bridge.api.vm("W2K8-DC01").id)
    for top in (window, connect):
        for a in top.findChildren(QAction):
            if a.isSeparator() or a.objectName().startswith(("qt_", "_q_")) or not a.text():
                continue
            assert ids.accessible_name(a) == a.text().replace("&", ""), a.objectName()


def test_walker_catches_an_unnamed_button(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QPushButton, QVBoxLayout

    top = QWidget()
    qtbot.addWidget(top)
    QVBoxLayout(top).addWidget(QPushButton("Nameless"))
    assert len(unnamed(top)) == 1
