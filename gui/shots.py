"""What the documentation screenshot scripts share: the command line, the application,
letting Qt settle, saving a widget's picture.

The scripts are ``python -m hvlab.gui.screenshots DIR`` and the ``screenshots``
modules of ``hvlab.gui.graphs``, ``hvlab.gui.architecture``, ``hvlab.gui.disks``,
``hvlab.gui.settings`` and ``hvlab.gui.lessons``; run them under Xvfb (docs/development.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from hvlab.gui.theme import Theme, apply_theme


def start(argv: list[str] | None, description: str | None) -> tuple[QApplication, Path]:
    """Parse ``OUT`` (created if missing); the application, in the light theme."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("out", type=Path, help="the folder the pictures are written to")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app, Theme.LIGHT)
    return app, out


def settle(app: QApplication, rounds: int = 8) -> None:
    """Let layouts, posted events and repaints run."""
    for _ in range(rounds):
        app.processEvents()


def save(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(path)
