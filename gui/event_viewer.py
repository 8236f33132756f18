"""Event Viewer for the lab: the engine's event log as Windows' Event Viewer shows the
Hyper-V channels.

Logs on the left (every Hyper-V log, or one channel: Hyper-V-VMMS Admin, Hyper-V-Worker
Admin and Operational, Hyper-V-Hypervisor Operational, System), the events of the chosen log
in a table (Level, Date and Time in the host's local time, Source, Event ID, Virtual
Machine), the selected event's details underneath. The level box and the Find box filter
the table (Find matches the message, the source, the VM's name and the event ID); "Save
Filtered Log File As…" writes what is shown as CSV. The window follows the log while open.

It opens from the host's context menu (and Action ▸ Host, the Actions pane) and from the
Details button of every error message (:func:`hvlab.gui.dialogs.show_error`), which selects
the newest event that message is about.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.forms import caption
from hvlab.gui.graphs.pdh import sim_datetime
from hvlab.gui.icons import icon

if TYPE_CHECKING:
    from hvlab.engine.api import LogEntry
    from hvlab.gui.bridge import Bridge

#: The logs, as Event Viewer names them under Applications and Services Logs ▸ Microsoft ▸
#: Windows (System under Windows Logs); "" is every log.
LOGS = (
    ("", "All Hyper-V logs"),
    ("Microsoft-Windows-Hyper-V-VMMS-Admin", "Hyper-V-VMMS ▸ Admin"),
    ("Microsoft-Windows-Hyper-V-Worker-Admin", "Hyper-V-Worker ▸ Admin"),
    ("Microsoft-Windows-Hyper-V-Worker-Operational", "Hyper-V-Worker ▸ Operational"),
    ("Microsoft-Windows-Hyper-V-Hypervisor-Operational", "Hyper-V-Hypervisor ▸ Operational"),
    ("System", "System"),
)
LEVELS = ("All levels", "Critical", "Error", "Warning", "Information")
COLUMNS = ("Level", "Date and Time", "Source", "Event ID", "Virtual Machine")
#: The message box icons of the style, as Event Viewer marks each level.
LEVEL_ICONS = {"Critical": QStyle.StandardPixmap.SP_MessageBoxCritical,
               "Error": QStyle.StandardPixmap.SP_MessageBoxCritical,
               "Warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
               "Information": QStyle.StandardPixmap.SP_MessageBoxInformation}


def source_of(channel: str) -> str:
    """The event's source as Event Viewer shows it: ``Hyper-V-Worker`` for the channel
    ``Microsoft-Windows-Hyper-V-Worker-Admin``."""
    for suffix in ("-Admin", "-Operational"):
        if channel.endswith(suffix):
            channel = channel[: -len(suffix)]
    return channel.removeprefix("Microsoft-Windows-")


def local_time(time_us: int) -> str:
    """Event Viewer's "Date and Time": ``1/1/2010 12:01:30 AM`` (the host's local time)."""
    when = sim_datetime(time_us / 1_000_000)
    hour = when.hour % 12 or 12
    return (f"{when.month}/{when.day}/{when.year} {hour}:{when.minute:02d}:"
            f"{when.second:02d} {'AM' if when.hour < 12 else 'PM'}")


def matches(entry: LogEntry, log: str, level: str, text: str) -> bool:
    """Whether ``entry`` passes the filter (``level`` "" and ``text`` "" for all)."""
    if log and entry.channel != log:
        return False
    if level and entry.level.value != level:
        return False
    if text:
        needle = text.casefold()
        haystack = " ".join((entry.message, source_of(entry.channel), entry.vm_name,
                             str(entry.event_id))).casefold()
        return needle in haystack
    return True


def details_text(entry: LogEntry) -> str:
    lines = [f"Log Name: {entry.channel}", f"Source: {source_of(entry.channel)}",
             f"Logged: {local_time(entry.time_us)}", f"Event ID: {entry.event_id}",
             f"Level: {entry.level.value}"]
    if entry.vm_name:
        lines.append(f"Virtual machine: {entry.vm_name} ({entry.vm_id})")
    return "\n".join([*lines, "", entry.message])


def to_csv(entries: Sequence[LogEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, "Log Name", "Message"])
    for e in entries:
        writer.writerow([e.level.value, local_time(e.time_us), source_of(e.channel), e.event_id,
                         e.vm_name, e.channel, e.message])
    return out.getvalue()


def choose_export_file(parent: QWidget, on_chosen: Callable[[str], object]) -> QFileDialog:
    """Ask where to save the filtered events (tests replace this function)."""
    dialog = QFileDialog(parent, "Save Filtered Log File As", os.path.expanduser("~"),
                         "CSV (Comma Separated) (*.csv)")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("csv")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.fileSelected.connect(on_chosen)
    dialog.open()
    return dialog


class EventViewerWindow(QMainWindow):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        dialogs.dress(self, ids.EVENT_VIEWER_WINDOW, "view", "Event Viewer")
        self.bridge = bridge
        self._entries: list[LogEntry] = []
        self._shown: list[LogEntry] = []

        self.logs = QListWidget()
        ids.apply(self.logs, ids.EVENT_VIEWER_LOGS)
        for channel, title in LOGS:
            item = QListWidgetItem(icon("view"), title)
            item.setData(Qt.ItemDataRole.UserRole, channel)
            item.setToolTip(channel or "Every Hyper-V channel and the System log")
            self.logs.addItem(item)
        self.logs.setFixedWidth(self.fontMetrics().horizontalAdvance(LOGS[4][1]) + 60)
        self.level = QComboBox()
        ids.apply(self.level, ids.EVENT_VIEWER_LEVEL)
        self.level.addItems(LEVELS)
        self.search = QLineEdit()
        ids.apply(self.search, ids.EVENT_VIEWER_SEARCH)
        self.search.setPlaceholderText("Message, source, virtual machine or event ID")
        self.search.setClearButtonEnabled(True)
        self.export_button = QPushButton(icon("export"), "&Save Filtered Log File As…")
        ids.apply(self.export_button, ids.EVENT_VIEWER_EXPORT)
        self.export_button.clicked.connect(self.export)
        self.count = QLabel("")
        self.table = QTableWidget(0, len(COLUMNS))
        ids.apply(self.table, ids.EVENT_VIEWER_TABLE)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; the arrows move in it
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.details = QPlainTextEdit()
        ids.apply(self.details, ids.EVENT_VIEWER_DETAILS)
        self.details.setReadOnly(True)
        self.details.setTabChangesFocus(True)
        close = QPushButton("&Close")
        ids.apply(close, ids.EVENT_VIEWER_CLOSE)
        close.clicked.connect(self.close)

        filters = QHBoxLayout()
        filters.addWidget(caption("&Level:", self.level))
        filters.addWidget(self.level)
        filters.addWidget(caption("&Find:", self.search))
        filters.addWidget(self.search, 1)
        filters.addWidget(self.export_button)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.table)
        right.addWidget(self.details)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 1)
        body = QHBoxLayout()
        body.addWidget(self.logs)
        body.addWidget(right, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(close)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(filters)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)
        self.setCentralWidget(central)

        self.logs.currentRowChanged.connect(lambda _r: self.refilter())
        self.level.currentIndexChanged.connect(lambda _i: self.refilter())
        self.search.textChanged.connect(lambda _t: self.refilter())
        self.table.currentCellChanged.connect(lambda row, *_: self._show_details(row))
        self.logs.setCurrentRow(0)
        self.reload()
        bridge.tick.connect(self._on_tick)
        self.resize(980, 620)

    # -- the log ----------------------------------------------------------------------------
    def reload(self) -> None:
        try:
            self._entries = list(self.bridge.api.event_log())
        except HvError:
            self._entries = []
        self.refilter()

    def _on_tick(self, _snap: object) -> None:
        if not self.isVisible():
            return
        # Only the entries of the newest one's second on cross the API each tick (whole
        # seconds: exact as floats, so the two counts agree).
        second = self._entries[-1].time_us // 1_000_000 if self._entries else 0
        try:
            recent = self.bridge.api.event_log(since_seconds=float(second))
        except HvError:
            return
        held = sum(1 for _ in itertools.takewhile(
            lambda e: e.time_us >= second * 1_000_000, reversed(self._entries)))
        if len(recent) != held:
            self.reload()

    def filters(self) -> tuple[str, str, str]:
        item = self.logs.currentItem()
        log = str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""
        level = self.level.currentText() if self.level.currentIndex() > 0 else ""
        return log, level, self.search.text().strip()

    def shown_entries(self) -> list[LogEntry]:
        """What the table shows, newest first, as Event Viewer lists them."""
        return list(self._shown)

    def refilter(self) -> None:
        log, level, text = self.filters()
        selected = self.selected_entry()
        self._shown = [e for e in reversed(self._entries) if matches(e, log, level, text)]
        self.table.setRowCount(len(self._shown))
        for row, e in enumerate(self._shown):
            cells = (e.level.value, local_time(e.time_us), source_of(e.channel),
                     str(e.event_id), e.vm_name)
            for column, value in enumerate(cells):
                cell = QTableWidgetItem(value)
                if column == 0 and value in LEVEL_ICONS:
                    cell.setIcon(self.style().standardIcon(LEVEL_ICONS[value]))
                self.table.setItem(row, column, cell)
        self.count.setText(f"{len(self._shown):,} of {len(self._entries):,} events shown")
        if selected is not None and selected in self._shown:
            self.select(selected)
        elif self._shown:
            self.table.setCurrentCell(0, 0)
        else:
            self.details.setPlainText("")

    def selected_entry(self) -> LogEntry | None:
        row = self.table.currentRow()
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def select(self, entry: LogEntry) -> None:
        self.table.setCurrentCell(self._shown.index(entry), 0)

    def _show_details(self, row: int) -> None:
        if 0 <= row < len(self._shown):
            self.details.setPlainText(details_text(self._shown[row]))

    def show_error(self, message: str) -> None:
        """Every log, every level, the newest event about ``message`` selected (else the
        newest error): what an error box's Details button shows."""
        self.logs.setCurrentRow(0)
        self.level.setCurrentIndex(0)
        self.search.clear()
        self.reload()
        head = message.strip().rstrip(".")
        about = next((e for e in self._shown if head and head in e.message), None)
        about = about or next((e for e in self._shown if e.level.value in ("Error",
                                                                          "Critical")), None)
        if about is not None:
            self.select(about)

    # -- export -----------------------------------------------------------------------------
    def export(self) -> None:
        choose_export_file(self, self.save_to)

    def save_to(self, path: str) -> bool:
        try:
            with open(path, "w", encoding="utf-8", newline="") as out:
                out.write(to_csv(self._shown))
        except OSError as err:
            dialogs.show_error(self, f"The events could not be saved to '{path}'.",
                               [err.strerror or str(err)])
            return False
        self.statusBar().showMessage(f"Saved {len(self._shown):,} events to {path}.", 6000)
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            self.bridge.tick.disconnect(self._on_tick)
        super().closeEvent(event)
