"""The host's context menu in the tree (right-click, Shift+F10 or the Menu key on a host):
Hyper-V Manager's host actions, with Event Viewer… for the lab's event log."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTreeWidget

from hvlab.gui import ids


def install_host_menu(tree: QTreeWidget, entries: Sequence[QAction | QMenu | None]) -> QMenu:
    """Give ``tree`` its context menu of ``entries`` (None: a separator)."""
    menu = QMenu(tree)
    ids.apply(menu, ids.MENU_HOST_CONTEXT)
    ids.apply(menu.menuAction(), ids.MENU_HOST_CONTEXT_ACTION)
    menu.setToolTipsVisible(True)
    for entry in entries:
        if entry is None:
            menu.addSeparator()
        elif isinstance(entry, QMenu):
            menu.addMenu(entry)
        else:
            menu.addAction(entry)
    tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def popup(pos: QPoint) -> None:
        if tree.itemAt(pos) is not None or tree.currentItem() is not None:
            menu.popup(tree.viewport().mapToGlobal(pos))

    tree.customContextMenuRequested.connect(popup)
    return menu
