"""Following one job from a dialog: its percent, and the moment it ends.

Disk work runs on the engine's worker threads; the engine applies the result on its own
thread at the next ``advance`` or ``poll``. While the clock is paused nothing advances, so
a dialog that waits for a disk job polls the API itself (``poll`` applies finished file work
and refreshes progress; it does not move simulated time). The watcher stops when the job
ends, so it costs nothing afterwards.

Signals:
    progressed(int percent)
    finished(Job): the job completed, failed or was cancelled (``job.state`` says which).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from hvlab.engine.api import HvError, Job, JobState

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge

#: How often (wall milliseconds) a watched job is polled: smooth enough for a progress bar.
POLL_MS = 100


class JobWatcher(QObject):
    progressed = Signal(int)
    finished = Signal(object)

    def __init__(self, bridge: Bridge, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.job = job
        self._percent = -1
        self._done = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        QTimer.singleShot(0, self, self.check)

    @property
    def done(self) -> bool:
        return self._done

    def check(self) -> Job:
        """Poll the engine, emit progress, and :attr:`finished` once when the job has ended."""
        if self._done:
            return self.job
        api = self._bridge.api
        api.poll()
        try:
            self.job = api.job(self.job.id)
        except HvError as err:  # no longer known to the engine
            self.job = replace(self.job, state=JobState.FAILED, error=err.message)
        if self.job.percent != self._percent:
            self._percent = self.job.percent
            self.progressed.emit(self.job.percent)
        if self.job.state.finished:
            self._done = True
            self._timer.stop()
            self.finished.emit(self.job)
        return self.job

    def cancel(self) -> None:
        """Ask the engine to cancel the job; :attr:`finished` follows (state Cancelled)."""
        if self._done:
            return
        with contextlib.suppress(HvError):  # it ended in the meantime: check() says how
            self._bridge.api.cancel_job(self.job.id)
        self.check()

    def stop(self) -> None:
        self._timer.stop()


def when_done(bridge: Bridge, job: Job, owner: QObject,
              callback: Callable[[Job], None]) -> JobWatcher | None:
    """Call ``callback(job)`` once ``job`` has ended: at once if it already has (checkpoint
    jobs end inside the call), else when a watcher sees it end."""
    if job.state.finished:
        callback(job)
        return None
    watcher = JobWatcher(bridge, job, owner)

    def finished(ended: Job) -> None:
        watcher.deleteLater()
        callback(ended)

    watcher.finished.connect(finished)
    return watcher
