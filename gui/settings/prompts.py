"""The question the settings dialog asks when it is closed with changes not applied.

The box opens with ``open()`` (window-modal, no nested event loop) and reports the answer
through a callback, so the simulated clock keeps running and tests never block. Tests may
click its buttons or replace :func:`ask_unapplied` with monkeypatch.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from hvlab.gui import ids

#: The answers :func:`ask_unapplied` reports.
APPLY, DISCARD, KEEP_EDITING = "apply", "discard", "cancel"


def ask_unapplied(parent: QWidget, vm_name: str,
                  on_answer: Callable[[str], None]) -> QMessageBox:
    """Ask whether to apply pending changes before closing: "apply", "discard" or
    "cancel" (keep the dialog open) reaches ``on_answer``."""
    box = QMessageBox(QMessageBox.Icon.Question, "Settings",
                      f"Do you want to apply the changes you made to the settings of "
                      f"{vm_name}?", QMessageBox.StandardButton.NoButton, parent)
    ids.apply(box, ids.UNAPPLIED_DIALOG)
    box.setInformativeText("If you close the settings without applying them, the changes "
                           "are lost.")
    apply = box.addButton("Apply", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(apply)
    box.setEscapeButton(keep)
    for button in box.buttons():
        text = button.text().replace("&", "")
        button.setObjectName(f"{box.objectName()}_{text}")
        button.setAccessibleName(text)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(_result: int) -> None:
        clicked = box.clickedButton()
        on_answer(APPLY if clicked is apply else DISCARD if clicked is discard
                  else KEEP_EDITING)

    box.finished.connect(finished)
    box.open()
    return box
