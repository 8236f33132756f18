"""The management API at a distance: a proxy made from the facade's declared calls, and the
transport that carries them to the thread that owns the engine.

A client holds an :class:`ApiProxy` as it would a :class:`ManagementApi`: every query,
command and clock call (:func:`~hvlab.engine.api.surface.declared_calls`) is a request that
returns the engine's answer or raises its error.  Engine events come back as a stream on the
transport's own thread; a client with an event loop moves them to its thread (the console's
bridge does).  The transport here, :class:`EngineThread`, is a worker thread in the same
process that owns the engine and its library; a server in another process can offer the
same requests over a socket without the clients changing.

:class:`EngineThread` can also run the clock itself at a chosen speed, so simulated time
keeps moving while the client's thread is busy, and report after each step a
:class:`ClockTick`: the bulk VM snapshot and whether the clock kept the chosen speed.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from hvlab.engine import bounds
from hvlab.engine.api.management import ManagementApi
from hvlab.engine.api.surface import KIND_ATTRIBUTE, CallKind, declared_calls, query
from hvlab.engine.api.types import VmTableSnapshot
from hvlab.engine.events import EngineEvent

#: Wall seconds between clock steps when the engine thread runs the clock: a request waits
#: for at most the step in progress (at 60x, six simulated seconds).
CLOCK_INTERVAL_S = 0.1
#: Simulated seconds advanced between two looks at the requests waiting.
CLOCK_SLICE_S = 1.0
#: Wall time one clock step may make up for.  A step that took longer (a lab too big for the
#: speed, a suspended laptop, a debugger) is not replayed, so the next step stays as short
#: and a request never waits long behind the clock.
MAX_WALL_GAP_S = 0.25


class Transport(Protocol):
    """Carries requests to the engine and events back."""

    def request(self, name: str, args: tuple[Any, ...] | None, kwargs: dict[str, Any]) -> Any:
        """Call ``name`` on the engine's API (or read it, with ``args`` None) and return the
        answer; the engine's exception is raised here."""
        ...

    def listen(self, sink: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Send every engine event to ``sink`` (on the transport's thread); returns the
        function that stops it."""
        ...


class Owner(Protocol):
    """What the engine thread owns: a management API, and what to close at the end (the
    library, whose files and event log belong to the thread that opened them)."""

    @property
    def api(self) -> ManagementApi: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class InMemory:
    """An :class:`Owner` for a lab without a library."""

    api: ManagementApi

    def close(self) -> None:
        self.api.close()


@dataclass(frozen=True)
class ClockTick:
    """One step of the engine thread's clock: the VM snapshot after it, the simulated
    seconds per wall second asked for and achieved over the last few steps."""

    snapshot: VmTableSnapshot
    speed: float
    achieved: float

    @property
    def keeping_up(self) -> bool:
        """False when the engine cannot move the clock as fast as asked (within 10 %)."""
        return self.speed <= 0 or self.achieved >= 0.9 * self.speed


class ApiProxy:
    """The facade's declared calls, each forwarded over a transport (see the module).
    Built from :func:`declared_calls`, so a call added to the facade is here too."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @query
    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Receive every engine event, on the transport's thread."""
        return self._transport.listen(callback)

    @property
    def now_seconds(self) -> float:
        value: float = self._transport.request("now_seconds", None, {})
        return value

    @property
    def now_us(self) -> int:
        value: int = self._transport.request("now_us", None, {})
        return value


def _forward(name: str, kind: CallKind) -> Callable[..., Any]:
    def call(self: ApiProxy, *args: Any, **kwargs: Any) -> Any:
        return self._transport.request(name, args, kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = getattr(ManagementApi, name).__doc__
    setattr(call, KIND_ATTRIBUTE, kind)
    return call


for _name, _kind in declared_calls(ManagementApi).items():
    if _name != "subscribe":
        setattr(ApiProxy, _name, _forward(_name, _kind))


@dataclass
class _Request:
    name: str
    args: tuple[Any, ...] | None  # None: read an attribute
    kwargs: dict[str, Any]
    answer: Future[Any]


_TICK = _Request("", (), {}, Future())  # the queue's wait ended: time for a clock step


class EngineThread:
    """A worker thread that owns the engine: opens it (``open_owner`` runs on the thread),
    answers requests one at a time, publishes engine events to listeners, optionally runs
    the clock, and closes the owner when :meth:`close` is called.  A :class:`Transport`."""

    def __init__(self, open_owner: Callable[[], Owner], *,
                 wall_clock: Callable[[], float] = time.monotonic,
                 name: str = "hvlab-engine") -> None:
        self._requests: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._sinks: list[Callable[[EngineEvent], None]] = []
        self._tick_sinks: list[Callable[[ClockTick], None]] = []
        self._lock = threading.Lock()
        self._wall_clock = wall_clock
        self._speed = 0.0
        self._achieved = 0.0
        self._last_wall = wall_clock()
        self._closing = False
        self._owner: Owner | None = None
        self._opened: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, args=(open_owner,), name=name,
                                        daemon=True)
        self._thread.start()
        self._opened.result()  # the owner's error, if opening failed

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    @property
    def speed(self) -> float:
        """The speed :meth:`run_clock` last set (0: the clock does not run by itself)."""
        return self._speed

    # -- Transport ---------------------------------------------------------------------------
    def request(self, name: str, args: tuple[Any, ...] | None, kwargs: dict[str, Any]) -> Any:
        if threading.current_thread() is self._thread:
            return self._invoke(name, args, kwargs)  # a listener calling back in
        if not self._thread.is_alive():
            raise RuntimeError("The engine thread has stopped.")
        answer: Future[Any] = Future()
        self._requests.put(_Request(name, args, kwargs, answer))
        return answer.result()

    def submit(self, name: str, args: tuple[Any, ...] | None,
               kwargs: dict[str, Any]) -> Future[Any]:
        """:meth:`request` without waiting: the answer (or the engine's error) arrives in
        the future, set on the engine thread (a server's event loop awaits it)."""
        answer: Future[Any] = Future()
        if not self._thread.is_alive():
            answer.set_exception(RuntimeError("The engine thread has stopped."))
        else:
            self._requests.put(_Request(name, args, kwargs, answer))
        return answer

    def submit_call(self, work: Callable[[Owner], Any]) -> Future[Any]:
        """Run ``work(owner)`` on the engine thread, in turn with the requests (for what the
        owner offers beyond its API, such as a library's whole event log)."""
        return self.submit("_owner_call", (work,), {})

    def listen(self, sink: Callable[[EngineEvent], None]) -> Callable[[], None]:
        with self._lock:
            self._sinks.append(sink)
        return lambda: self._drop(self._sinks, sink)

    # -- the clock -----------------------------------------------------------------------------
    def listen_ticks(self, sink: Callable[[ClockTick], None]) -> Callable[[], None]:
        """Receive a :class:`ClockTick` after each step the engine thread's clock takes."""
        with self._lock:
            self._tick_sinks.append(sink)
        return lambda: self._drop(self._tick_sinks, sink)

    def run_clock(self, speed: float) -> None:
        """Move simulated time by itself at ``speed`` simulated seconds per wall second
        (0 stops it)."""
        speed = bounds.real("speed", "The clock speed", speed, 0, bounds.MAX_CLOCK_SPEED)
        self.request("_run_clock", (speed,), {})

    def close(self) -> None:
        """Stop the clock, close the owner on its thread and end the thread."""
        if self._thread.is_alive():
            self._requests.put(None)
            self._thread.join()

    # -- on the thread -----------------------------------------------------------------------------
    def _run(self, open_owner: Callable[[], Owner]) -> None:
        try:
            self._owner = open_owner()
            self._owner.api.subscribe(self._publish)
        except BaseException as err:
            self._opened.set_exception(err)
            return
        self._opened.set_result(None)
        try:
            while not self._closing:
                due = self._last_wall + CLOCK_INTERVAL_S - self._wall_clock()
                try:
                    item = self._requests.get(timeout=max(due, 0.0) if self._speed > 0
                                              else None)
                except queue.Empty:
                    item = _TICK
                if item is None:
                    return
                if item is not _TICK:
                    self._answer(item)
                if (self._speed > 0 and self._serve_waiting()
                        and self._wall_clock() - self._last_wall >= CLOCK_INTERVAL_S):
                    self._clock_step()
        finally:
            self._owner.close()

    def _answer(self, item: _Request) -> None:
        try:
            item.answer.set_result(self._invoke(item.name, item.args, item.kwargs))
        except BaseException as err:  # the caller's to handle
            item.answer.set_exception(err)

    def _serve_waiting(self) -> bool:
        """Answer the requests waiting now (not those that arrive meanwhile, so clients
        that keep the queue full cannot stop the clock); False once asked to close."""
        for _ in range(self._requests.qsize()):
            if self._closing:
                break
            try:
                item = self._requests.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._closing = True
            else:
                self._answer(item)
        return not self._closing

    def _invoke(self, name: str, args: tuple[Any, ...] | None, kwargs: dict[str, Any]) -> Any:
        if name == "_run_clock":
            speed = float(args[0]) if args else 0.0
            if self._speed == 0:
                self._last_wall = self._wall_clock()
            self._speed, self._achieved = speed, 0.0
            return None
        assert self._owner is not None
        if name == "_owner_call" and args:
            return args[0](self._owner)
        target = getattr(self._owner.api, name)
        return target if args is None else target(*args, **kwargs)

    def _clock_step(self) -> None:
        """Advance by the wall time since the last step times the speed.  A gap longer than
        :data:`MAX_WALL_GAP_S` is not replayed, so a clock that cannot keep up falls behind
        and says so (:attr:`ClockTick.keeping_up`)."""
        assert self._owner is not None
        now = self._wall_clock()
        wall = now - self._last_wall
        self._last_wall = now
        api = self._owner.api
        speed = self._speed
        left = speed * min(wall, MAX_WALL_GAP_S)
        # In slices, answering what waits between them: a request never waits for a whole
        # step of a big lab, and one that stops or changes the clock ends the step.
        while left > 0:
            api.advance(min(left, CLOCK_SLICE_S))
            left -= CLOCK_SLICE_S
            if not self._serve_waiting() or self._speed != speed:
                return
        # Achieved: simulated over wall seconds, smoothed over a few steps.
        rate = speed * min(wall, MAX_WALL_GAP_S) / max(wall, 1e-9)
        self._achieved = rate if self._achieved == 0 else 0.7 * self._achieved + 0.3 * rate
        tick = ClockTick(api.vm_table(), self._speed, self._achieved)
        for sink in list(self._tick_sinks):
            sink(tick)

    def _publish(self, event: EngineEvent) -> None:
        for sink in list(self._sinks):
            sink(event)

    def _drop(self, sinks: list[Any], sink: Any) -> None:
        with self._lock:
            if sink in sinks:
                sinks.remove(sink)
