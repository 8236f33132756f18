"""The right-hand Actions pane: a host block and a block for the selected VM(s).

Each entry is a flat QToolButton bound to the window's QAction (``setDefaultAction``), so
its text, icon, enabled state and tooltip are the action's own: the pane, the menus, the
toolbar and the context menu cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hvlab.gui import ids
from hvlab.gui.icons import icon

#: An entry of a block: an action, a submenu with its icon name, or None for a separator.
Entry = QAction | tuple[QMenu, str] | None


def _accessible(action: QAction) -> ids.UiName:
    return ids.UiName(action.objectName(), ids.accessible_name(action))


class ActionsPane(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.ACTIONS_PANE)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Tab goes straight to the buttons; the area scrolls to the focused one.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget()
        body.setProperty("role", "pane")
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(0, 0, 0, 6)
        self._layout.setSpacing(0)
        header = QLabel("Actions")
        header.setProperty("role", "paneHeader")
        self._layout.addWidget(header)
        self.host_header = QLabel("")
        self.host_header.setProperty("role", "sectionHeader")
        self._layout.addWidget(self.host_header)
        self._host_block = QVBoxLayout()
        self._host_block.setSpacing(0)
        self._layout.addLayout(self._host_block)
        # The selected VM(s), and the checkpoint selected in the Checkpoints pane.
        self.vm_header, self._vm_widget, self._vm_block = self._hidden_block()
        self.checkpoint_header, self._checkpoint_widget, self._checkpoint_block = \
            self._hidden_block()
        self._layout.addStretch(1)
        self.setWidget(body)
        self.buttons: dict[str, QToolButton] = {}

    def _hidden_block(self) -> tuple[QLabel, QWidget, QVBoxLayout]:
        """A block's header and the widget holding its buttons (shown with a title)."""
        header = QLabel("")
        header.setProperty("role", "sectionHeader")
        self._layout.addSpacing(6)
        self._layout.addWidget(header)
        widget = QWidget()
        block = QVBoxLayout(widget)
        block.setContentsMargins(0, 0, 0, 0)
        block.setSpacing(0)
        self._layout.addWidget(widget)
        return header, widget, block

    def set_host_actions(self, entries: Sequence[Entry]) -> None:
        self._fill(self._host_block, entries)

    def set_vm_actions(self, entries: Sequence[Entry]) -> None:
        self._fill(self._vm_block, entries)

    def set_checkpoint_actions(self, entries: Sequence[Entry]) -> None:
        self._fill(self._checkpoint_block, entries)

    def set_checkpoint_title(self, title: str) -> None:
        """The checkpoint block's header; an empty title hides the block."""
        self.checkpoint_header.setText(title)
        self.checkpoint_header.setVisible(bool(title))
        self._checkpoint_widget.setVisible(bool(title))

    def set_host_name(self, name: str) -> None:
        self.host_header.setText(name)

    def set_vm_title(self, title: str) -> None:
        """The VM block's header; an empty title hides the block (nothing selected)."""
        self.vm_header.setText(title)
        self.vm_header.setVisible(bool(title))
        self._vm_widget.setVisible(bool(title))

    def _fill(self, layout: QVBoxLayout, entries: Sequence[Entry]) -> None:
        for entry in entries:
            if entry is None:
                line = QFrame()
                line.setFrameShape(QFrame.Shape.HLine)
                line.setFrameShadow(QFrame.Shadow.Plain)
                line.setStyleSheet("color: palette(mid); margin: 3px 10px;")
                layout.addWidget(line)
                continue
            button = QToolButton()
            button.setProperty("role", "paneAction")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setAutoRaise(True)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            if isinstance(entry, tuple):
                # A submenu (New ▸, View ▸): the button opens it. The menu's own action has
                # no icon, so that the menu bar shows text only.
                menu, icon_name = entry
                action = menu.menuAction()
                button.setText(menu.title().replace("&", ""))
                button.setIcon(icon(icon_name))
                button.setMenu(menu)
                button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
                button.setToolTip(f"{button.text()} ▸")
            else:
                action = entry
                button.setDefaultAction(action)
            name = ids.pane_button(_accessible(action))
            ids.apply(button, name)
            layout.addWidget(button)
            self.buttons[action.objectName()] = button
