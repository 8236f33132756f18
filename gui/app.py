"""Entry point of the `hvlab` desktop console.

A placeholder until the real console lands: it accepts the command line the console will
accept and shows an empty main window with the names GUI automation looks for.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QMainWindow

WINDOW_TITLE = "Hyper-V Manager — hvlab"
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
        help="realtime: simulated time follows the wall clock; manual: only tests advance it",
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, metavar="X", help="simulated seconds per wall second"
    )
    parser.add_argument("--empty", action="store_true", help="start with a host and no VMs")
    return parser


def create_main_window() -> QMainWindow:
    window = QMainWindow()
    window.setObjectName(MAIN_WINDOW_NAME)
    window.setAccessibleName(MAIN_WINDOW_ACCESSIBLE_NAME)
    window.setWindowTitle(WINDOW_TITLE)
    window.resize(1024, 700)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    build_parser().parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = create_main_window()
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
