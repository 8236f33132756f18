"""``hvctl``: the hvlab command line, a client of the same management API as the GUI.

Each run opens the library (taking its lock), runs one command through
:class:`~hvlab.engine.api.ManagementApi` of :func:`hvlab.engine.api.open_library` (which
commits before the command returns) and closes it.  Errors go to stderr in the words the GUI
shows (``str(HvError)``) with exit code 1; usage errors exit 2 with one line.  Ctrl+C asks
the command to stop at its next safe point (a long clock run stops after the step it is in,
saves, and exits 130); a second Ctrl+C ends the process at once, leaving the library as its
last commit left it.  Whatever a library or an argument holds is printed with its hidden
characters escaped.  No Qt is imported here or below.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from hvlab.engine.api import HvError
from hvlab.hvctl.output import for_terminal
from hvlab.hvctl.quick import parse_vm_list
from hvlab.hvctl.terminal import Interrupts, Printer, UsageError

if TYPE_CHECKING:
    from hvlab.engine.api import Library

__all__ = ["main"]


def _not_text(arg: str) -> bool:
    """An argument that is not UTF-8 reaches Python as lone surrogates."""
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in arg)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hvctl`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    for arg in arguments:
        if _not_text(arg):
            print(f"hvctl: error: the argument {for_terminal(repr(arg))} is not valid text "
                  "(UTF-8)", file=sys.stderr)
            return 2
    # `vm list` needs neither the whole command line nor the commands (hvctl/quick.py).
    args = parse_vm_list(arguments)
    if args is None:
        from hvlab.hvctl.parser import build_parser

        try:
            args = build_parser().parse_args(arguments)
        except SystemExit as stop:  # usage error (2) or --help (0)
            return stop.code if isinstance(stop.code, int) else 2
    out = Printer(bool(getattr(args, "json", False)), sys.stdout)
    try:
        with Interrupts() as interrupts:
            return _run(args, out, interrupts)
    except HvError as err:
        sys.stdout.flush()
        print(for_terminal(str(err)), file=sys.stderr)
        return 1
    except UsageError as err:
        print(f"hvctl: error: {for_terminal(str(err))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `hvctl vm list | head`
        return 0


def _run(args: argparse.Namespace, out: Printer, interrupts: Interrupts) -> int:
    if args.area == "completion":
        import shtab

        from hvlab.hvctl.parser import build_parser

        sys.stdout.write(shtab.complete(build_parser(), shell=args.shell))
        return 0
    remote = bool(getattr(args, "server", None))
    if (args.area, getattr(args, "command", None)) == ("vm", "list") and not remote \
            and _listed(args, out):
        return 0
    # Imported here: `vm list` above runs without the commands (and the engine they load).
    from hvlab.hvctl import commands

    if args.area in ("os", "profile"):  # catalogues: no library needed
        commands.catalogue(args, out)
        return 0
    if args.area == "exercise" and getattr(args, "server", None):
        raise UsageError("exercise check grades library folders; it does not take "
                                  "--server")
    if args.area == "exercise":  # opens each library it grades itself
        from hvlab.hvctl import exercise

        return exercise.run(args, out)
    if args.area == "serve":
        from hvlab.hvctl import serve

        return serve.run_server(args)
    if args.area == "lesson":  # a lesson plays on a lab of its own, in memory
        from hvlab.hvctl import lesson

        return lesson.run(args, out)
    if remote:
        return _run_remote(args, out, interrupts)
    from hvlab.engine.api import open_library

    library = open_library(getattr(args, "library", None), program="hvctl",
                           seed=getattr(args, "seed", None), empty=getattr(args, "empty", False),
                           profile=getattr(args, "profile", None))
    for message in library.messages:
        print(f"hvctl: warning: {for_terminal(message)}", file=sys.stderr)
    try:
        code = commands.run(library, args, out, interrupts)
    except BaseException:
        # The command's own error is the one to report; a failed final save is a warning.
        try:
            library.close()
        except HvError as err:
            print(f"hvctl: warning: {err.message}", file=sys.stderr)
        raise
    library.close()
    return code


def _run_remote(args: argparse.Namespace, out: Printer, interrupts: Interrupts) -> int:
    """The command on a server (``--server``): the same handlers, the calls carried over the
    network; the server commits."""
    from hvlab.hvctl import commands, serve

    for option in ("library", "seed", "empty"):
        if getattr(args, option, None) not in (None, False):
            raise UsageError(f"--{option} names a library folder; with --server the "
                                      "server's library is used")
    remote = serve.connect(args)
    try:
        # RemoteLibrary offers what the handlers use of a Library (api, events, close).
        return commands.run(cast("Library", remote), args, out, interrupts)
    finally:
        remote.close()


def _listed(args: argparse.Namespace, out: Printer) -> bool:
    """``vm list`` from the list the library's last close left, when it still holds
    (hvlab.engine.api.committed_vm_list): the same rows as opening the library, without
    rebuilding its lab.  False: open the library instead."""
    from hvlab.engine.api import committed_vm_list
    from hvlab.hvctl import output

    vms = committed_vm_list(getattr(args, "library", None), program="hvctl")
    if vms is None:
        return False
    out.emit([output.vm_json(v) for v in vms], output.vm_table(vms))
    return True


if __name__ == "__main__":  # pragma: no cover - python -m hvlab.hvctl
    sys.exit(main())
