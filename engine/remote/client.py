"""The client side of the remote protocol: a transport with the surface of
:class:`~hvlab.engine.api.EngineThread`, so an :class:`~hvlab.engine.api.ApiProxy` (and the
console's bridge) drives a server exactly as it drives an engine in process.

:class:`RemoteEngine` keeps one WebSocket connection; a reader thread takes every message
off it: answers wake the caller waiting for them, events go to :meth:`listen`'s sinks and
clock ticks to :meth:`listen_ticks`'s, on the reader thread (a client with an event loop
moves them to its thread, as the console's bridge does).  When the connection is lost, each
waiting call raises :class:`ConnectionLostError`, the status sinks hear it, and the client
connects again by itself (every :data:`RECONNECT_DELAYS_S`), subscribing as before.

A VM's, a host's or one counter's history (``vm_history``, ``host_history``,
``counter_history``) is read once and then kept current by the server's counter stream (one
batch a simulated second) instead of being asked for again: a graph that redraws ten times
a second costs the network nothing.  A history that is gone (its VM deleted, its instance
no longer there) is dropped, so the next call gets the engine's error.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection, connect

from hvlab.engine.api import (
    MAX_CLOCK_SPEED,
    AccessDeniedError,
    ClockTick,
    EngineEvent,
    HvError,
    ManagementApi,
    real,
)
from hvlab.engine.remote import codec, protocol, security

#: Wall seconds between attempts to connect again after a lost connection.
RECONNECT_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 5.0)
#: Wall seconds a connection attempt may take.
OPEN_TIMEOUT_S = 20.0
#: History streams one client keeps (the server's own limit).
MAX_STREAMS = 256


#: The facade's history calls the client keeps current from the server's stream, by the
#: stream kind the server knows them by.
_STREAMED = {"vm_history": "vm", "host_history": "host", "counter_history": "counter"}


def _shaped(name: str, columns: dict[str, Any]) -> Any:
    """A kept history in the shape its call returns."""
    if name == "counter_history":
        return columns["times"], columns["values"]
    return columns


class ConnectionLostError(HvError):
    """The server cannot be reached (or stopped answering); nothing was changed by the call
    that raised it unless the server had already received it."""


@dataclass(frozen=True)
class ServerInfo:
    """What the server said about itself when the connection opened."""

    name: str
    version: str
    library: str
    access: str
    #: The server's clock speed when the connection opened (simulated s per wall s).
    speed: float = 0.0

    @property
    def read_only(self) -> bool:
        return self.access == security.Access.READ_ONLY.value


def normalise_url(address: str) -> str:
    """``HOST``, ``HOST:PORT`` or a ``ws(s)://`` URL as the URL to open (TLS by default)."""
    text = address.strip()
    if not text:
        raise HvError("The server address is empty.", ["Type a name, an address or a URL."])
    if "://" not in text:
        host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
        text = f"wss://{host}:{port or protocol.DEFAULT_PORT}/"
    if not text.startswith(("ws://", "wss://")):
        raise HvError(f'"{address}" is not a server address.',
                      ["Use HOST, HOST:PORT or wss://HOST:PORT/."])
    return text


