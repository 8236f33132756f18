"""Help ▸ About names the version (engine.__version__, the one source)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from engine.api import __version__
from gui import ids
from gui.main_window import MainWindow


def test_help_about_shows_the_version(window: MainWindow) -> None:
    window.about_action.trigger()
    box = window.findChild(QMessageBox, ids.ABOUT_DIALOG.object_name)
    assert box is not None
    assert f"hvlab {__version__}" in box.text()
    box.close()
