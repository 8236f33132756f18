"""Message boxes: errors in Hyper-V's words, and confirmations.

Every box opens with ``open()`` (window-modal, no nested event loop), so the simulated clock
keeps running behind it and tests never block. Callers pass what to do next as a callback.
Tests replace :func:`show_error` or :func:`confirm` with monkeypatch to capture or answer
them.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from engine.api import HvError
from gui import ids

#: The title of Hyper-V Manager's message boxes.
TITLE = "Hyper-V Manager"


def error_texts(error: HvError | str, details: Sequence[str] = ()) -> tuple[str, str]:
    """(main line, detail lines) of an error as the dialog shows them."""
    if isinstance(error, HvError):
        return error.message, "\n".join((*error.details, *details))
    return error, "\n".join(details)


def show_error(parent: QWidget | None, error: HvError | str, details: Sequence[str] = (),
               title: str = TITLE) -> QMessageBox:
    """An error box: the error's message in bold, its details underneath."""
    message, more = error_texts(error, details)
    box = QMessageBox(QMessageBox.Icon.Critical, title, "", QMessageBox.StandardButton.Close,
                      parent)
    ids.apply(box, ids.ERROR_DIALOG)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(f"<b>{html.escape(message)}</b>")
    if more:
        box.setInformativeText(html.escape(more).replace("\n", "<br>"))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _name_buttons(box)
    box.open()
    return box


def confirm(parent: QWidget | None, title: str, text: str, on_accept: Callable[[], None],
            *, accept_text: str, informative: str = "") -> QMessageBox:
    """Ask before a destructive action; ``on_accept`` runs only if the user agrees."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton,
                      parent)
    ids.apply(box, ids.CONFIRM_DIALOG)
    if informative:
        box.setInformativeText(informative)
    yes = box.addButton(accept_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(yes)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _name_buttons(box)

    def finished(_result: int) -> None:
        if box.clickedButton() is yes:
            on_accept()

    box.finished.connect(finished)
    box.open()
    return box


def information(parent: QWidget | None, title: str, text: str, informative: str = "",
                name: ids.UiName = ids.ABOUT_DIALOG) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok,
                      parent)
    ids.apply(box, name)
    box.setTextFormat(Qt.TextFormat.RichText)
    if informative:
        box.setInformativeText(informative)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _name_buttons(box)
    box.open()
    return box


def _name_buttons(box: QMessageBox) -> None:
    """Message box buttons are named after the box and their text ("confirmDialog_Cancel")."""
    for button in box.buttons():
        text = button.text().replace("&", "")
        button.setObjectName(f"{box.objectName()}_{text.replace(' ', '')}")
        button.setAccessibleName(text)
