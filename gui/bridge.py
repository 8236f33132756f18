"""The one bridge between the engine and Qt: the API, the clock's QTimer, engine events.

Nothing else in ``gui/`` owns a timer that moves simulated time or subscribes to the engine.
Views receive one :attr:`Bridge.tick` per step carrying the bulk snapshot
(:meth:`ManagementApi.vm_table`) and pull anything else they show from :attr:`Bridge.api`.

Engine events arrive synchronously, in the middle of ``advance`` or a command. The bridge
queues them and re-emits them as Qt signals once the engine call has returned, so a slot
may safely call the API again.

With ``engine=`` (an :class:`~hvlab.engine.api.EngineThread`, as the console runs) the engine
and its library live on their own thread: :attr:`Bridge.api` is an
:class:`~hvlab.engine.api.ApiProxy` whose calls run there, the engine thread runs the clock,
and its events and clock ticks are carried to this thread by queued signals. Nothing here
calls the engine on the GUI thread. Without it (tests, screenshots) the API is called
directly and a QTimer drives the clock.

Signals:
    tick(VmTableSnapshot): after every clock step and every command.
    vm_state_changed(str vm_id, str old, str new, str reason)
    vm_list_changed(str host_id, str vm_id, str change): "added", "removed" or "config".
    job_changed(int job_id, str state, int percent)
    host_changed(str host_id, str what)
    log_entry(LogEntry)
    clock_changed(): the clock mode or speed changed, or it started or stopped keeping the
        speed (:attr:`Bridge.keeping_up`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from hvlab.engine.api import (
    MAX_CLOCK_SPEED,
    ApiProxy,
    EngineEvent,
    HostChanged,
    JobChanged,
    LogEntry,
    VmListChanged,
    VmStateChanged,
    real,
)

if TYPE_CHECKING:
    from hvlab.engine.api import ClockTick, EngineThread, ManagementApi, VmTableSnapshot

T = TypeVar("T")

#: Simulated seconds per wall second offered by the clock controls (0 = paused).
SPEEDS = (0.0, 1.0, 10.0, 60.0)
#: Wall time between clock steps in realtime mode.  Hyper-V Manager refreshes its list about
#: once a second; twice a second keeps job progress in the Status column smooth.
DEFAULT_INTERVAL_MS = 500
#: A wall-clock gap longer than this (a suspended laptop, a debugger) is not replayed.
MAX_WALL_STEP_S = 2.0


class Bridge(QObject):
    tick = Signal(object)
    vm_state_changed = Signal(str, str, str, str)
    vm_list_changed = Signal(str, str, str)
    job_changed = Signal(int, str, int)
    host_changed = Signal(str, str)
    log_entry = Signal(object)
    clock_changed = Signal()
    # Emitted on the engine thread, delivered on this one (queued).
    _engine_events_waiting = Signal()
    _engine_ticked = Signal()

    def __init__(self, api: ManagementApi | None = None, *, engine: EngineThread | None = None,
                 clock: str = "realtime", speed: float = 1.0,
                 interval_ms: int = DEFAULT_INTERVAL_MS,
                 wall_clock: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        if clock not in ("realtime", "manual"):
            raise ValueError(f"unknown clock mode {clock!r}")
        if (api is None) == (engine is None):
            raise ValueError("a bridge needs an API or an engine thread, not both")
        self._engine = engine
        if engine is not None:
            api = cast("ManagementApi", ApiProxy(engine))
        assert api is not None
        self._api = api
        self._mode = clock
        self._speed = real("speed", "The clock speed", speed, 0, MAX_CLOCK_SPEED)
        self._wall_clock = wall_clock
        self._last_wall = wall_clock()
        self._pending: list[EngineEvent] = []
        self._pending_lock = threading.Lock()
        self._flush_scheduled = False
        self._snapshot: VmTableSnapshot | None = None
        self._latest_tick: ClockTick | None = None
        self._keeping_up = True
        self._achieved = 0.0
        self._clock_running = False
        self._stop_ticks: Callable[[], None] | None = None
        if engine is not None:
            queued = Qt.ConnectionType.QueuedConnection
            self._engine_events_waiting.connect(self._flush, queued)
            self._engine_ticked.connect(self._on_engine_tick, queued)
            self._stop_ticks = engine.listen_ticks(self._on_clock_tick)
        self._unsubscribe = api.subscribe(self._on_engine_event)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer)
        self._update_timer()

    # -- what views read ---------------------------------------------------------------------
    @property
    def api(self) -> ManagementApi:
        return self._api

    @property
    def snapshot(self) -> VmTableSnapshot:
        """The latest bulk snapshot (taken now if no tick has happened yet)."""
        if self._snapshot is None:
            self._snapshot = self._api.vm_table()
        return self._snapshot

    @property
    def mode(self) -> str:
        """"realtime" (the QTimer advances the clock) or "manual" (only :meth:`step`)."""
        return self._mode

    @property
    def speed(self) -> float:
        """Simulated seconds per wall second in realtime mode; 0 is paused."""
        return self._speed

    @property
    def running(self) -> bool:
        """True when the clock moves by itself."""
        return self._clock_running if self._engine is not None else self._timer.isActive()

    @property
    def keeping_up(self) -> bool:
        """False while the engine thread's clock cannot move at the chosen speed."""
        return self._keeping_up

    @property
    def achieved_speed(self) -> float:
        """Simulated seconds per wall second the clock reached over its last steps."""
        return self._achieved

    # -- clock ------------------------------------------------------------------------------
    def set_speed(self, speed: float) -> None:
        """Simulated seconds per wall second, 0 to ``MAX_CLOCK_SPEED``: one tick then never
        asks the engine for a long run."""
        self._set_clock(self._mode, real("speed", "The clock speed", speed, 0, MAX_CLOCK_SPEED))

    def set_mode(self, mode: str) -> None:
        if mode not in ("realtime", "manual"):
            raise ValueError(f"unknown clock mode {mode!r}")
        self._set_clock(mode, self._speed)

    def _set_clock(self, mode: str, speed: float) -> None:
        if (mode, speed) == (self._mode, self._speed):
            return
        self._mode, self._speed = mode, speed
        self._update_timer()
        self.clock_changed.emit()

    def step(self, seconds: float) -> None:
        """Advance simulated time by ``seconds`` now (any mode), then tick."""
        if seconds > 0:
            self._api.advance(seconds)
        self.refresh()

    def _update_timer(self) -> None:
        if self._engine is not None:
            running = self._mode == "realtime" and self._speed > 0
            self._engine.run_clock(self._speed if running else 0.0)
            self._clock_running = running
            if not running:
                self._keeping_up = True
            return
        if self._mode == "realtime" and self._speed > 0:
            if not self._timer.isActive():
                self._last_wall = self._wall_clock()
                self._timer.start()
        else:
            self._timer.stop()

    def _on_timer(self) -> None:
        now = self._wall_clock()
        wall_dt = min(max(now - self._last_wall, 0.0), MAX_WALL_STEP_S)
        self._last_wall = now
        if self._mode == "realtime" and self._speed > 0 and wall_dt > 0:
            self._api.advance(self._speed * wall_dt)
        self.refresh()

    # -- commands -----------------------------------------------------------------------------
    def call(self, command: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run an API command and tick afterwards, even when it raises (HvError propagates)."""
        try:
            return command(*args, **kwargs)
        finally:
            self.refresh()

    def refresh(self) -> None:
        """Deliver queued engine events, take a snapshot and emit :attr:`tick`."""
        self._flush()
        self._snapshot = self._api.vm_table()
        self.tick.emit(self._snapshot)

    def close(self) -> None:
        """Stop the clock; with an engine thread, also close its engine (and library, whose
        final save runs there) and end the thread."""
        self._timer.stop()
        if self._engine is not None:
            assert self._stop_ticks is not None
            self._stop_ticks()
            self._engine.run_clock(0.0)
        self._unsubscribe()
        if self._engine is not None:
            self._engine.close()

    # -- the engine thread's clock ----------------------------------------------------------------
    def _on_clock_tick(self, tick: ClockTick) -> None:
        """On the engine thread: keep the newest tick; a GUI that is behind skips the rest."""
        with self._pending_lock:
            waiting, self._latest_tick = self._latest_tick is not None, tick
        if not waiting:
            self._engine_ticked.emit()

    def _on_engine_tick(self) -> None:
        with self._pending_lock:
            tick, self._latest_tick = self._latest_tick, None
        if tick is None or not self._clock_running:
            return
        self._flush()
        self._achieved = tick.achieved
        if tick.keeping_up != self._keeping_up:
            self._keeping_up = tick.keeping_up
            self.clock_changed.emit()
        self._snapshot = tick.snapshot
        self.tick.emit(tick.snapshot)

    # -- engine events ---------------------------------------------------------------------------
    def _on_engine_event(self, event: EngineEvent) -> None:
        # On the engine's thread: this one, or the engine thread.
        with self._pending_lock:
            self._pending.append(event)
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        # An API call made outside call()/step() still reaches the views promptly.
        if self._engine is not None:
            self._engine_events_waiting.emit()
        else:
            QTimer.singleShot(0, self, self._flush)

    def _flush(self) -> None:
        while True:
            with self._pending_lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._flush_scheduled = False
                    return
            for event in batch:
                self._emit(event)

    def _emit(self, event: EngineEvent) -> None:
        if isinstance(event, VmStateChanged):
            self.vm_state_changed.emit(event.vm_id, event.old, event.new, event.reason)
        elif isinstance(event, VmListChanged):
            self.vm_list_changed.emit(event.host_id, event.vm_id, event.change)
        elif isinstance(event, JobChanged):
            self.job_changed.emit(event.job_id, event.state, event.percent)
        elif isinstance(event, HostChanged):
            self.host_changed.emit(event.host_id, event.what)
        elif isinstance(event, LogEntry):
            self.log_entry.emit(event)
