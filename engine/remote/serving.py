"""Starting a server on a library (``hvctl serve``), and the client's view of one as a
library (``hvctl --server``)."""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from hvlab.engine import fileguard
from hvlab.engine.api import ApiProxy, EngineThread, HvError, ManagementApi, open_library
from hvlab.engine.remote import protocol, security
from hvlab.engine.remote.client import RemoteEngine
from hvlab.engine.remote.server import LabServer, ServerThread


@dataclass
class RunningServer:
    """A server on its threads: :meth:`close` stops serving, then closes the library (its
    last commit) on the engine thread."""

    engine: EngineThread
    thread: ServerThread
    library: Path
    #: Tokens made on this start, in clear (shown once); empty when they existed already.
    new_tokens: dict[security.Access, str]
    fingerprint: str | None
    config_dir: Path
    messages: list[str]

    @property
    def url(self) -> str:
        return self.thread.url

    @property
    def server(self) -> LabServer:
        return self.thread.server

    def close(self) -> None:
        self.thread.close()
        self.engine.close()


def start_server(library: str | os.PathLike[str] | None = None, *, host: str | None = "0.0.0.0",
                 port: int = protocol.DEFAULT_PORT, config_dir: Path | None = None,
                 speed: float = 1.0, name: str | None = None, tls: bool = True,
                 seed: int | None = None, empty: bool = False,
                 new_tokens: bool = False) -> RunningServer:
    """Open ``library`` (taking its lock: the server is its one writer), run its clock at
    ``speed`` and serve it on ``host``:``port`` (0: any free port).  ``tls`` False serves
    plain ``ws://`` (tests and a machine's own loopback only; docs/remote.md)."""
    folder = config_dir or security.default_config_dir()
    if new_tokens:
        fileguard.unlink(folder / security.TOKENS_FILE, missing_ok=True)
    tokens, made = security.Tokens.load_or_create(folder)
    context: Any = None
    print_fingerprint: str | None = None
    if tls:
        cert, key = security.load_or_create_certificate(folder, [host or ""])
        context = security.server_context(cert, key)
        print_fingerprint = security.certificate_fingerprint(cert)
    messages: list[str] = []
    opened: dict[str, Path] = {}

    def open_owner() -> Any:
        lib = open_library(library, program="hvlab-server", seed=seed, empty=empty)
        messages.extend(lib.messages)
        opened["path"] = lib.path
        return lib

    engine = EngineThread(open_owner, name="hvlab-server-engine")
    try:
        server = LabServer(engine, tokens, name=name, library=str(opened["path"]))
        try:
            thread = ServerThread(server, host=host, port=port, ssl_context=context)
        except OSError as err:  # the port is taken, the address is not this computer's
            address = isinstance(err, socket.gaierror) or err.errno == errno.EADDRNOTAVAIL
            raise HvError(f"The hvlab server cannot listen on {host or '*'}:{port}.",
                          [err.strerror or str(err),
                           "Listen on an address of this computer: --listen 127.0.0.1 for "
                           "this computer only, 0.0.0.0 for every address." if address else
                           "Choose another port with --port, or stop the program using "
                           "it."]) from None
        if speed > 0:
            engine.run_clock(speed)
    except BaseException:
        engine.close()
        raise
    return RunningServer(engine, thread, opened["path"], made, print_fingerprint, folder,
                         messages)


class RemoteLibrary:
    """A server's lab with the part of :class:`~hvlab.engine.api.Library` the commands use:
    :attr:`api` (every call runs on the server), :meth:`events` and :meth:`close`.  The
    server commits; there is nothing to commit here."""

    def __init__(self, engine: RemoteEngine) -> None:
        self.engine = engine
        self.api = cast(ManagementApi, ApiProxy(engine))
        self.messages: list[str] = []
        self.path = Path(engine.info.library if engine.info else "")

    def events(self, *, vm: str | None = None, level: str | None = None,
               since_seconds: float | None = None, last: int | None = None) -> Any:
        return self.engine.events(vm=vm, level=level, since_seconds=since_seconds, last=last)

    def close(self) -> None:
        self.engine.close()


def connect_library(address: str, token: str | None, *,
                    fingerprint: str | None = None) -> RemoteLibrary:
    """Connect to the server at ``address`` for one command: no reconnection, no
    counter streams."""
    return RemoteLibrary(RemoteEngine(address, token, fingerprint=fingerprint,
                                      reconnect=False, watch_counters=False))
