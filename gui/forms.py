"""Building blocks the console's forms share, so that they look and read alike: captions
whose mnemonic focuses their field, and flat lists (QTreeWidgets that show rows without a
tree: jobs, disks, adapters, counters)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QAbstractItemView, QLabel, QPushButton, QTreeWidget, QWidget

from hvlab.gui import ids

Selection = QAbstractItemView.SelectionMode


def flat_list(tree: QTreeWidget, name: ids.UiName, headers: Sequence[str],
              widths: Sequence[int] = (), selection: Selection = Selection.NoSelection
              ) -> QTreeWidget:
    """Set ``tree`` up as a list: named for automation, with ``headers``, rows of one height
    and no tree lines; its first columns ``widths`` pixels wide."""
    ids.apply(tree, name)
    tree.setHeaderLabels(list(headers))
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setSelectionMode(selection)
    for column, width in enumerate(widths):
        tree.setColumnWidth(column, width)
    return tree


def caption(text: str, field: QWidget) -> QLabel:
    """The label of ``field``; its mnemonic (``&``) moves the focus to the field."""
    label = QLabel(text)
    label.setBuddy(field)
    return label


def named_button(text: str, name: ids.UiName) -> QPushButton:
    """A push button named for automation."""
    push = QPushButton(text)
    ids.apply(push, name)
    return push
