"""Jobs: the status-bar indicator and the panel that lists running and recent jobs.

Hyper-V Manager shows a job only as a percentage in the Status column and users cannot
follow it. Here the status bar says how many jobs
run; its button opens a panel with each job's progress and a Cancel button where the
engine says the job is cancellable (a Save, for instance).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from hvlab.engine.api import HvError, Job, JobState
from hvlab.gui import dialogs, ids
from hvlab.gui import format as fmt
from hvlab.gui.forms import flat_list, named_button
from hvlab.gui.icons import icon

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge

#: Finished jobs stay listed this long (simulated seconds), so a quick job can be seen.
RECENT_SECONDS = 120.0
#: The panel lists at most this many jobs (active first).
MAX_ROWS = 100

_COL_OP, _COL_VM, _COL_PROGRESS, _COL_STATE, _COL_STARTED, _COL_CANCEL = range(6)


class JobsButton(QToolButton):
    """The status bar's "N jobs running" button; checked while the panel is open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.JOBS_BUTTON)
        self.setIcon(icon("jobs"))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setAutoRaise(True)
        self.setCheckable(True)
        self.set_count(0)

    def set_count(self, active: int) -> None:
        text = "No jobs running" if active == 0 else (
            "1 job running" if active == 1 else f"{active} jobs running")
        if self.text() != text:
            self.setText(text)
            self.setToolTip(f"{text}. Click to show the jobs panel.")


class JobsPanel(QDockWidget):
    """A dock listing active and recently finished jobs; once attached to a bridge it
    follows the lab's jobs itself and cancels the one whose Cancel is clicked.

    Signals:
        cancel_requested(int job_id)
        active_count(int): how many jobs run, after every tick (for the :class:`JobsButton`).
        message(str): a one-line result for the status bar.
    """

    cancel_requested = Signal(int)
    active_count = Signal(int)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Jobs", parent)
        ids.apply(self, ids.JOBS_PANEL)
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea
                             | Qt.DockWidgetArea.TopDockWidgetArea)
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.tree = QTreeWidget()
        char = self.tree.fontMetrics().averageCharWidth()
        # Operation, Virtual Machine, Progress, State, Started, Cancel (_COL_* in that order).
        flat_list(self.tree, ids.JOBS_LIST,
                  ["Operation", "Virtual Machine", "Progress", "State", "Started", ""],
                  [chars * char + 16 for chars in (26, 20, 20, 12, 18, 12)])
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(_COL_OP, QHeaderView.ResizeMode.Stretch)
        self.setWidget(self.tree)
        self._rows: dict[int, QTreeWidgetItem] = {}
        self._bars: dict[int, QProgressBar] = {}
        self._buttons: dict[int, QPushButton] = {}
        self._shown: tuple[tuple[int, JobState], ...] = ()
        self._bridge: Bridge | None = None
        self._active: set[int] = set()

    def attach(self, bridge: Bridge) -> None:
        """Follow the jobs of the lab behind ``bridge``: the count on every tick (kept from
        job events, since listing every job each tick costs a millisecond at 1,024 VMs), the
        list while the panel is shown."""
        self._bridge = bridge
        self._active = {j.id for j in bridge.api.jobs(active_only=True)}
        bridge.job_changed.connect(self._on_job_changed)
        bridge.tick.connect(self.refresh)
        self.cancel_requested.connect(self._cancel)
        self.visibilityChanged.connect(lambda visible: self.refresh() if visible else None)
        self.refresh()

    def refresh(self, _snap: object = None) -> None:
        bridge = self._bridge
        if bridge is None:
            return
        if self.isVisible():
            api = bridge.api
            jobs = api.jobs()
            names = dict(zip(bridge.snapshot.ids, bridge.snapshot.names, strict=True))
            self.update_jobs(jobs, api.now_seconds, lambda vm_id: names.get(vm_id, vm_id))
            active = sum(1 for j in jobs if not j.state.finished)
        else:
            active = len(self._active)
        self.active_count.emit(active)

    def _on_job_changed(self, job_id: int, state: str, _percent: int) -> None:
        if state == "Running":
            self._active.add(job_id)
        else:
            self._active.discard(job_id)

    def _cancel(self, job_id: int) -> None:
        if self._bridge is None:
            return
        try:
            self._bridge.call(self._bridge.api.cancel_job, job_id)
        except HvError as err:
            dialogs.show_error(self.window(), err)
            return
        self.message.emit("The job was cancelled.")

    def active_job_ids(self) -> list[int]:
        return [job_id for job_id, state in self._shown if state is JobState.RUNNING]

    def cancel_button(self, job_id: int) -> QPushButton | None:
        return self._buttons.get(job_id)

    def update_jobs(self, jobs: list[Job], now_seconds: float,
                    vm_name: Callable[[str], str]) -> None:
        """Show ``jobs`` (active first, then recent), rebuilding rows only when the set or a
        state changed and otherwise moving the progress bars."""
        active = [j for j in jobs if not j.state.finished]
        recent = [j for j in jobs if j.state.finished and j.finished_us is not None
                  and now_seconds - j.finished_us / 1e6 <= RECENT_SECONDS]
        recent.sort(key=lambda j: j.finished_us or 0, reverse=True)
        shown = (active + recent)[:MAX_ROWS]
        key = tuple((j.id, j.state) for j in shown)
        if key != self._shown:
            self._rebuild(shown, vm_name)
            self._shown = key
        for job in shown:
            bar = self._bars.get(job.id)
            if bar is not None and bar.value() != job.percent:
                bar.setValue(job.percent)

    def _rebuild(self, jobs: list[Job], vm_name: Callable[[str], str]) -> None:
        self.tree.clear()
        self._rows.clear()
        self._bars.clear()
        self._buttons.clear()
        for job in jobs:
            vm = vm_name(job.vm_id) if job.vm_id else "(host)"
            state = job.state.value if not job.error else f"{job.state.value}"
            item = QTreeWidgetItem([job.description, vm, "", state,
                                    fmt.sim_time(job.started_us / 1e6), ""])
            if job.error:
                item.setToolTip(_COL_STATE, job.error)
                item.setToolTip(_COL_OP, job.error)
            self.tree.addTopLevelItem(item)
            self._rows[job.id] = item
            bar = QProgressBar()
            bar.setRange(0, 100)
            bar.setValue(job.percent)
            bar.setTextVisible(True)
            bar.setMaximumHeight(self.tree.fontMetrics().height() + 4)
            bar.setEnabled(not job.state.finished)
            self.tree.setItemWidget(item, _COL_PROGRESS, bar)
            self._bars[job.id] = bar
            if job.cancellable and not job.state.finished:
                button = named_button("Cancel", ids.job_cancel(job.id, f"{job.description} {vm}"))
                button.setToolTip(f"Cancel {job.description.lower()} {vm}; the virtual machine "
                                  "returns to the state it was in.")
                button.clicked.connect(lambda _=False, jid=job.id: self.cancel_requested.emit(jid))
                self.tree.setItemWidget(item, _COL_CANCEL, button)
                self._buttons[job.id] = button

