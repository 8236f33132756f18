"""``hvctl``: the hvlab command line, a client of the same management API as the GUI.

Each run opens the library (taking its lock), runs one command through
:class:`~engine.api.ManagementApi` of :func:`engine.api.open_library` (which commits
before the command returns) and closes it.  Errors go to stderr in the words the GUI shows
(``str(HvError)``) with exit code 1; usage errors exit 2.  No Qt is imported here or below.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from engine.api import HvError
from hvctl import commands
from hvctl.parser import build_parser

__all__ = ["main"]


class _Printer:
    def __init__(self, as_json: bool, stream: TextIO) -> None:
        self.as_json = as_json
        self.stream = stream

    def emit(self, data: Any, text: str | None) -> None:
        if self.as_json:
            self.stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        elif text is not None:
            self.stream.write(text + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hvctl`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # usage error (2) or --help (0)
        return stop.code if isinstance(stop.code, int) else 2
    out = _Printer(bool(getattr(args, "json", False)), sys.stdout)
    try:
        return _run(args, out)
    except HvError as err:
        sys.stdout.flush()
        print(str(err), file=sys.stderr)
        return 1
    except commands.UsageError as err:
        print(f"hvctl: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `hvctl vm list | head`
        return 0


def _run(args: argparse.Namespace, out: _Printer) -> int:
    if args.area == "completion":
        import shtab

        sys.stdout.write(shtab.complete(build_parser(), shell=args.shell))
        return 0
    if args.area in ("os", "profile"):  # catalogues: no library needed
        commands.catalogue(args, out)
        return 0
    from engine.api import open_library

    library = open_library(getattr(args, "library", None), program="hvctl",
                           seed=getattr(args, "seed", None), empty=getattr(args, "empty", False))
    for message in library.messages:
        print(f"hvctl: warning: {message}", file=sys.stderr)
    try:
        code = commands.run(library, args, out)
    except BaseException:
        library.close()
        raise
    library.close()
    return code


if __name__ == "__main__":  # pragma: no cover - python -m hvctl
    sys.exit(main())
