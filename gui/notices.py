"""Warnings from the engine's event log, shown in the main window's status bar.

Hyper-V Manager surfaces what the management service logs as a warning (for example a
virtual machine started beyond the VP:LP ratio the release supports) without the user
opening Event Viewer.  The console shows the newest warning in a label of its own at the
right of the status bar (so the status messages of the commands do not hide it) for half a
minute; the whole text is its tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget

from hvlab.engine.api import Level, LogEntry
from hvlab.gui import ids
from hvlab.gui.bridge import Bridge

#: How long a warning stays in the status bar (wall-clock milliseconds).
SHOW_MS = 30_000
MAX_WIDTH_PX = 520


def warning_text(entry: LogEntry) -> str | None:
    """The status-bar text for a log entry, or None when it is not a warning."""
    if entry.level is not Level.WARNING:
        return None
    who = f"{entry.vm_name}: " if entry.vm_name and entry.vm_name not in entry.message else ""
    return f"Warning: {who}{entry.message}"


class WarningNotice(QLabel):
    """The newest warning the engine logged, for a while."""

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        ids.apply(self, ids.STATUS_WARNING)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setMaximumWidth(MAX_WIDTH_PX)
        self.hide()
        self.full_text = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear_notice)
        bridge.log_entry.connect(self._on_entry)

    def _on_entry(self, entry: LogEntry) -> None:
        text = warning_text(entry)
        if text is None:
            return
        self.full_text = text
        self.setText(self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                                   MAX_WIDTH_PX))
        self.setToolTip(text)
        self.show()
        self._timer.start(SHOW_MS)

    def clear_notice(self) -> None:
        self.full_text = ""
        self.setText("")
        self.setToolTip("")
        self.hide()
