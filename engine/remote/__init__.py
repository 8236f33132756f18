"""hvlab's remote side: a server that serves one lab's management API to many clients, and
the client transport that drives it (docs/remote.md).

A client of :mod:`hvlab.engine.api` like the lessons, above it: it uses the facade's
declared calls and the engine thread, and nothing below the API.  The console and ``hvctl``
use the names here (and only these) to serve a library and to connect to a server.

Names load on first use (PEP 562): ``hvctl`` builds its command line with
:data:`DEFAULT_PORT` and pays for the client and the server only when it connects or serves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hvlab.engine import lazy
from hvlab.engine.remote.defaults import DEFAULT_PORT as DEFAULT_PORT

# isort: off
if TYPE_CHECKING:  # each name re-exported explicitly, for type checkers
    from hvlab.engine.remote.client import ConnectionLostError as ConnectionLostError
    from hvlab.engine.remote.client import RemoteEngine as RemoteEngine
    from hvlab.engine.remote.client import ServerInfo as ServerInfo
    from hvlab.engine.remote.client import normalise_url as normalise_url
    from hvlab.engine.remote.protocol import PROTOCOL_VERSION as PROTOCOL_VERSION
    from hvlab.engine.remote.protocol import SUBPROTOCOL as SUBPROTOCOL
    from hvlab.engine.remote.security import Access as Access
    from hvlab.engine.remote.security import KnownServers as KnownServers
    from hvlab.engine.remote.security import default_config_dir as default_config_dir
    from hvlab.engine.remote.serving import RemoteLibrary as RemoteLibrary
    from hvlab.engine.remote.serving import RunningServer as RunningServer
    from hvlab.engine.remote.serving import connect_library as connect_library
    from hvlab.engine.remote.serving import start_server as start_server
# isort: on

_HOMES: dict[str, str] = {
    "Access": "hvlab.engine.remote.security",
    "ConnectionLostError": "hvlab.engine.remote.client",
    "KnownServers": "hvlab.engine.remote.security",
    "PROTOCOL_VERSION": "hvlab.engine.remote.protocol",
    "RemoteEngine": "hvlab.engine.remote.client",
    "RemoteLibrary": "hvlab.engine.remote.serving",
    "RunningServer": "hvlab.engine.remote.serving",
    "SUBPROTOCOL": "hvlab.engine.remote.protocol",
    "ServerInfo": "hvlab.engine.remote.client",
    "connect_library": "hvlab.engine.remote.serving",
    "default_config_dir": "hvlab.engine.remote.security",
    "normalise_url": "hvlab.engine.remote.client",
    "start_server": "hvlab.engine.remote.serving",
}

__all__ = sorted([*_HOMES, "DEFAULT_PORT"])


def __getattr__(name: str) -> Any:
    return lazy.load(__name__, _HOMES, name)
