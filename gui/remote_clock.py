"""A server's connection as the engine of a console bridge (gui/servers.py).

Loaded when the console connects to a server, not at start-up: it needs the engine's
facade and the remote transport, which the first paint must not wait for.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from hvlab.engine.api import CallKind, ClockTick, EngineEvent, ManagementApi, declared_calls
from hvlab.engine.remote import ConnectionLostError, RemoteEngine


class RemoteClock:
    """The server's connection as the bridge's engine: the bridge sets the clock speed when
    it starts and stops it when it closes, which on a shared server must not change the
    lab for every other console; only a speed the user picks is sent."""

    #: Answers kept for a connection that is lost (see :meth:`request`).
    KEPT_ANSWERS = 512

    def __init__(self, engine: RemoteEngine) -> None:
        self.engine = engine
        self.speed = engine.info.speed if engine.info is not None else 0.0
        self.detaching = False
        self._queries = {n for n, k in declared_calls(ManagementApi).items()
                         if k is CallKind.QUERY} | {"now_seconds", "now_us"}
        self._answers: OrderedDict[str, Any] = OrderedDict()

    def request(self, name: str, args: tuple[Any, ...] | None, kwargs: dict[str, Any]) -> Any:
        """The server's answer.  While the connection is lost, a question the window asked
        before gets its last answer (a view refreshing on a tick that was already on its way
        keeps showing what it showed); anything else raises the connection's error."""
        if name not in self._queries:
            return self.engine.request(name, args, kwargs)
        key = f"{name}{args!r}{sorted(kwargs.items())!r}"
        try:
            answer = self.engine.request(name, args, kwargs)
        except ConnectionLostError:
            if key in self._answers:
                return self._answers[key]
            raise
        self._answers[key] = answer
        self._answers.move_to_end(key)
        if len(self._answers) > self.KEPT_ANSWERS:
            self._answers.popitem(last=False)
        return answer

    def listen(self, sink: Callable[[EngineEvent], None]) -> Callable[[], None]:
        return self.engine.listen(sink)

    def listen_ticks(self, sink: Callable[[ClockTick], None]) -> Callable[[], None]:
        def follow(tick: ClockTick) -> None:
            self.speed = tick.speed  # another console may have changed it
            sink(tick)

        return self.engine.listen_ticks(follow)

    def run_clock(self, speed: float) -> None:
        if self.detaching or speed == self.speed:
            return
        self.engine.run_clock(speed)
        self.speed = speed

    def close(self) -> None:
        self.engine.close()
