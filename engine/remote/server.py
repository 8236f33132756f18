"""The hvlab server: one lab, served to many clients over the remote protocol.

The server owns the library (it opens it, so its lock keeps every other writer out) and
runs the engine on an :class:`~hvlab.engine.api.EngineThread`, as the console does; the
WebSocket side runs on an asyncio event loop.  Each connection is served one request at a
time, and the engine thread answers requests in arrival order, so a client that floods
requests delays another client's request by at most one of its own (plus the clock step in
progress): the bound docs/remote.md states and the tests check.

Events and clock ticks are encoded once and pushed to every subscribed connection; a
connection that reads slower than the server writes keeps only the latest tick (ticks are
snapshots) and, past :data:`MAX_PENDING_EVENTS` unsent events, gets ``hvlab.overflow``
instead of them, telling it to read the lab again.  Counter streams (``hvlab.watch``) send
each new one-second sample of the watched VMs and hosts in one batch per sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from websockets.asyncio.server import Server as WsServer
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as HttpRequest
from websockets.http11 import Response as HttpResponse

import hvlab.engine.api as api
from hvlab.engine.api import CallKind, ClockTick, EngineEvent, EngineThread, HvError
from hvlab.engine.remote import codec, protocol
from hvlab.engine.remote.protocol import ProtocolError
from hvlab.engine.remote.security import Access, Tokens

#: Events a connection may have waiting to be sent before it is told it fell behind.
MAX_PENDING_EVENTS = 5000
#: Counter streams one connection may watch.
MAX_STREAMS = 256
#: A watched history: ("vm", VM), ("host", HOST or None) or ("counter", SET, COUNTER,
#: INSTANCE, HOST or None), the arguments of vm_history, host_history, counter_history.
Stream = tuple[str | None, ...]
_HISTORY_CALLS = {"vm": ("vm_history", 1), "host": ("host_history", 1),
                  "counter": ("counter_history", 4)}


@dataclass
class _Client:
    connection: ServerConnection
    access: Access
    events: bool = False
    ticks: bool = False
    streams: set[Stream] = field(default_factory=set)
    pending: deque[str] = field(default_factory=deque)
    tick: str | None = None
    overflowed: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class LabServer:
    """Serves ``engine`` (its owner must have an ``api``; a library's ``events`` is
    offered as ``hvlab.events``) to clients holding one of ``tokens``."""

    def __init__(self, engine: EngineThread, tokens: Tokens, *, name: str | None = None,
                 library: str = "") -> None:
        self.engine = engine
        self.tokens = tokens
        self.name = name or socket.gethostname()
        self.library = library
        self._methods = protocol.api_methods()
        self._clients: dict[int, _Client] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watched: dict[Stream, float] = {}  # stream: its last sample sent
        self._watch_lock = threading.Lock()
        self._stops: list[Callable[[], None]] = []
        self._last_second = -1
        self._pending_access: dict[int, Access] = {}

    @property
    def client_count(self) -> int:
        return len(self._clients)

    # -- the handshake -----------------------------------------------------------------------
    def _check_request(self, connection: ServerConnection,
                       request: HttpRequest) -> HttpResponse | None:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else None
        access = self.tokens.access(token)
        if access is None:
            reason = ("no access token was sent" if token is None
                      else "the access token is not one of this server's")
            return self._refuse(http.HTTPStatus.UNAUTHORIZED,
                                f"You do not have the required permission to connect to the "
                                f"hvlab server '{self.name}': {reason}. Ask the trainer for "
                                "a token (hvctl --server URL --token TOKEN).")
        offered = request.headers.get_all("Sec-WebSocket-Protocol")
        names = {p.strip() for value in offered for p in value.split(",")}
        if protocol.SUBPROTOCOL not in names:
            return self._refuse(http.HTTPStatus.UPGRADE_REQUIRED,
                                f"The hvlab server '{self.name}' speaks protocol "
                                f"{protocol.SUBPROTOCOL}; this client offers "
                                f"{', '.join(sorted(names)) or 'none'}. Use the same hvlab "
                                "version on both sides.")
        self._pending_access[id(connection)] = access
        return None

    @staticmethod
    def _refuse(status: http.HTTPStatus, text: str) -> HttpResponse:
        body = (text + "\n").encode()
        headers = Headers([("Content-Type", "text/plain; charset=utf-8"),
                           ("Content-Length", str(len(body))), ("Connection", "close")])
        return HttpResponse(status.value, status.phrase, headers, body)

    # -- serving -----------------------------------------------------------------------------
    async def run(self, host: str | None, port: int, ssl_context: Any,
                  ready: Callable[[WsServer], None] | None = None,
                  stop: asyncio.Event | None = None) -> None:
        """Serve until ``stop`` is set (forever without one)."""
        self._loop = asyncio.get_running_loop()
        self._stops = [self.engine.listen(self._on_event), self.engine.listen_ticks(self._on_tick)]
        try:
            async with serve(self._serve_connection, host, port, ssl=ssl_context,
                             subprotocols=[protocol.SUBPROTOCOL],  # type: ignore[list-item]
                             process_request=self._check_request,
                             max_size=protocol.MAX_MESSAGE_BYTES, max_queue=4,
                             # A loaded classroom machine may take a while over TLS.
                             open_timeout=30,
                             ping_interval=20, ping_timeout=20, compression=None) as server:
                if ready is not None:
                    ready(server)
                await (stop.wait() if stop is not None else asyncio.Future())
        finally:
            for stop_listening in self._stops:
                stop_listening()

    async def _serve_connection(self, connection: ServerConnection) -> None:
        access = self._pending_access.pop(id(connection), Access.READ_ONLY)
        client = _Client(connection, access)
        self._clients[id(client)] = client
        sender = asyncio.create_task(self._send_pushed(client))
        try:
            await connection.send(protocol.dumps({
                "jsonrpc": "2.0", "method": protocol.WELCOME,
                "params": {"protocol": protocol.PROTOCOL_VERSION, "version": api.__version__,
                           "server": self.name, "library": self.library,
                           "access": access.value, "speed": self.engine.speed}}))
            async for message in connection:
                answer = await self._answer(client, message)
                if answer is not None:
                    await connection.send(answer)
        except ConnectionClosed:
            pass
        finally:
            self._clients.pop(id(client), None)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            self._forget_streams()

    async def _answer(self, client: _Client, message: str | bytes) -> str | None:
        """The response to one message; None for a notification (JSON-RPC answers none,
        not even an error, once the message was read as a request)."""
        ident: Any = None
        notification = False
        try:
            request = protocol.parse_request(message)
            ident, notification = request.id, request.notification
            result = await self._dispatch(client, request)
            if notification:
                return None
            text = protocol.dumps({"jsonrpc": "2.0", "id": ident,
                                   "result": codec.encode(result)})
        except ProtocolError as err:
            if notification:
                return None
            text = protocol.dumps(protocol.error_response(
                ident if ident is not None else err.ident, err.code, err.message))
        except HvError as err:
            text = protocol.dumps(protocol.error_response(
                ident, protocol.ENGINE_ERROR, err.text, protocol.engine_error_data(err)))
        except codec.CodecError as err:  # params were read already: an answer it cannot write
            text = protocol.dumps(protocol.error_response(
                ident, protocol.INTERNAL_ERROR, f"The server cannot send the answer: {err}"))
        except (TypeError, ValueError) as err:
            # Arguments the call does not take, or a value of the wrong type.
            text = protocol.dumps(protocol.error_response(
                ident, protocol.INVALID_PARAMS, f"Invalid params: {err}"))
        except Exception as err:  # the engine's bug (or an answer the codec cannot write)
            text = protocol.dumps(protocol.error_response(
                ident, protocol.INTERNAL_ERROR, f"The server failed: {type(err).__name__}: {err}"))
        return None if notification else text

    async def _dispatch(self, client: _Client, request: protocol.Request) -> Any:
        name = request.method
        server_access = protocol.SERVER_METHODS.get(name)
        kind = self._methods.get(name)
        if server_access is None and kind is None:
            raise ProtocolError(protocol.METHOD_NOT_FOUND, f"There is no method {name!r}.")
        needs_write = (server_access == "read-write"
                       or kind in (CallKind.COMMAND, CallKind.CLOCK))
        if needs_write and client.access is not Access.READ_WRITE:
            raise ProtocolError(
                protocol.ACCESS_DENIED,
                f"You do not have the required permission to complete this task. This "
                f"connection to '{self.name}' is read-only: {name} changes the lab. Connect "
                "with a read-write token.")
        if server_access is not None:
            return await self._server_method(client, request)
        if name in protocol.PROPERTIES:
            if request.args or request.kwargs:
                raise ProtocolError(protocol.INVALID_PARAMS, f"{name} takes no params.")
            return await asyncio.wrap_future(self.engine.submit(name, None, {}))
        return await asyncio.wrap_future(self.engine.submit(name, request.args, request.kwargs))

    async def _server_method(self, client: _Client, request: protocol.Request) -> Any:
        name, args, kwargs = request.method, request.args, request.kwargs
        if name == "hvlab.subscribe":
            client.events = bool(kwargs.get("events", client.events))
            client.ticks = bool(kwargs.get("ticks", client.ticks))
            return {"events": client.events, "ticks": client.ticks}
        if name == "hvlab.watch":
            return self._watch(client, kwargs.get("streams", args[0] if args else []))
        if name == "hvlab.run_clock":
            speed = args[0] if args else kwargs.get("speed")
            speed = api.real("speed", "The clock speed", speed, 0, api.MAX_CLOCK_SPEED)
            await asyncio.wrap_future(self.engine.submit("_run_clock", (speed,), {}))
            return None
        # hvlab.events: the library's whole log, filtered like `hvctl events`.
        allowed = {"vm", "level", "since_seconds", "last"}
        unknown = sorted(set(kwargs) - allowed)
        if unknown or args:
            raise ProtocolError(protocol.INVALID_PARAMS,
                                f"hvlab.events takes the named params {', '.join(sorted(allowed))}")

        def read(owner: Any) -> Any:
            events = getattr(owner, "events", None)
            if events is None:
                return owner.api.event_log(**{k: v for k, v in kwargs.items()
                                              if k in ("vm", "level")})
            return events(**kwargs)

        return await asyncio.wrap_future(self.engine.submit_call(read))

    def _watch(self, client: _Client, streams: Any) -> list[list[Any]]:
        if not isinstance(streams, list) or len(streams) > MAX_STREAMS:
            raise ProtocolError(protocol.INVALID_PARAMS,
                                f"streams is a list of at most {MAX_STREAMS} streams")
        wanted: set[Stream] = set()
        for item in streams:
            call = _HISTORY_CALLS.get(item[0]) if isinstance(item, list) and item and \
                isinstance(item[0], str) else None
            if (call is None or len(item) != 1 + call[1]
                    or not all(isinstance(a, str) for a in item[1:-1])
                    or not (item[-1] is None or isinstance(item[-1], str))
                    or (item[0] == "vm" and item[1] is None)):
                raise ProtocolError(protocol.INVALID_PARAMS,
                                    'a stream is ["vm", VM], ["host", HOST or null] or '
                                    '["counter", SET, COUNTER, INSTANCE, HOST or null]')
            wanted.add(tuple(item))
        client.streams = wanted
        self._forget_streams()
        with self._watch_lock:
            for key in wanted:
                self._watched.setdefault(key, float("-inf"))
        return [list(k) for k in sorted(wanted, key=str)]

    def _forget_streams(self) -> None:
        used = {k for c in self._clients.values() for k in c.streams}
        with self._watch_lock:
            for key in list(self._watched):
                if key not in used:
                    del self._watched[key]

    # -- pushed messages (built on the engine thread, sent on the loop) ------------------------
    def _on_event(self, event: EngineEvent) -> None:
        if not any(c.events for c in list(self._clients.values())):
            return
        text = protocol.dumps({"jsonrpc": "2.0", "method": protocol.EVENT,
                               "params": codec.encode(event)})
        self._call_soon(self._push_event, text)

    def _on_tick(self, tick: ClockTick) -> None:
        if any(c.ticks for c in list(self._clients.values())):
            text = protocol.dumps({"jsonrpc": "2.0", "method": protocol.TICK, "params": {
                "snapshot": codec.encode(tick.snapshot), "speed": tick.speed,
                "achieved": tick.achieved, "sent": time.time()}})
            self._call_soon(self._push_tick, text)
        second = tick.snapshot.time_us // api.US_PER_S
        if second == self._last_second:
            return  # the history takes one sample a simulated second
        self._last_second = second
        batch = self._counter_batch()
        if batch is not None:
            self._call_soon(self._push_counters, batch)

    def _counter_batch(self) -> dict[Stream, str] | None:
        """The new one-second samples of every watched stream, one message per stream
        (taken on the engine thread, inside the tick).  A stream whose history is gone (a
        VM deleted, an instance that no longer exists) is dropped with an ``error``, so its
        clients ask again and get the engine's error."""
        with self._watch_lock:
            watched = dict(self._watched)
        if not watched:
            return None
        out: dict[Stream, str] = {}
        for key, last in watched.items():
            name, _ = _HISTORY_CALLS[str(key[0])]
            try:
                history = self.engine.request(name, key[1:], {})
            except HvError as err:
                with self._watch_lock:
                    self._watched.pop(key, None)
                out[key] = protocol.dumps({
                    "jsonrpc": "2.0", "method": protocol.COUNTERS,
                    "params": {"stream": list(key), "error": err.message}})
                continue
            if isinstance(history, tuple):  # counter_history: (times, values)
                history = {"times": history[0], "values": history[1]}
            times = history["times"]
            fresh = times > last
            if not fresh.any():
                continue
            sample = {series: values[fresh] for series, values in history.items()}
            with self._watch_lock:
                if key in self._watched:
                    self._watched[key] = float(times[-1])
            out[key] = protocol.dumps({
                "jsonrpc": "2.0", "method": protocol.COUNTERS,
                "params": {"stream": list(key), "length": len(times),
                           "samples": codec.encode(sample)}})
        return out or None

    def _call_soon(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile
                loop.call_soon_threadsafe(fn, *args)

    def _push_event(self, text: str) -> None:
        for client in list(self._clients.values()):
            if not client.events or client.overflowed:
                continue
            if len(client.pending) >= MAX_PENDING_EVENTS:
                client.pending.clear()
                client.overflowed = True
            else:
                client.pending.append(text)
            client.wake.set()

    def _push_tick(self, text: str) -> None:
        for client in list(self._clients.values()):
            if client.ticks:
                client.tick = text
                client.wake.set()

    def _push_counters(self, messages: dict[Stream, str]) -> None:
        for client in list(self._clients.values()):
            for key in list(client.streams):
                text = messages.get(key)
                if text is not None and len(client.pending) < MAX_PENDING_EVENTS:
                    client.pending.append(text)
                    client.wake.set()
                if text is not None and key not in self._watched:
                    client.streams.discard(key)  # gone: the client asks again

    async def _send_pushed(self, client: _Client) -> None:
        connection = client.connection
        with contextlib.suppress(ConnectionClosed):
            while True:
                await client.wake.wait()
                client.wake.clear()
                if client.overflowed:
                    client.overflowed = False
                    await connection.send(protocol.dumps({
                        "jsonrpc": "2.0", "method": protocol.OVERFLOW,
                        "params": {"reason": "events were dropped: read the lab again"}}))
                while client.pending:
                    await connection.send(client.pending.popleft())
                if client.tick is not None:
                    text, client.tick = client.tick, None
                    await connection.send(text)


class ServerThread:
    """A :class:`LabServer` on its own thread and event loop (``hvctl serve`` runs one and
    waits; tests and the benchmark run one in process)."""

    def __init__(self, server: LabServer, *, host: str | None = "127.0.0.1", port: int = 0,
                 ssl_context: Any = None) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.port = 0
        self.host = host or "0.0.0.0"
        self.tls = ssl_context is not None
        self._thread = threading.Thread(
            target=self._run, args=(host, port, ssl_context), name="hvlab-server", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"{'wss' if self.tls else 'ws'}://{host}:{self.port}/"

    def _run(self, host: str | None, port: int, ssl_context: Any) -> None:
        asyncio.set_event_loop(self._loop)

        def ready(ws: WsServer) -> None:
            sockets = list(ws.sockets)
            self.port = cast(int, sockets[0].getsockname()[1]) if sockets else port
            self._ready.set()

        async def main() -> None:
            self._stop = asyncio.Event()
            await self.server.run(host, port, ssl_context, ready, self._stop)

        try:
            self._loop.run_until_complete(main())
        except BaseException as err:
            self._error = err
            self._ready.set()
        finally:
            self._loop.close()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def close(self) -> None:
        """Stop serving (connections are closed) and end the thread."""
        if self._stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
