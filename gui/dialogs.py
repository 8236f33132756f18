"""Message boxes (errors in Hyper-V's words, confirmations), and what every dialog of the
console shares: its name, title and icon, OK / Cancel / Apply, and for a dialog about one
host, that host and the lab's tick.

Every box and dialog opens with ``open()`` (window-modal, no nested event loop), so the
simulated clock keeps running behind it and tests never block. Callers pass what to do next
as a callback. Tests replace :func:`show_error` or :func:`confirm` with monkeypatch to
capture or answer them.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import ids
from hvlab.gui.icons import icon

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge

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
    viewer = _event_viewer_of(parent)
    if viewer is not None:
        # Details: the Event Viewer at the newest event about this error, as in Windows.
        details_button = box.addButton("Details", QMessageBox.ButtonRole.HelpRole)
        details_button.setToolTip("Show the event log entry in the Event Viewer.")
        details_button.clicked.disconnect()
        details_button.clicked.connect(lambda: viewer(message))
    _name_buttons(box)
    box.open()
    return box


def _event_viewer_of(widget: QWidget | None) -> Callable[[str], object] | None:
    """The ``open_event_viewer`` of ``widget``'s main window (its nearest ancestor that
    has one), or None."""
    while widget is not None:
        opener = getattr(widget, "open_event_viewer", None)
        if callable(opener):
            return opener  # type: ignore[no-any-return]
        widget = widget.parentWidget()
    return None


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


def dress(window: QWidget, name: ids.UiName, icon_name: str, title: str = "") -> None:
    """Name a window for automation, give it its icon and its title (when it does not depend
    on what it shows). It deletes itself when closed: each of the console's windows and
    dialogs is built for one use."""
    ids.apply(window, name)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.setWindowIcon(icon(icon_name))
    if title:
        window.setWindowTitle(title)


def _named_box(kinds: Sequence[QDialogButtonBox.StandardButton],
               names: Sequence[ids.UiName]) -> tuple[QDialogButtonBox, list[QPushButton]]:
    box = QDialogButtonBox()
    buttons = []
    for kind, name in zip(kinds, names, strict=True):
        button = box.addButton(kind)
        assert button is not None
        ids.apply(button, name)
        buttons.append(button)
    return box, buttons


def ok_cancel_apply(names: tuple[ids.UiName, ids.UiName, ids.UiName]
                    ) -> tuple[QDialogButtonBox, QPushButton, QPushButton, QPushButton]:
    """OK, Cancel and Apply in a button box, named (in that order) by ``names``; returns the
    box and the three buttons."""
    std = QDialogButtonBox.StandardButton
    box, (ok, cancel, apply) = _named_box((std.Ok, std.Cancel, std.Apply), names)
    return box, ok, cancel, apply


def ok_cancel(names: tuple[ids.UiName, ids.UiName]
              ) -> tuple[QDialogButtonBox, QPushButton, QPushButton]:
    """OK and Cancel in a button box, named by ``names``; returns the box and both buttons."""
    std = QDialogButtonBox.StandardButton
    box, (ok, cancel) = _named_box((std.Ok, std.Cancel), names)
    return box, ok, cancel


def status_label(name: ids.UiName) -> QLabel:
    """A dialog's status line: plain text (a user's words are shown, never interpreted),
    wrapped, empty until there is something to say."""
    label = QLabel("")
    ids.apply(label, name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class HostDialog(QDialog):
    """A dialog about one host ("<title> for <host>") with OK, Cancel and Apply, which
    follows the lab while it is open: :meth:`on_tick` after every tick."""

    def __init__(self, bridge: Bridge, host_id: str | None, name: ids.UiName, title: str,
                 icon_name: str, buttons: tuple[ids.UiName, ids.UiName, ids.UiName],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        host = bridge.api.host(host_id)
        self.host_id = host.id
        dress(self, name, icon_name, f"{title} for {host.name}")
        self.buttons, self.ok_button, self.cancel_button, self.apply_button = \
            ok_cancel_apply(buttons)
        bridge.tick.connect(self.on_tick)

    def on_tick(self, _snap: object) -> None:
        """Called after every tick while the dialog is open."""

    def done(self, result: int) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            self.bridge.tick.disconnect(self.on_tick)
        super().done(result)
