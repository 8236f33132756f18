"""The frame of hvlab's Hyper-V-style wizards: steps on the left, one page at a time, and a
job with progress and Cancel once Finish is pressed.

Hyper-V Manager's wizards (New/Edit Virtual Hard Disk, Import Virtual Machine) list their
steps down the left side with the current one highlighted; a step already reached can be
clicked to go back to it. Buttons: "< Previous", "Next >", "Finish", "Cancel". Finish is
available as soon as every page the wizard shows is complete, as in Hyper-V.

A page says whether it applies (``applies``) and what is missing (``problem``: the sentence
shown under its fields; Next and Finish stay disabled while there is one). When the user
presses Finish, the wizard calls :meth:`StepWizard.start_job`; the engine's job then runs
with a progress bar and a Cancel button on a "Completing" page. Success closes the wizard
and emits :attr:`StepWizard.completed`; a failure or a cancel returns to the Summary with
the engine's words.

Signals (StepWizard):
    completed(Job)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal, SignalInstance
from PySide6.QtGui import QCloseEvent, QFont, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError, Job, JobState
from hvlab.gui import dialogs, ids
from hvlab.gui.disks import files
from hvlab.gui.disks.jobs import JobWatcher
from hvlab.gui.forms import caption, named_button
from hvlab.gui.icons import icon

if TYPE_CHECKING:
    from hvlab.engine.api import VhdInfo
    from hvlab.gui.bridge import Bridge

#: Smallest width of the step list, in average characters (it grows to fit its steps).
STEP_LIST_CHARS = 22


def error_style() -> str:
    """The red of a field's message, readable on the light and the dark theme."""
    from PySide6.QtWidgets import QApplication

    from hvlab.gui.theme import current_is_dark

    app = QApplication.instance()
    dark = isinstance(app, QApplication) and current_is_dark(app)
    return f"color: {'#ff8a80' if dark else '#c62828'};"


