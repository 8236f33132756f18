"""Shared setup of the remote tests: a server on a library in ``tmp_path``, clients that
remember certificates there too, and a raw connection for the protocol fuzzers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from hvlab.engine.api import ApiProxy, ManagementApi
from hvlab.engine.remote import (
    SUBPROTOCOL,
    Access,
    KnownServers,
    RemoteEngine,
    RunningServer,
    start_server,
)
from hvlab.engine.remote.security import client_context

#: Wall seconds a test waits for something pushed over the network before it fails.
PATIENCE_S = 20.0


def serve(folder: Path, **options: Any) -> RunningServer:
    options.setdefault("speed", 0.0)
    return start_server(folder / "library", host="127.0.0.1", port=options.pop("port", 0),
                        config_dir=folder / "config", **options)


@contextmanager
def running(folder: Path, **options: Any) -> Iterator[RunningServer]:
    server = serve(folder, **options)
    try:
        yield server
    finally:
        server.close()


def client(server: RunningServer, folder: Path, access: Access = Access.READ_WRITE,
           **options: Any) -> RemoteEngine:
    return RemoteEngine(server.url, server.new_tokens[access],
                        known=KnownServers(folder / "client"), **options)


def proxy(engine: RemoteEngine) -> ManagementApi:
    api: ManagementApi = ApiProxy(engine)  # type: ignore[assignment]
    return api


def raw(server: RunningServer, token: str | None, **options: Any) -> ClientConnection:
    """A WebSocket to the server without the client transport (reads the welcome)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    connection = connect(server.url, ssl=client_context(), additional_headers=headers,
                         subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
                         open_timeout=PATIENCE_S, **options).__enter__()
    welcome = json.loads(connection.recv(timeout=PATIENCE_S))
    assert welcome["method"] == "hvlab.welcome"
    return connection


def call(connection: ClientConnection, method: str, params: Any = None,
         ident: int = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
    if params is not None:
        message["params"] = params
    connection.send(json.dumps(message))
    return answer(connection, ident)


def answer(connection: ClientConnection, ident: Any) -> dict[str, Any]:
    """The response to ``ident`` (pushed notifications in between are skipped)."""
    while True:
        reply: dict[str, Any] = json.loads(connection.recv(timeout=PATIENCE_S))
        if "method" not in reply and reply.get("id") == ident:
            return reply


class Waiter:
    """Collects what a sink receives; :meth:`until` waits (on an event, not a sleep) for a
    condition on what arrived."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = threading.Condition()

    def __call__(self, item: Any) -> None:
        with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    def until(self, predicate: Callable[[list[Any]], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.items), PATIENCE_S):
                raise AssertionError(f"timed out waiting for {what}; got {self.items[-5:]}")
