"""The options every ``hvctl`` command takes, and a parser that knows ``vm list`` only.

``hvctl vm list`` is the command scripts run most, and it only reads: :func:`parse_vm_list`
recognises it with a parser of the common options and that one command, so the whole
command line (whose option ranges load the engine's configuration and host profiles) is
built only for the other commands.  It accepts a subset of what the full parser accepts and
gives the same namespace; anything else (another command, ``--help``, a bad value) returns
None and the full parser takes the command line, with its own messages.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

from hvlab.engine.api import SEED, library_folder
from hvlab.hvctl import serve


def common(suppress: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the command (``hvctl --json vm list`` or
    ``hvctl vm list --json``)."""
    p = argparse.ArgumentParser(add_help=False)
    d: dict[str, Any] = {"default": argparse.SUPPRESS} if suppress else {}
    p.add_argument("--library", metavar="DIR", type=library_folder,
                   help="library folder (default: $HVLAB_LIBRARY, else the user data folder)",
                   **d)
    p.add_argument("--json", action="store_true", help="print stable JSON (docs/cli.md)", **d)
    p.add_argument("--seed", type=SEED, metavar="N",
                   help="seed of a library created by this command", **d)
    p.add_argument("--empty", action="store_true",
                   help="a library created by this command gets the host only, no VMs", **d)
    serve.add_common(p, d)
    if not suppress:  # before the command only: `host set --profile` changes a host's
        p.add_argument("--profile", metavar="ID",
                       help="host profile of a library created by this command, with "
                       "options joined by + (e.g. ws2008+kb956710; see `profile list`)")
    return p


class _NotVmList(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """Never prints or exits: whatever it cannot take is the full parser's to explain."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise _NotVmList(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _NotVmList(message)


def parse_vm_list(arguments: Sequence[str]) -> argparse.Namespace | None:
    """The namespace the full parser gives ``arguments`` when they are ``vm list`` with
    common options; None for anything else."""
    leaf = common(suppress=True)
    parser = _Parser(prog="hvctl", parents=[common(suppress=False)])
    top: Any = parser.add_subparsers(dest="area", required=True)
    vm: Any = top.add_parser("vm", parents=[leaf]).add_subparsers(dest="command", required=True)
    vm.add_parser("list", parents=[leaf])
    try:
        return parser.parse_args(list(arguments))
    except _NotVmList:
        return None
