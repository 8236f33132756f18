"""Actions as the console's menus, toolbars and Actions pane show them.

One QAction serves every place an action appears, so its icon, automation name, shortcut
and tooltip are set once (:func:`named_action`). A toolbar's buttons are widgets of their
own, named after their actions (:func:`fill_toolbar`), so that automation finds a button
and its menu item by the same accessible name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QMenu, QToolBar, QWidget

from hvlab.gui import ids
from hvlab.gui.forms import caption
from hvlab.gui.icons import icon


def named_action(parent: QObject, name: ids.UiName, text: str, icon_name: str, tip: str = "",
                 *, shortcut: str = "", triggered: Callable[[], object] | None = None
                 ) -> QAction:
    """A QAction with its icon, its automation name, its shortcut, and ``tip`` as status
    tip and tooltip (the tooltip with the shortcut), calling ``triggered()`` when chosen.
    Buttons show the text with its "…" and without the mnemonic."""
    action = QAction(icon(icon_name or "missing"), text, parent)
    action.setIconText(text.replace("&", ""))
    ids.apply(action, name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setToolTip(tip + (f" ({shortcut})" if shortcut else ""))
        action.setStatusTip(tip)
    if triggered is not None:
        action.triggered.connect(lambda _=False: triggered())
    return action


def fill_toolbar(toolbar: QToolBar, entries: Sequence[QAction | None]) -> None:
    """Add ``entries`` (None: a separator), then name the toolbar's buttons."""
    for entry in entries:
        if entry is None:
            toolbar.addSeparator()
        else:
            toolbar.addAction(entry)
    name_tool_buttons(toolbar)


def name_tool_buttons(toolbar: QToolBar) -> None:
    """Name each widget on ``toolbar`` after its action (:func:`hvlab.gui.ids.tool_button`)."""
    for action in toolbar.actions():
        widget = toolbar.widgetForAction(action)
        if widget is not None and action.objectName():
            ids.apply(widget, ids.tool_button(
                ids.UiName(action.objectName(), ids.accessible_name(action))))


def toolbar_field(toolbar: QToolBar, text: str, field: QWidget, name: ids.UiName,
                  margins: tuple[int, int, int, int] = (6, 0, 6, 0)) -> None:
    """A captioned field (a combo box) on ``toolbar``; ``name`` is its toolbar action's."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(*margins)
    row.addWidget(caption(text, field))
    row.addWidget(field)
    ids.apply(toolbar.addWidget(holder), name)


def first_in_file_menu(window: QMainWindow, action: QAction, *, separator: bool = False) -> None:
    """Put ``action`` at the top of ``window``'s File menu (a separator after it with
    ``separator``): the parts that open another lab (New Lab…, Connect to Server…) add
    themselves there once the menus are built."""
    file_menu = window.findChild(QMenu, ids.MENU_FILE.object_name)
    if file_menu is None:
        return
    actions = file_menu.actions()
    if not actions:
        file_menu.addAction(action)
        return
    file_menu.insertAction(actions[0], action)
    if separator:
        file_menu.insertSeparator(actions[0])

