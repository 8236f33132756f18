"""Whether the console is busy: what a test or an automation client waits on.

The console is busy while the engine runs a job (Start, Save, a checkpoint, an export, a
disk edit, a host restart: what the jobs button counts) and idle otherwise. The main window
shows it where a client outside the process can read it, and keeps it current after every
clock step and every command:

- its accessible description, ``Idle`` or ``Busy: 2 jobs running`` (on the AT-SPI bus, the
  description of the frame ``Hyper-V Manager``; Qt announces each change);
- its dynamic property ``hvlabBusy`` (True or False);
- :attr:`BusyState.changed` in process.

:func:`wait_until_idle` waits for it in process: on a manual clock by stepping simulated
time (no wall time passes), on a running clock by letting the event loop run.

Signals:
    changed(bool busy)
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QWidget

IDLE = "Idle"
BUSY_PROPERTY = "hvlabBusy"


def busy_text(jobs: int) -> str:
    if jobs <= 0:
        return IDLE
    return f"Busy: {jobs} job{'s' if jobs != 1 else ''} running"


class BusyState(QObject):
    """The busy state of ``window``, fed with the number of running jobs."""

    changed = Signal(bool)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._jobs = 0
        window.setAccessibleDescription(IDLE)
        window.setProperty(BUSY_PROPERTY, False)

    @property
    def busy(self) -> bool:
        return self._jobs > 0

    @property
    def text(self) -> str:
        return busy_text(self._jobs)

    def set_jobs(self, count: int) -> None:
        was = self.busy
        self._jobs = max(0, count)
        if self._window.accessibleDescription() != self.text:
            self._window.setAccessibleDescription(self.text)
        if self.busy != was:
            self._window.setProperty(BUSY_PROPERTY, self.busy)
            self.changed.emit(self.busy)


class _Clock(Protocol):
    @property
    def mode(self) -> str: ...
    def step(self, seconds: float) -> None: ...


class _Waiter(Protocol):
    def waitUntil(self, callback: object, *, timeout: int = ...) -> None: ...


def wait_until_idle(state: BusyState, clock: _Clock, qtbot: _Waiter | None = None, *,
                    step_seconds: float = 1.0, max_simulated_seconds: float = 3600.0,
                    timeout_ms: int = 10_000) -> float:
    """Return once ``state`` is idle and the GUI has handled what that posted; the simulated
    seconds stepped. A manual clock is stepped ``step_seconds`` at a time, at most
    ``max_simulated_seconds``; a running clock is waited on with ``qtbot.waitUntil`` (at
    most ``timeout_ms`` of wall time). Raises TimeoutError when it stays busy."""
    stepped = 0.0
    if clock.mode == "manual":
        while state.busy:
            if stepped >= max_simulated_seconds:
                raise TimeoutError(f"still {state.text} after {stepped:g} simulated seconds")
            clock.step(step_seconds)
            stepped += step_seconds
    elif state.busy:
        if qtbot is None:
            raise TimeoutError(f"{state.text}, and the clock runs: pass qtbot to wait on it")
        qtbot.waitUntil(lambda: not state.busy, timeout=timeout_ms)
    QCoreApplication.processEvents()
    return stepped
