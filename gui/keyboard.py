"""The desktop's keyboard conventions for a window of panes (Windows consoles, KDE, GNOME).

- F6 and Shift+F6 move the focus to the next and the previous pane, as in Windows consoles;
  Tab and Shift+Tab move through every control, pane after pane, in reading order.
- Shift+F10 and the Menu key open the context menu of the focused item, where the mouse's
  right button would.
- F10 opens the menu bar's first menu (GNOME's habit; Windows highlights it); the arrow keys
  then walk the menus.

A pane is a container and the control that takes the focus when the pane is entered (the VM
list rather than the search box above it); a pane that holds nothing focusable at the moment
(the Checkpoints pane showing its note) is skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QContextMenuEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMainWindow, QWidget

NEXT_PANE_KEY = "F6"
PREVIOUS_PANE_KEY = "Shift+F6"
CONTEXT_MENU_KEYS = ("Shift+F10", "Menu")
MENU_BAR_KEY = "F10"


@dataclass(frozen=True)
class Pane:
    """A region of the window the focus can jump to; ``entry`` takes the focus first."""

    container: QWidget
    entry: QWidget


def takes_tab_focus(widget: QWidget) -> bool:
    return (widget.isVisible() and widget.isEnabled()
            and bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus))


def first_focusable(container: QWidget) -> QWidget | None:
    """The first control inside ``container`` that Tab would stop at, in the focus chain."""
    if takes_tab_focus(container):
        return container
    widget = container.nextInFocusChain()
    while widget is not None and widget is not container:  # the chain is a ring
        if container.isAncestorOf(widget) and takes_tab_focus(widget):
            return widget
        widget = widget.nextInFocusChain()
    return None


def open_context_menu(widget: QWidget) -> None:
    """Send ``widget`` the context-menu request the Menu key makes: at the current item of a
    list or tree, otherwise in the middle of the widget."""
    target = widget
    pos = widget.rect().center()
    if isinstance(widget, QAbstractItemView):
        target = widget.viewport()
        rect = widget.visualRect(widget.currentIndex())
        pos = rect.center() if rect.isValid() else QPoint(0, 0)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, pos, target.mapToGlobal(pos),
                              Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, event)


def list_keys(view: QAbstractItemView, activate: QAction, on_item: Sequence[QAction]) -> None:
    """Keys of a list of items: Tab leaves it (a table would move between its cells), Enter
    triggers ``activate`` when it is enabled, and the shortcuts of ``on_item`` (F2, Del) work
    only while the list has the focus, so that another pane can use the same keys."""
    view.setTabKeyNavigation(False)
    for key in ("Return", "Enter"):
        enter = QShortcut(QKeySequence(key), view)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(lambda: activate.trigger() if activate.isEnabled() else None)
    for action in on_item:
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        view.addAction(action)


def tab_chain(widgets: Sequence[QWidget]) -> None:
    """Tab visits ``widgets`` in this order (each one's own children right after it)."""
    for before, after in itertools.pairwise(widgets):
        QWidget.setTabOrder(before, after)


class PaneKeys(QObject):
    """F6 / Shift+F6 between ``panes``, Shift+F10 / Menu for context menus, F10 for the menu
    bar, in ``window``."""

    def __init__(self, window: QMainWindow, panes: Sequence[Pane] = ()) -> None:
        super().__init__(window)
        self._window = window
        self.panes: list[Pane] = list(panes)
        self._keys: list[QShortcut] = []
        self._bind(NEXT_PANE_KEY, lambda: self.cycle(1))
        self._bind(PREVIOUS_PANE_KEY, lambda: self.cycle(-1))
        for key in CONTEXT_MENU_KEYS:
            self._bind(key, self._context_menu)
        self._bind(MENU_BAR_KEY, self.open_menu_bar)

    def _bind(self, key: str, slot: object) -> None:
        shortcut = QShortcut(QKeySequence(key), self._window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(slot)
        self._keys.append(shortcut)

    def set_panes(self, panes: Sequence[Pane]) -> None:
        self.panes = list(panes)

    def current(self) -> int:
        """The index of the pane holding the focus, -1 for none."""
        focus = QApplication.focusWidget()
        for i, pane in enumerate(self.panes):
            if focus is not None and (focus is pane.container
                                      or pane.container.isAncestorOf(focus)):
                return i
        return -1

    def cycle(self, step: int) -> None:
        """Focus the next (step 1) or previous (-1) pane that can take the focus now."""
        count = len(self.panes)
        here = self.current()
        start = here if here >= 0 else (-1 if step > 0 else 0)
        for n in range(1, count + 1):
            pane = self.panes[(start + n * step) % count]
            target = pane.entry if takes_tab_focus(pane.entry) else \
                first_focusable(pane.container)
            if target is not None:
                target.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return

    def _context_menu(self) -> None:
        focus = QApplication.focusWidget()
        if focus is not None and focus.window() is self._window:
            open_context_menu(focus)

    def open_menu_bar(self) -> None:
        bar = self._window.menuBar()
        menus = [a for a in bar.actions() if a.isVisible() and a.isEnabled()]
        if menus:
            bar.setActiveAction(menus[0])
