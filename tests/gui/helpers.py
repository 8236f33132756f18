"""Small helpers the console tests share: read cells, select VMs, press pane buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from hvlab.gui import ids
from hvlab.gui.main_window import MainWindow
from hvlab.gui.vmlist import COLUMN_INDEX


def cell(window: MainWindow, vm_name: str, column: str) -> str:
    """The text the VM list shows for ``vm_name`` in ``column`` (a column key)."""
    model = window.model
    for row in range(model.rowCount()):
        if model.index(row, COLUMN_INDEX["name"]).data() == vm_name:
            return str(model.index(row, COLUMN_INDEX[column]).data())
    raise AssertionError(f"{vm_name} is not in the list")


def shown_names(window: MainWindow) -> list[str]:
    model = window.model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def select(window: MainWindow, *vm_names: str) -> None:
    """Select VMs by name the way a user does (click, then Ctrl+click)."""
    api = window.bridge.api
    wanted = [api.vm(n).id for n in vm_names]
    window.vm_list.select_ids(wanted, wanted[-1] if wanted else "")
    assert window.selected_vm_ids() == sorted(wanted, key=window.model.row_of)


def pane_button(window: MainWindow, action: ids.UiName) -> QToolButton:
    name = ids.pane_button(action).object_name
    button = window.actions_pane.findChild(QToolButton, name)
    assert button is not None, f"no Actions pane button {name}"
    return button


def click_pane(qtbot: QtBot, window: MainWindow, action: ids.UiName) -> None:
    button = pane_button(window, action)
    assert button.isEnabled(), f"{action.accessible_name} is disabled: {button.toolTip()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type ``text`` into the focused ``widget``: key by key, or, for characters no key
    produces (accents, invisible ones), committed as an input method commits them."""
    if text.isascii() and text.isprintable():
        qtbot.keyClicks(widget, text)
        return
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)