def wrapped(text: str, rich: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    return label


def note_label(text: str) -> QLabel:
    """A grey explanatory line (the theme's note colour, without its padding)."""
    label = wrapped(text)
    label.setProperty("role", "note")
    label.setStyleSheet("padding: 0px;")
    return label


def message_label() -> QLabel:
    """The label under a field that says what is wrong with it (hidden while empty)."""
    label = wrapped("")
    label.setStyleSheet(error_style())
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def show_message(label: QLabel, text: str | None) -> None:
    label.setText(text or "")
    label.setVisible(bool(text))


def path_field(grid: QGridLayout, row: int, label: str, names: tuple[ids.UiName, ids.UiName],
               text: str = "", browse: str = "&Browse…") -> tuple[QLineEdit, QPushButton]:
    """A labelled path with its Browse… button, on ``row`` of ``grid``; ``names`` are the
    automation names of the field and of the button."""
    edit = QLineEdit(text)
    ids.apply(edit, names[0])
    button = QPushButton(browse)
    ids.apply(button, names[1])
    holder = QWidget()
    row_layout = QHBoxLayout(holder)
    row_layout.setContentsMargins(0, 0, 0, 0)
    row_layout.addWidget(edit, 1)
    row_layout.addWidget(button)
    grid.addWidget(caption(label, edit), row, 0)
    grid.addWidget(holder, row, 1)
    return edit, button


class VhdLookup:
    """The virtual hard disk a path field names, as the engine reads it: read once per
    path, and its Browse… (which starts where the field points)."""

    def __init__(self, bridge: Bridge, field: QLineEdit) -> None:
        self._bridge = bridge
        self.field = field
        self._read: tuple[str, VhdInfo | HvError] | None = None

    def path(self) -> str:
        return self.field.text().strip()

    def info(self) -> VhdInfo | HvError | None:
        """The disk's properties, the engine's reason it is not one, or None (no path)."""
        path = self.path()
        if not path:
            return None
        if self._read is None or self._read[0] != path:
            try:
                result: VhdInfo | HvError = self._bridge.api.inspect_vhd(path)
            except HvError as err:
                result = err
            self._read = (path, result)
        return self._read[1]

    def disk(self) -> VhdInfo | None:
        """The disk's properties, when the path names a disk the engine can read."""
        info = self.info()
        return None if isinstance(info, HvError) else info

    def problem(self, missing: str) -> str | None:
        """``missing`` without a path, the engine's reason when it is no disk, else None."""
        info = self.info()
        if info is None:
            return missing
        return info.message if isinstance(info, HvError) else None

    def forget(self) -> None:
        """Read the file again next time (it changed)."""
        self._read = None

    def browse(self, parent: QWidget, folder: str = "") -> None:
        """Browse… for a disk, from the field's folder (else ``folder``, else the host's
        folder of virtual hard disks)."""
        start = os.path.dirname(self.path()) or folder or self._bridge.api.vhd_folder()
        files.choose_disk(parent, "Open", start, self.field.setText)


class WizardPage(QWidget):
    """One step. Subclasses fill :attr:`body` and override the hooks.

    Signals:
        changed(): a field changed; the wizard re-reads :meth:`problem`.
    """

    changed = Signal()

    def __init__(self, step: str, heading: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.step = step
        self.heading = heading or step
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(18, 14, 18, 8)
        self.body.setSpacing(8)

    def follow(self, *signals: SignalInstance) -> None:
        """Each of ``signals`` (a field's edit signal) emits :attr:`changed`."""
        for signal in signals:
            signal.connect(self._emit_changed)

    def report(self, label: QLabel) -> None:
        """Show :meth:`problem` in ``label`` whenever the page changes."""
        self.changed.connect(lambda: show_message(label, self.problem()))

    def _emit_changed(self, *_: Any) -> None:
        self.changed.emit()

    def add_choices(self, choices: Mapping[str, tuple[ids.UiName, str, str]]
                    ) -> dict[str, QLabel]:
        """One exclusive set of radio buttons, each with its explanation indented under it.

        ``choices`` maps a key to (automation name, label with its mnemonic, explanation).
        Sets :attr:`group` and :attr:`buttons` (by key); returns the explanations by key.
        Toggling a button emits :attr:`changed`.
        """
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        notes: dict[str, QLabel] = {}
        for key, (name, label, text) in choices.items():
            button = QRadioButton(label)
            ids.apply(button, name)
            self.group.addButton(button)
            self.buttons[key] = button
            note = wrapped(text)
            note.setContentsMargins(24, 0, 0, 6)
            notes[key] = note
            self.body.addWidget(button)
            self.body.addWidget(note)
        self.follow(self.group.buttonToggled)
        return notes

    def applies(self) -> bool:
        """Whether the wizard shows this page for the choices made so far."""
        return True

    def problem(self) -> str | None:
        """What must change before the user can go on (None: the page is complete)."""
        return None

    def entered(self) -> None:
        """Called each time the page becomes the current one."""


class IntroPage(WizardPage):
    """Before You Begin: what the wizard does, in ``paragraphs``, the last one saying how to
    go on."""

    def __init__(self, *paragraphs: str) -> None:
        super().__init__("Before You Begin")
        for text in paragraphs:
            self.body.addWidget(wrapped(text))
        self.body.addStretch(1)


class SummaryPage(WizardPage):
    """"Completing the … Wizard": a list of the choices, filled by the wizard on entry."""

    def __init__(self, intro: str, name: ids.UiName, parent: QWidget | None = None) -> None:
        super().__init__("Summary", "Completing the Wizard", parent)
        self.intro = wrapped(intro)
        self.tree = QTreeWidget()
        ids.apply(self.tree, name)
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tree.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a screen reader reads it by Tab
        self.outro = wrapped("To complete the wizard, click Finish.")
        self.status = message_label()
        self.body.addWidget(self.intro)
        self.body.addWidget(wrapped("Description:"))
        self.body.addWidget(self.tree, 1)
        self.body.addWidget(self.status)
        self.body.addWidget(self.outro)

    def set_rows(self, rows: list[tuple[str, str]]) -> None:
        self.tree.clear()
        for label, value in rows:
            item = QTreeWidgetItem([f"{label}:", value])
            item.setToolTip(1, value)
            self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(0)

    def rows(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None:
                out[item.text(0).rstrip(":")] = item.text(1)
        return out


class _ProgressPage(WizardPage):
    def __init__(self, name: ids.UiName) -> None:
        super().__init__("Completing", "Completing the Wizard")
        self.what = wrapped("")
        self.bar = QProgressBar()
        ids.apply(self.bar, name)
        self.bar.setRange(0, 100)
        self.note = wrapped("")
        self.note.setProperty("role", "note")
        self.body.addSpacing(12)
        self.body.addWidget(self.what)
        self.body.addWidget(self.bar)
        self.body.addWidget(self.note)
        self.body.addStretch(1)


class StepWizard(QDialog):
    completed = Signal(object)

    def __init__(self, bridge: Bridge, names: ids.WizardNames, title: str, icon_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.names = names
        dialogs.dress(self, names.dialog, icon_name, title)
        self._pages: list[WizardPage] = []
        self._reached = 0  # index into the visible pages of the furthest one reached
        self._watcher: JobWatcher | None = None
        self.job: Job | None = None

        banner = QWidget()
        banner.setObjectName("wizardBanner")
        banner.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        banner.setStyleSheet("#wizardBanner { background: palette(base); "
                             "border-bottom: 1px solid palette(mid); }")
        bl = QHBoxLayout(banner)
        bl.setContentsMargins(16, 12, 16, 12)
        bl.setSpacing(12)
        badge = QLabel()
        badge.setPixmap(icon(icon_name).pixmap(QSize(40, 40)))
        self.heading = QLabel("")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.45)
        self.heading.setFont(font)
        bl.addWidget(badge)
        bl.addWidget(self.heading, 1)

        self.steps = QListWidget()
        ids.apply(self.steps, names.steps)
        self.steps.setFrameShape(QFrame.Shape.NoFrame)
        # Tab reaches the steps after the buttons; Enter goes to the highlighted step.
        self.steps.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setFixedWidth(self.fontMetrics().averageCharWidth() * STEP_LIST_CHARS)
        self.steps.setStyleSheet(
            "QListWidget { background: palette(window); padding-top: 8px; }"
            "QListWidget::item { padding: 5px 10px; border: none; }"
            "QListWidget::item:selected { background: palette(highlight); "
            "color: palette(highlighted-text); }")
        self.steps.itemClicked.connect(self._on_step_clicked)
        self.steps.itemActivated.connect(self._on_step_clicked)
        self.stack = QStackedWidget()
        self.progress_page = _ProgressPage(names.progress)
        self.stack.addWidget(self.progress_page)
        self.problem_label = message_label()
        self.problem_label.setContentsMargins(18, 0, 18, 0)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.stack, 1)
        right.addWidget(self.problem_label)
        middle = QHBoxLayout()
        middle.setContentsMargins(0, 0, 0, 0)
        middle.setSpacing(0)
        middle.addWidget(self.steps)
        divider = QFrame()
        divider.setFrameShape(QFrame.Shape.VLine)
        divider.setStyleSheet("color: palette(mid);")
        middle.addWidget(divider)
        middle.addLayout(right, 1)

        self.previous_button = named_button("< &Previous", names.previous)
        self.next_button = named_button("&Next >", names.next)
        self.finish_button = named_button("&Finish", names.finish)
        self.cancel_button = named_button("Cancel", names.cancel)
        for b in (self.previous_button, self.next_button, self.finish_button,
                  self.cancel_button):
            b.setAutoDefault(False)
        self.next_button.setDefault(True)
        self.previous_button.clicked.connect(self.go_previous)
        self.next_button.clicked.connect(self.go_next)
        self.finish_button.clicked.connect(self.finish)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(12, 10, 12, 12)
        buttons.setSpacing(8)
        buttons.addStretch(1)
        for b in (self.previous_button, self.next_button, self.finish_button,
                  self.cancel_button):
            buttons.addWidget(b)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: palette(mid);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(banner)
        layout.addLayout(middle, 1)
        layout.addWidget(line)
        layout.addLayout(buttons)
        QWidget.setTabOrder(self.cancel_button, self.steps)
        self.resize(720, 520)

    # -- pages ------------------------------------------------------------------------------
    def add_page(self, page: WizardPage) -> WizardPage:
        self._pages.append(page)
        self.stack.insertWidget(self.stack.count() - 1, page)
        page.changed.connect(self._update)
        return page

    def visible_pages(self) -> list[WizardPage]:
        return [p for p in self._pages if p.applies()]

    def current_page(self) -> WizardPage | None:
        page = self.stack.currentWidget()
        return page if isinstance(page, WizardPage) and page in self._pages else None

    def show_first_page(self) -> None:
        """Call once the pages are added."""
        self._go(self.visible_pages()[0])

    def go_to(self, page: WizardPage) -> None:
        """Jump to ``page`` if it is shown and every page before it is complete."""
        pages = self.visible_pages()
        if page not in pages:
            return
        index = pages.index(page)
        if all(p.problem() is None for p in pages[:index]):
            self._go(page)

    def go_next(self) -> None:
        page = self.current_page()
        pages = self.visible_pages()
        if page is None or page.problem() is not None or page not in pages:
            return
        index = pages.index(page)
        if index + 1 < len(pages):
            self._go(pages[index + 1])

    def go_previous(self) -> None:
        page = self.current_page()
        pages = self.visible_pages()
        if page is None or page not in pages:
            return
        index = pages.index(page)
        if index > 0:
            self._go(pages[index - 1])

    def _go(self, page: WizardPage) -> None:
        pages = self.visible_pages()
        self._reached = max(self._reached, pages.index(page))
        self.stack.setCurrentWidget(page)
        if isinstance(page, SummaryPage):
            page.set_rows(self.summary_rows())
            show_message(page.status, None)
        page.entered()
        self._update()

    def _on_step_clicked(self, item: QListWidgetItem) -> None:
        page = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(page, WizardPage) and self._watcher is None:
            self.go_to(page)

    # -- state of the buttons and the step list ------------------------------------------------
    def _update(self) -> None:
        running = self._watcher is not None
        page = self.current_page()
        pages = self.visible_pages()
        if page is not None and page not in pages and not running:
            # A choice on an earlier page removed this one: show the last page before it.
            before = [p for p in self._pages[:self._pages.index(page)] if p in pages]
            page = before[-1] if before else pages[0]
            self.stack.setCurrentWidget(page)
        self.heading.setText(self.progress_page.heading if running or page is None
                             else page.heading)
        problem = page.problem() if page is not None and not running else None
        show_message(self.problem_label, problem)
        index = pages.index(page) if page in pages else len(pages) - 1
        self._reached = min(self._reached, len(pages) - 1)
        self.previous_button.setEnabled(not running and index > 0)
        self.next_button.setEnabled(not running and problem is None and index + 1 < len(pages))
        complete = all(p.problem() is None for p in pages)
        self.finish_button.setEnabled(not running and complete)
        self.cancel_button.setEnabled(not running or (self.job is not None
                                                      and self.job.cancellable))
        self.steps.setEnabled(not running)
        self._fill_steps(pages, page)

    def _fill_steps(self, pages: list[WizardPage], current: WizardPage | None) -> None:
        wanted = [p.step for p in pages]
        if [self.steps.item(i).text() for i in range(self.steps.count())] != wanted:
            self.steps.clear()
            for p in pages:
                item = QListWidgetItem(p.step)
                item.setData(Qt.ItemDataRole.UserRole, p)
                self.steps.addItem(item)
            bold = QFont(self.steps.font())
            bold.setBold(True)
            widest = max(QFontMetrics(bold).horizontalAdvance(p.step) for p in self._pages)
            self.steps.setFixedWidth(max(widest + 36, self.steps.width()))
        for i, p in enumerate(pages):
            item = self.steps.item(i)
            reachable = i <= self._reached or all(q.problem() is None for q in pages[:i])
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            item.setFlags(flags if reachable else Qt.ItemFlag.NoItemFlags)
            font = item.font()
            font.setBold(p is current)
            item.setFont(font)
            item.setSelected(p is current)

    # -- finishing: the job ---------------------------------------------------------------------
    def summary_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows of the Summary page."""
        return []

    def start_job(self) -> Job:
        """Start the wizard's operation (raise HvError with the engine's reason)."""
        raise NotImplementedError

    def progress_text(self) -> str:
        """What the progress page says while the job runs."""
        return "Working…"

    def finish(self) -> None:
        pages = self.visible_pages()
        if self._watcher is not None or not all(p.problem() is None for p in pages):
            return
        summary = next((p for p in pages if isinstance(p, SummaryPage)), None)
        if summary is not None and self.current_page() is not summary:
            self._go(summary)
        try:
            job = self.start_job()
        except HvError as err:
            self._after_failure(err.message, err.details)
            return
        except OSError as err:  # the folder cannot be made, a path is not writable, …
            self._after_failure(f"{err.strerror or err}: {err.filename or ''}".rstrip(": "))
            return
        self.job = job
        self.progress_page.what.setText(self.progress_text())
        self.progress_page.bar.setValue(job.percent)
        self.progress_page.note.setText(
            "Click Cancel to stop; nothing is left half done." if job.cancellable else "")
        self.stack.setCurrentWidget(self.progress_page)
        self._watcher = JobWatcher(self.bridge, job, self)
        self._watcher.progressed.connect(self.progress_page.bar.setValue)
        self._watcher.finished.connect(self._on_job_finished)
        self._update()

    def succeeded(self, job: Job) -> None:
        """Called when the job completed, before :attr:`completed` and closing."""

    def watcher(self) -> JobWatcher | None:
        return self._watcher

    def _on_job_finished(self, job: Job) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.deleteLater()
        self.job = job
        if job.state is JobState.COMPLETED:
            self.progress_page.bar.setValue(100)
            self.succeeded(job)
            self.completed.emit(job)
            self.accept()
            return
        summary = next((p for p in self.visible_pages() if isinstance(p, SummaryPage)), None)
        if summary is not None:
            self._go(summary)
        if job.state is JobState.CANCELLED:
            if summary is not None:
                show_message(summary.status, "The operation was cancelled. Nothing was changed.")
            return
        self._after_failure(job.error or "The operation failed.")

    def _after_failure(self, message: str, details: tuple[str, ...] = ()) -> None:
        summary = self.current_page()
        if isinstance(summary, SummaryPage):
            show_message(summary.status, "\n".join((message, *details)))
        dialogs.show_error(self, HvError(message, details), title=self.windowTitle())

    # -- closing --------------------------------------------------------------------------------
    def reject(self) -> None:
        if self._watcher is not None:
            # Cancel stops the job; the wizard stays open and returns to the Summary.
            self._watcher.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            event.ignore()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._watcher is None:
            if self.next_button.isEnabled():
                self.go_next()
            elif self.finish_button.isEnabled():
                self.finish()
            return
        super().keyPressEvent(event)