class RemoteEngine:
    """A connection to an hvlab server (see the module).  ``fingerprint`` pins the server's
    certificate; without it the first certificate seen for the address is remembered and
    later ones must match (``known`` is where).  ``reconnect`` False: a lost connection
    stays lost (``hvctl``)."""

    def __init__(self, address: str, token: str | None, *, fingerprint: str | None = None,
                 known: security.KnownServers | None = None, reconnect: bool = True,
                 watch_counters: bool = True) -> None:
        self.url = normalise_url(address)
        self._token = token
        self._fingerprint = fingerprint
        self._known = known or security.KnownServers()
        self._reconnect = reconnect
        self._watch_counters = watch_counters
        self._ids = itertools.count(1)
        self._waiting: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._sinks: list[Callable[[EngineEvent], None]] = []
        self._tick_sinks: list[Callable[[ClockTick], None]] = []
        self._status_sinks: list[Callable[[bool, str], None]] = []
        self._history: dict[tuple[str | None, ...], dict[str, Any]] = {}
        self._connection: ClientConnection | None = None
        self._closing = False
        self._closed = threading.Event()  # close() was called: stop reconnecting
        self.info: ServerInfo | None = None
        self.last_error = ""
        #: The server's wall clock (time.time()) when it sent the tick being delivered: on
        #: one machine, the tick's delay (tests/bench/remote.py).
        self.tick_sent = 0.0
        self._connect()  # the first connection's error is the caller's
        self._reader = threading.Thread(target=self._read_forever, name="hvlab-remote",
                                        daemon=True)
        self._reader.start()

    # -- state ----------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connection is not None

    @property
    def read_only(self) -> bool:
        return self.info is not None and self.info.read_only

    @property
    def name(self) -> str:
        return self.info.name if self.info is not None else self.url

    def listen_status(self, sink: Callable[[bool, str], None]) -> Callable[[], None]:
        """``sink(connected, message)`` when the connection is lost or made again (on the
        reader thread)."""
        with self._lock:
            self._status_sinks.append(sink)
        return lambda: self._drop(self._status_sinks, sink)

    # -- Transport (and EngineThread's clock surface) --------------------------------------------
    def request(self, name: str, args: tuple[Any, ...] | None, kwargs: dict[str, Any]) -> Any:
        if name in _STREAMED and args is not None and self._watch_counters:
            return self._history_of(name, args, kwargs)
        return self.submit(name, args, kwargs).result()

    def submit(self, name: str, args: tuple[Any, ...] | None,
               kwargs: dict[str, Any]) -> Future[Any]:
        answer: Future[Any] = Future()
        connection = self._connection
        if connection is None:
            answer.set_exception(self._lost_error())
            return answer
        ident = next(self._ids)
        params = protocol.request_params(args or (), kwargs)
        text = protocol.dumps({"jsonrpc": "2.0", "id": ident, "method": name, "params": params})
        with self._lock:
            self._waiting[ident] = answer
        try:
            with self._send_lock:
                connection.send(text)
        except (ConnectionClosed, OSError):
            with self._lock:
                self._waiting.pop(ident, None)
            answer.set_exception(self._lost_error())
        return answer

    def listen(self, sink: Callable[[EngineEvent], None]) -> Callable[[], None]:
        with self._lock:
            first = not self._sinks
            self._sinks.append(sink)
        if first:
            self._subscribe()
        return lambda: self._drop(self._sinks, sink)

    def listen_ticks(self, sink: Callable[[ClockTick], None]) -> Callable[[], None]:
        with self._lock:
            first = not self._tick_sinks
            self._tick_sinks.append(sink)
        if first:
            self._subscribe()
        return lambda: self._drop(self._tick_sinks, sink)

    def run_clock(self, speed: float) -> None:
        """Run the server's clock at ``speed`` (read-write connections only; every client
        of the server sees it)."""
        speed = real("speed", "The clock speed", speed, 0, MAX_CLOCK_SPEED)
        self.request("hvlab.run_clock", (speed,), {})

    def events(self, **filters: Any) -> Any:
        """The library's whole event log (``hvctl events``), filtered."""
        return self.request("hvlab.events", (), filters)

    def close(self) -> None:
        self._closing = True
        self._closed.set()
        connection = self._connection
        if connection is not None:
            connection.close()
        if self._reader.is_alive() and threading.current_thread() is not self._reader:
            self._reader.join(timeout=5)

    # -- the connection ----------------------------------------------------------------------------
    def _connect(self) -> None:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        tls = self.url.startswith("wss://")
        try:
            connection = connect(
                self.url, ssl=security.client_context() if tls else None,
                additional_headers=headers,
                subprotocols=[protocol.SUBPROTOCOL],  # type: ignore[list-item]
                max_size=protocol.MAX_MESSAGE_BYTES, open_timeout=OPEN_TIMEOUT_S,
                compression=None, ping_interval=20, ping_timeout=20).__enter__()
            # (entered: the connection is closed by close(), not by a with block)
        except InvalidStatus as err:
            body = err.response.body.decode("utf-8", "replace").strip() if err.response.body \
                else f"HTTP {err.response.status_code}"
            raise AccessDeniedError(body) from None
        except (OSError, WebSocketException, TimeoutError) as err:
            raise ConnectionLostError(
                f'An error occurred while attempting to connect to server "{self.url}". '
                "Check that the hvlab server is running and that you are authorized to "
                "connect to it.", [str(err) or type(err).__name__]) from None
        try:
            if tls:
                der = connection.socket.getpeercert(binary_form=True)  # type: ignore[attr-defined]
                self._known.check(self.url, security.fingerprint(der or b""), self._fingerprint)
            self.info = self._welcome(connection)
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    @staticmethod
    def _welcome(connection: ClientConnection) -> ServerInfo:
        try:
            message = codec.decode(json.loads(connection.recv(timeout=OPEN_TIMEOUT_S)))
        except (ConnectionClosed, TimeoutError, ValueError, codec.CodecError) as err:
            raise ConnectionLostError("The server did not say who it is.", [str(err)]) from None
        params = message.get("params") if isinstance(message, dict) else None
        if (not isinstance(params, dict) or message.get("method") != protocol.WELCOME
                or params.get("protocol") != protocol.PROTOCOL_VERSION):
            raise ConnectionLostError("The server does not speak this hvlab's protocol.")
        speed = params.get("speed", 0.0)
        return ServerInfo(str(params.get("server", "")), str(params.get("version", "")),
                          str(params.get("library", "")), str(params.get("access", "")),
                          float(speed) if isinstance(speed, int | float) else 0.0)

    def _subscribe(self) -> None:
        """Tell the server which pushed messages this client wants (a notification: no
        answer is waited for, so a sink may subscribe from the reader thread)."""
        connection = self._connection
        if connection is None:
            return
        with self._lock:
            params: dict[str, Any] = {"events": bool(self._sinks),
                                      "ticks": bool(self._tick_sinks)}
            streams = [list(k) for k in self._history]
        messages = [{"jsonrpc": "2.0", "method": "hvlab.subscribe", "params": params}]
        if streams:
            messages.append({"jsonrpc": "2.0", "method": "hvlab.watch",
                             "params": {"streams": streams}})
        with contextlib.suppress(ConnectionClosed, OSError), self._send_lock:
            for message in messages:
                connection.send(protocol.dumps(message))

    def _read_forever(self) -> None:
        delays: Iterator[float] = iter(())
        while not self._closing:
            connection = self._connection
            if connection is None:
                if self._closed.wait(next(delays, RECONNECT_DELAYS_S[-1])):
                    return
                try:
                    self._connect()
                except HvError as err:
                    self.last_error = err.message
                    continue
                self._subscribe()
                self._tell_status(True, f"Connected to {self.name}.")
                continue
            try:
                text = connection.recv()
            except (ConnectionClosed, OSError) as err:
                self._lose(str(err) or "the connection closed")
                if not self._reconnect:
                    return
                delays = iter(RECONNECT_DELAYS_S)
                continue
            self._handle(text)

    def _lose(self, why: str) -> None:
        self._connection = None
        self.last_error = why
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for answer in waiting.values():
            answer.set_exception(self._lost_error())
        if not self._closing:
            self._tell_status(False, f"The connection to {self.name} was lost: {why}.")

    def _lost_error(self) -> ConnectionLostError:
        return ConnectionLostError(f"The connection to the hvlab server {self.name} was lost.",
                                   [self.last_error] if self.last_error else [])

    def _tell_status(self, connected: bool, message: str) -> None:
        for sink in list(self._status_sinks):
            sink(connected, message)

    def _handle(self, text: str | bytes) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if "id" in message and "method" not in message:
            with self._lock:
                answer = self._waiting.pop(message["id"], None)
            if answer is None:
                return
            if "error" in message:
                error = message["error"] if isinstance(message["error"], dict) else {}
                answer.set_exception(self._error(error))
            else:
                try:
                    answer.set_result(codec.decode(message.get("result")))
                except codec.CodecError as err:
                    answer.set_exception(HvError("The server's answer cannot be read.",
                                                 [str(err)]))
            return
        self._notification(str(message.get("method")), message.get("params"))

    def _error(self, error: dict[str, Any]) -> BaseException:
        code, text = error.get("code"), str(error.get("message", "The server failed."))
        if code == protocol.ENGINE_ERROR:
            return protocol.engine_error(text, error.get("data"))
        if code == protocol.ACCESS_DENIED:
            return AccessDeniedError(text)
        if code == protocol.INVALID_PARAMS:
            return TypeError(text)
        return HvError(text)

    def _notification(self, method: str, params: Any) -> None:
        try:
            if method == protocol.EVENT:
                event = codec.decode(params)
                for sink in list(self._sinks):
                    sink(event)
            elif method == protocol.TICK and isinstance(params, dict):
                tick = ClockTick(codec.decode(params["snapshot"]), float(params["speed"]),
                                 float(params["achieved"]))
                self.tick_sent = float(params.get("sent", 0.0))
                for tick_sink in list(self._tick_sinks):
                    tick_sink(tick)
            elif method == protocol.COUNTERS and isinstance(params, dict):
                self._add_samples(params)
            elif method == protocol.OVERFLOW:
                # Events were dropped: a client that keeps state reads the lab again.
                self._tell_status(True, f"{self.name} sent too many events; read again.")
        except (codec.CodecError, KeyError, TypeError, ValueError):
            return

    # -- counter streams -----------------------------------------------------------------
    def _history_of(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        kind = _STREAMED[name]
        try:
            bound = inspect.signature(getattr(ManagementApi, name)).bind(None, *args, **kwargs)
        except TypeError:
            return self.submit(name, args, kwargs).result()  # the server words the error
        bound.apply_defaults()
        key: tuple[str | None, ...] = (kind, *list(bound.arguments.values())[1:])
        if not all(a is None or isinstance(a, str) for a in key):
            return self.submit(name, args, kwargs).result()
        with self._lock:
            cached = self._history.get(key)
            if cached is not None:
                return _shaped(name, {k: v.copy() for k, v in cached.items()})
        history = self.submit(name, args, kwargs).result()
        if name == "counter_history":
            columns = {"times": history[0], "values": history[1]}
        else:
            columns = history
        with self._lock:
            if len(self._history) < MAX_STREAMS:
                self._history[key] = {k: np.asarray(v) for k, v in columns.items()}
        self._subscribe()
        return history

    def _add_samples(self, params: dict[str, Any]) -> None:
        key = tuple(params["stream"])
        if "error" in params:  # the history is gone: the next call asks the server
            with self._lock:
                self._history.pop(key, None)
            return
        length = int(params["length"])
        samples = codec.decode(params["samples"])
        with self._lock:
            cached = self._history.get(key)
            if cached is None:
                return
            fresh = samples["times"] > (cached["times"][-1] if len(cached["times"]) else -1.0)
            for series, values in samples.items():
                old = cached.get(series)
                if old is None:
                    continue
                cached[series] = np.concatenate([old, np.asarray(values)[fresh]])[-length:]

    def _drop(self, sinks: list[Any], sink: Any) -> None:
        with self._lock:
            if sink in sinks:
                sinks.remove(sink)
