"""``hvctl serve``: run a library headless and serve it to the room (docs/remote.md), and
``hvctl --server URL``: run any command against such a server."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hvlab.engine.api import MAX_CLOCK_SPEED, HvError, real

if TYPE_CHECKING:
    from hvlab.engine.remote import RemoteLibrary


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the port must be a whole number; got '{text}'") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"the port must be 0 to 65535 (0: any free port); "
                                         f"got {value}")
    return value


def _speed(text: str) -> float:
    try:
        return real("speed", "The clock speed", float(text), 0, MAX_CLOCK_SPEED)
    except (ValueError, HvError):  # not a number, or out of range
        raise argparse.ArgumentTypeError(f"the speed is a number from 0 to "
                                         f"{MAX_CLOCK_SPEED:g}; got '{text}'") from None


def add_common(p: argparse.ArgumentParser, d: dict[str, Any]) -> None:
    """``--server``, ``--token`` and ``--fingerprint``, accepted before or after a command."""
    p.add_argument("--server", metavar="URL",
                   help="run the command on an hvlab server (HOST, HOST:PORT or "
                        "wss://HOST:PORT/) instead of a library folder", **d)
    p.add_argument("--token", metavar="TOKEN",
                   help="the server's access token (default: $HVLAB_TOKEN)", **d)
    p.add_argument("--fingerprint", metavar="SHA256",
                   help="the server certificate's SHA-256 fingerprint, as it printed it "
                        "(default: trust the first one seen, then insist on it)", **d)


def add_parser(top: Any, sub: Any) -> None:
    serve = sub(top, "serve", "serve the library to hvlab consoles and hvctl on the network")
    add_serve_options(serve)


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    from hvlab.engine.remote import DEFAULT_PORT

    serve.add_argument("--listen", metavar="ADDRESS", default="0.0.0.0",
                       help="the address to listen on (default: every address of this "
                            "computer; 127.0.0.1 for this computer only)")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="N",
                       help=f"the TCP port (default {DEFAULT_PORT}; 0: any free port)")
    serve.add_argument("--speed", type=_speed, default=1.0, metavar="X",
                       help="simulated seconds per wall second the lab's clock runs at "
                            "(default 1; 0 leaves it stopped until a client starts it)")
    serve.add_argument("--name", metavar="NAME",
                       help="the name consoles show for this server (default: the "
                            "computer's name)")
    serve.add_argument("--config", metavar="DIR", type=Path,
                       help="where the tokens and the certificate are kept (default: "
                            "$HVLAB_CONFIG/server, else the user configuration folder)")
    serve.add_argument("--new-tokens", action="store_true",
                       help="make new access tokens (the old ones stop working)")
    serve.add_argument("--no-tls", action="store_true",
                       help="serve plain ws:// without TLS (only with --listen 127.0.0.1)")


def build_parser() -> argparse.ArgumentParser:
    """``hvlab-server``: ``hvctl serve`` as a program of its own."""
    from hvlab.engine.api import SEED, __version__, library_folder

    parser = argparse.ArgumentParser(
        prog="hvlab-server",
        description="Run an hvlab library headless and serve it to hvlab consoles (File > "
                    "Connect to Server) and hvctl --server on the network; the same as "
                    "hvctl serve. Ctrl+C stops it after the library's final save.")
    parser.add_argument("--library", metavar="DIR", type=library_folder,
                        help="library folder (default: $HVLAB_LIBRARY, else the user data "
                             "folder)")
    parser.add_argument("--seed", type=SEED, metavar="N",
                        help="seed of a library created by this command")
    parser.add_argument("--empty", action="store_true",
                        help="a library created by this command gets the host only, no VMs")
    parser.add_argument("--version", action="version", version=f"hvlab-server {__version__}")
    add_serve_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hvlab-server`` program; returns the exit code."""
    from hvlab.hvctl.output import for_terminal

    args = build_parser().parse_args(argv)
    try:
        return run_server(args)
    except HvError as err:
        print(for_terminal(str(err)), file=sys.stderr)
        return 1


def run_server(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM, then close the library (its last commit)."""
    from hvlab.engine.remote import Access, start_server

    if args.no_tls and args.listen not in ("127.0.0.1", "::1", "localhost"):
        raise HvError("Serving without TLS is allowed on this computer's loopback address "
                      "only.", ["Add --listen 127.0.0.1, or leave out --no-tls."])
    running = start_server(getattr(args, "library", None), host=args.listen, port=args.port,
                           config_dir=args.config, speed=args.speed, name=args.name,
                           tls=not args.no_tls, seed=getattr(args, "seed", None),
                           empty=getattr(args, "empty", False), new_tokens=args.new_tokens)
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set())
                for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        out = sys.stdout
        for message in running.messages:
            print(f"hvctl: warning: {message}", file=sys.stderr)
        address = running.url.replace("127.0.0.1", _shown(args.listen))
        out.write(f"hvlab server '{running.server.name}' is serving the library "
                  f"{running.library}\n  address: {address}\n")
        if running.fingerprint:
            out.write(f"  certificate SHA-256: {running.fingerprint}\n")
        if running.new_tokens:
            out.write("  New access tokens (shown this once; only their hashes are kept in "
                      f"{running.config_dir}):\n"
                      f"    read-write: {running.new_tokens[Access.READ_WRITE]}\n"
                      f"    read-only:  {running.new_tokens[Access.READ_ONLY]}\n")
        else:
            out.write(f"  Access tokens: as made on the first start ({running.config_dir}; "
                      "--new-tokens makes new ones)\n")
        out.write("Press Ctrl+C to stop.\n")
        out.flush()
        while not stop.wait(0.5):
            pass
    finally:
        running.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("hvlab server stopped; the library is saved.", file=sys.stderr)
    return 0


def _shown(listen: str) -> str:
    return listen if listen not in ("0.0.0.0", "::", "") else (os.uname().nodename or listen)


def connect(args: argparse.Namespace) -> RemoteLibrary:
    from hvlab.engine.remote import connect_library

    token = args.token if args.token is not None else os.environ.get("HVLAB_TOKEN")
    return connect_library(args.server, token, fingerprint=args.fingerprint)
