"""Entry point of the `hvlab` desktop console.

``open_lab`` is the one place that decides which lab the console shows; everything else
receives the :class:`~engine.api.ManagementApi` it returns.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from engine.api import ManagementApi
from engine.demo import populate_demo
from gui.bridge import Bridge
from gui.main_window import WINDOW_TITLE, MainWindow
from gui.theme import Theme, apply_theme

__all__ = ["WINDOW_TITLE", "build_parser", "create_main_window", "main", "open_lab"]

MAIN_WINDOW_NAME = "mainWindow"
MAIN_WINDOW_ACCESSIBLE_NAME = "Hyper-V Manager"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hvlab", description="Hyper-V Manager for a simulated lab."
    )
    parser.add_argument(
        "--library",
        metavar="DIR",
        help="lab library folder (default: $HVLAB_LIBRARY, else the user data folder)",
    )
    parser.add_argument("--seed", type=int, metavar="N", help="seed for a reproducible lab")
    parser.add_argument(
        "--clock",
        choices=("manual", "realtime"),
        default="realtime",
        help="realtime: simulated time follows the wall clock; manual: it moves only when "
        "stepped (Clock ▸ Step, F10)",
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, metavar="X", help="simulated seconds per wall second"
    )
    parser.add_argument("--empty", action="store_true", help="start with a host and no VMs")
    parser.add_argument(
        "--theme", choices=[t.value for t in Theme], default=Theme.SYSTEM.value,
        help="colour theme (default: follow the desktop)",
    )
    # For tests/bench/gui_refresh.py: print the wall time of the first paint, then exit.
    parser.add_argument("--probe-first-paint", action="store_true", help=argparse.SUPPRESS)
    return parser


def open_lab(args: argparse.Namespace) -> ManagementApi:
    """The lab this console shows.

    For now an in-memory lab: the demo lab LAB-HOST-01 (or, with ``--empty``, the host
    without VMs), built from ``--seed``. The library (``--library DIR``, issue 3) plugs in
    here and nowhere else.
    """
    api = ManagementApi(seed=args.seed if args.seed is not None else 0)
    populate_demo(api, empty=bool(args.empty))
    return api


def _library_note(args: argparse.Namespace) -> str:
    if args.library or os.environ.get("HVLAB_LIBRARY"):
        return ("Library folders are not available yet: this lab lives in memory and is "
                "lost when hvlab closes.")
    return ""


def create_main_window(api: ManagementApi | None = None, *, clock: str = "manual",
                       speed: float = 1.0, theme: Theme | None = None,
                       note: str = "") -> MainWindow:
    """A main window over ``api`` (default: the demo lab), with its own bridge."""
    if api is None:
        api = ManagementApi(seed=0)
        populate_demo(api)
    bridge = Bridge(api, clock=clock, speed=speed)
    window = MainWindow(bridge, theme=theme or Theme.SYSTEM, note=note)
    bridge.setParent(window)
    return window


class _FirstPaintProbe(QObject):
    """Prints the wall time when the VM list has painted once, then quits."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # Runs after this paint event has been handled.
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        print(f"FIRST_PAINT {time.time():.6f}", flush=True)
        app = QApplication.instance()
        if app is not None:
            app.exit(0)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("hvlab")
    app.setApplicationDisplayName("Hyper-V Manager")
    theme = Theme(args.theme)
    apply_theme(app, theme)
    api = open_lab(args)
    window = create_main_window(api, clock=args.clock, speed=args.speed, theme=theme,
                                note=_library_note(args))
    probe = None
    if args.probe_first_paint:
        probe = _FirstPaintProbe(window)
        window.vm_list.viewport().installEventFilter(probe)
    window.show()
    code = app.exec()
    window.bridge.close()
    window.close()
    window.deleteLater()
    return code


if __name__ == "__main__":
    sys.exit(main())
