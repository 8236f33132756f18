"""hvlab's remote side: a server that serves one lab's management API to many clients, and
the client transport that drives it (docs/remote.md).

A client of :mod:`hvlab.engine.api` like the lessons, above it: it uses the facade's
declared calls and the engine thread, and nothing below the API.  The console and ``hvctl``
use the names here (and only these) to serve a library and to connect to a server.
"""

from __future__ import annotations

from hvlab.engine.remote.client import (
    ConnectionLostError,
    RemoteEngine,
    ServerInfo,
    normalise_url,
)
from hvlab.engine.remote.protocol import DEFAULT_PORT, PROTOCOL_VERSION, SUBPROTOCOL
from hvlab.engine.remote.security import Access, KnownServers, default_config_dir
from hvlab.engine.remote.serving import (
    RemoteLibrary,
    RunningServer,
    connect_library,
    start_server,
)

__all__ = ["DEFAULT_PORT", "PROTOCOL_VERSION", "SUBPROTOCOL", "Access", "ConnectionLostError",
           "KnownServers", "RemoteEngine", "RemoteLibrary", "RunningServer", "ServerInfo",
           "connect_library", "default_config_dir", "normalise_url", "start_server"]
