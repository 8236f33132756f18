"""Walk a window with the keyboard alone and report what it reached.

``tab_walk`` presses Tab until the focus comes back where it started; ``menu_walk`` opens
the menu bar with F10 and visits every item with the arrow keys; ``context_menu_walk`` opens
the focused item's menu with Shift+F10. Nothing is clicked and nothing is focused by code
once a walk has started, so what a walk reports is what a keyboard user can reach.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QMenu,
    QMenuBar,
    QPlainTextEdit,
    QRadioButton,
    QScrollBar,
    QTextEdit,
    QToolBar,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

CONTROLS = (QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QComboBox,
            QLineEdit, QPlainTextEdit, QTextEdit)
#: A walk longer than this is a trap (Tab never comes back).
MAX_STEPS = 400


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def activate(qtbot: QtBot, window: QWidget) -> None:
    """Make ``window`` the active window (window shortcuts need one), and wait for it."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def controls(window: QWidget) -> list[QWidget]:
    """The controls a user sees and may use in ``window`` now; the toolbars' buttons are for
    the mouse (their actions are in the menus), Qt's own parts go with their widget."""
    found = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or isinstance(widget, QScrollBar):
            continue
        if not (widget.isVisibleTo(window) and widget.isEnabled()):
            continue
        if widget.objectName().startswith("qt_") or isinstance(widget, QHeaderView):
            continue  # Qt's own parts; a header is for the mouse (View menu for columns)
        if isinstance(widget.parent(), QToolBar | QLineEdit):
            continue  # a toolbar's and a line edit's buttons: their actions are in menus
        found.append(widget)
    return found


def tab_walk(qtbot: QtBot, start: QWidget) -> list[QWidget]:
    """Focus ``start``, then press Tab until the focus is back on it; the widgets it visited."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    assert focus() is start, f"{start.objectName()} cannot take the focus"
    visited = [start]
    for _ in range(MAX_STEPS):
        qtbot.keyClick(focus(), Qt.Key.Key_Tab)
        if focus() is start:
            return visited
        visited.append(focus())
    raise AssertionError(f"Tab is trapped: it never came back to {start.objectName()}; "
                         f"the last stops were {[w.objectName() for w in visited[-5:]]}")


def unreached(window: QWidget, visited: Iterable[QWidget]) -> list[str]:
    """The controls of ``window`` the walk did not visit. A radio button counts as reached
    when one of its group was: Tab stops on the checked one, the arrows move between them;
    a widget that contains a visited one (a composite) counts as reached."""
    seen = set(visited)
    radio_parents = {w.parent() for w in seen if isinstance(w, QRadioButton)}
    missed = []
    for widget in controls(window):
        if widget in seen or any(widget.isAncestorOf(s) for s in seen):
            continue
        if isinstance(widget.parent(), QComboBox | QAbstractSpinBox) and widget.parent() in seen:
            continue  # an editable box's line edit: the box takes the focus for it
        if isinstance(widget, QRadioButton) and widget.parent() in radio_parents:
            continue
        missed.append(widget.objectName() or f"{type(widget).__name__} {widget!r}")
    return missed


def _walk_popup(qtbot: QtBot, menu: QMenu) -> set[QAction]:
    """Down through ``menu``'s items (Right into each submenu, Left out of it)."""
    reached: set[QAction] = set()
    first: QAction | None = None
    for _ in range(MAX_STEPS):
        qtbot.keyClick(menu, Qt.Key.Key_Down)
        action = menu.activeAction()
        if action is None or action is first:
            return reached
        first = first or action
        reached.add(action)
        sub = action.menu()
        if isinstance(sub, QMenu) and action.isEnabled():
            qtbot.keyClick(menu, Qt.Key.Key_Right)
            assert QApplication.activePopupWidget() is sub, f"Right does not open {sub.title()}"
            reached |= _walk_popup(qtbot, sub)
            qtbot.keyClick(sub, Qt.Key.Key_Left)
    raise AssertionError(f"the menu {menu.title()} never wraps round")


def close_popups(qtbot: QtBot) -> None:
    while isinstance(popup := QApplication.activePopupWidget(), QMenu):
        qtbot.keyClick(popup, Qt.Key.Key_Escape)


def menu_walk(qtbot: QtBot, window: QWidget, bar: QMenuBar) -> set[QAction]:
    """Each menu of ``bar`` in turn: F10 opens the first, Esc leaves its title highlighted,
    Right moves along the titles and Down opens the highlighted menu."""
    reached: set[QAction] = set()
    menus = [a for a in bar.actions() if a.isVisible()]
    for i, top in enumerate(menus):
        activate(qtbot, window)
        qtbot.keyClick(focus(), Qt.Key.Key_F10)
        popup = QApplication.activePopupWidget()
        assert isinstance(popup, QMenu), "F10 opened no menu"
        if i:
            qtbot.keyClick(popup, Qt.Key.Key_Escape)
            for _ in range(i):
                qtbot.keyClick(bar, Qt.Key.Key_Right)
            qtbot.keyClick(bar, Qt.Key.Key_Down)
        popup = QApplication.activePopupWidget()
        assert popup is top.menu(), f"the keyboard does not reach the menu {top.text()}"
        reached.add(top)
        reached |= _walk_popup(qtbot, popup)
        close_popups(qtbot)
        if isinstance(bar.activeAction(), QAction):  # the bar keeps the highlight: leave it
            qtbot.keyClick(bar, Qt.Key.Key_Escape)
    return reached


def context_menu_walk(qtbot: QtBot, widget: QWidget) -> set[QAction]:
    """Shift+F10 on ``widget`` (it must have the focus), then every item of the menu."""
    assert focus() is widget
    qtbot.keyClick(widget, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    popup = QApplication.activePopupWidget()
    assert isinstance(popup, QMenu), f"Shift+F10 opens no menu on {widget.objectName()}"
    reached = _walk_popup(qtbot, popup)
    close_popups(qtbot)
    return reached


def window_actions(window: QWidget) -> set[QAction]:
    """Every action a window shows: in its menus (context menus too), its toolbars and its
    buttons bound to an action."""
    found: set[QAction] = set()
    for menu in window.findChildren(QMenu):
        found |= {a for a in menu.actions() if not a.isSeparator()}
    for bar in window.findChildren(QToolBar):
        found |= {a for a in bar.actions() if not a.isSeparator()}
    for button in window.findChildren(QToolButton):
        if button.defaultAction() is not None:
            found.add(button.defaultAction())
    return {a for a in found if a.isVisible() and a.isEnabled() and a.text()}


def button_actions(widgets: Iterable[QWidget]) -> set[QAction]:
    """The actions behind the buttons of ``widgets`` (a button that opens a menu brings its
    menu's action)."""
    reached: set[QAction] = set()
    for widget in widgets:
        if isinstance(widget, QToolButton):
            if widget.defaultAction() is not None:
                reached.add(widget.defaultAction())
            if widget.menu() is not None:
                reached.add(widget.menu().menuAction())
    return reached
