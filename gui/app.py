"""Entry point of the `hvlab` desktop console.

``open_lab`` is the one place that decides which lab the console shows; everything else
receives the :class:`~hvlab.engine.api.ManagementApi` it returns.

Start-up order is chosen for time to first paint (<= 0.5 s, docs/development.md): the main
window is built and painted first, without the engine; the lab (numpy, the engine, the demo
lab's first 90 simulated seconds) is loaded right after that first paint, and the window
fills in. pyqtgraph is not imported at all until a graph is shown.

The lab is opened on its own engine thread (:class:`~hvlab.engine.api.EngineThread`), which
then owns the engine and the library: the bridge reaches it through an API proxy, so steps,
saves and guest writes never hold up painting or input.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from hvlab.engine.api import MAX_CLOCK_SPEED, SEED, HvError, Number, __version__, library_folder
from hvlab.gui.main_window import APP_DISPLAY_NAME, WINDOW_TITLE, MainWindow
from hvlab.gui.theme import Theme, apply_theme

if TYPE_CHECKING:
    from hvlab.engine.api import EngineThread, InMemory, Library, ManagementApi
    from hvlab.gui.bridge import Bridge

__all__ = ["APP_DISPLAY_NAME", "WINDOW_TITLE", "build_parser", "create_main_window", "main",
           "open_engine", "open_lab", "open_session"]

CLOCK_SPEED = Number("The clock speed", 0, MAX_CLOCK_SPEED,
                     why="simulated seconds per wall second; faster leaves the window no time "
                         "to draw", integer=False)
#: The desktop entry and AppStream id (packaging/org.hvlab.hvlab.desktop).
DESKTOP_ID = "org.hvlab.hvlab"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hvlab", description="Hyper-V Manager for a simulated lab."
    )
    parser.add_argument(
        "--library",
        metavar="DIR",
        type=library_folder,
        help="lab library folder (default: $HVLAB_LIBRARY, else the user data folder)",
    )
    parser.add_argument("--version", action="version", version=f"hvlab {__version__}")
    parser.add_argument("--seed", type=SEED, metavar="N", help="seed for a reproducible lab")
    parser.add_argument(
        "--clock",
        choices=("manual", "realtime"),
        default="realtime",
        help="realtime: simulated time follows the wall clock; manual: it moves only when "
        "stepped (Clock ▸ Step, F8)",
    )
    parser.add_argument(
        "--speed", type=CLOCK_SPEED, default=1.0, metavar="X",
        help=f"simulated seconds per wall second (0 to {MAX_CLOCK_SPEED})"
    )
    parser.add_argument("--empty", action="store_true",
                        help="a new library gets a host and no VMs")
    parser.add_argument("--profile", metavar="ID",
                        help="the Hyper-V release of a new lab's host, with options joined by "
                        "+ (e.g. ws2008, ws2008+kb956710; see hvctl profile list)")
    parser.add_argument(
        "--in-memory", action="store_true",
        help="a throwaway lab that is not saved (demos, tests): no library is opened",
    )
    parser.add_argument(
        "--demo", choices=("contention", "cluster"),
        help="open a ready-made scenario instead of the demo lab: contention = three "
        "CPU burners weighted 100/200/400 sharing 2 logical processors; cluster = a "
        "two-node failover cluster with three highly available VMs",
    )
    parser.add_argument(
        "--theme", choices=[t.value for t in Theme], default=Theme.SYSTEM.value,
        help="colour theme (default: follow the desktop)",
    )
    # For tests/bench/gui_refresh.py: print the wall times of the first paint and of the
    # first paint with the lab shown, then exit.
    parser.add_argument("--probe-first-paint", action="store_true", help=argparse.SUPPRESS)
    return parser


def open_lab(args: argparse.Namespace) -> ManagementApi:
    """The lab this console shows (see :func:`open_session`), for callers that need only the
    API (screenshots, tests)."""
    return open_session(args)[0]


def open_session(args: argparse.Namespace) -> tuple[ManagementApi, Library | None]:
    """The lab this console shows, and its library: the library (``--library DIR``, else
    ``$HVLAB_LIBRARY``, else the user data folder; a new one gets the demo lab, or the host
    only with ``--empty``), or with ``--in-memory`` / ``--demo`` a throwaway lab that is not
    saved (no library).

    A library that another process holds raises its HvError ("The library … is in use by
    … (process N)."); the caller shows it.
    """
    from hvlab.engine.api import ManagementApi, populate_demo

    seed = args.seed if args.seed is not None else 0
    if getattr(args, "demo", None) == "contention":
        from hvlab.gui.graphs.demos import contention_lab

        return contention_lab(seed), None
    if getattr(args, "demo", None) == "cluster":
        from hvlab.engine.api import build_lab, load_lab_definition

        api = ManagementApi(seed=seed)
        build_lab(api, load_lab_definition("cluster"))
        return api, None
    if getattr(args, "in_memory", False):
        api = ManagementApi(seed=seed)
        populate_demo(api, empty=bool(args.empty), profile=getattr(args, "profile", None))
        return api, None
    from hvlab.engine.api import open_library

    library = open_library(args.library, program="hvlab", seed=args.seed,
                           empty=bool(args.empty), profile=getattr(args, "profile", None))
    return library.api, library


def open_engine(args: argparse.Namespace) -> tuple[EngineThread, list[str]]:
    """The engine thread that owns the lab of :func:`open_session` (opened on that thread:
    the library's files and event log belong to it), and what opening the library repaired
    or could not load.  Raises the HvError of :func:`open_session`."""
    from hvlab.engine.api import EngineThread, InMemory

    messages: list[str] = []

    def open_owner() -> Library | InMemory:
        api, library = open_session(args)
        if library is None:
            return InMemory(api)
        messages.extend(library.messages)
        return library

    return EngineThread(open_owner), messages


def _library_note(args: argparse.Namespace) -> str:
    if getattr(args, "in_memory", False) or getattr(args, "demo", None):
        return "In-memory lab: nothing is saved when hvlab closes."
    return ""


def create_main_window(api: ManagementApi | None = None, *, clock: str = "manual",
                       speed: float = 1.0, theme: Theme | None = None,
                       note: str = "") -> MainWindow:
    """A main window over ``api`` (default: an in-memory demo lab), with its own bridge."""
    if api is None:
        api = open_lab(build_parser().parse_args(["--in-memory"]))
    from hvlab.gui.bridge import Bridge

    bridge = Bridge(api, clock=clock, speed=speed)
    window = MainWindow(bridge, theme=theme or Theme.SYSTEM, note=note)
    bridge.setParent(window)
    return window


class _AfterPaint(QObject):
    """Calls ``callback`` once, just after ``widget`` has handled its next paint event."""

    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget and event.type() == QEvent.Type.Paint:
            self._widget.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)
        return False


def clock_lag_text(bridge: Bridge) -> str:
    """The status bar's words when the clock cannot keep its speed (else empty)."""
    if bridge.keeping_up or not bridge.running:
        return ""
    return (f"The simulated clock cannot keep {bridge.speed:g}x with this lab: it is running at "
            f"about {bridge.achieved_speed:.0f}x.")


def _show_clock_lag(window: MainWindow, bridge: Bridge) -> None:
    text = clock_lag_text(bridge)
    if text:
        window.statusBar().showMessage(text)
    elif window.statusBar().currentMessage().startswith("The simulated clock cannot keep"):
        window.statusBar().clearMessage()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("hvlab")
    app.setApplicationVersion(__version__)
    # The desktop adds " — <display name>" to every window title (Qt's formatWindowTitle), so
    # the display name is the app's own and no title repeats it.
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    # The installed desktop entry (packaging/): lets a Wayland shell match windows to it.
    app.setDesktopFileName(DESKTOP_ID)
    theme = Theme(args.theme)
    apply_theme(app, theme)
    window = MainWindow(theme=theme, note=_library_note(args))
    probe = args.probe_first_paint
    from hvlab.gui.servers import ServerConsoles

    servers = ServerConsoles(window)  # File ▸ Connect to Server…
    from hvlab.gui.new_lab import NewLabs

    new_labs = NewLabs(window)  # File ▸ New Lab…

    def lab_painted() -> None:
        print(f"LAB_PAINT {time.time():.6f} {time.process_time():.6f}", flush=True)
        app.exit(0)

    def load_lab() -> None:
        if probe:
            print(f"FIRST_PAINT {time.time():.6f} {time.process_time():.6f}", flush=True)
        try:
            engine, messages = open_engine(args)
        except HvError as err:
            print(str(err), file=sys.stderr)
            QMessageBox.critical(window, "Hyper-V Manager", err.text)
            app.exit(1)
            return
        from hvlab.gui.bridge import Bridge

        bridge = Bridge(engine=engine, clock=args.clock, speed=args.speed)
        bridge.setParent(window)
        window.attach(bridge)
        bridge.clock_changed.connect(lambda: _show_clock_lag(window, bridge))
        if messages:
            # What opening the library repaired or could not load.
            window.statusBar().showMessage(" ".join(messages), 30000)
        if probe:
            _AfterPaint(window.vm_list.viewport(), lab_painted)

    _AfterPaint(window.vm_list.viewport(), load_lab)
    window.show()
    code = app.exec()
    servers.close_all()
    new_labs.close_all()
    if window.attached:
        # Stops the clock, then the final save and the release of the library lock (in
        # memory, only the files), on the engine thread.
        window.bridge.close()
    window.close()
    window.deleteLater()
    return code


if __name__ == "__main__":
    sys.exit(main())
