"""Help ▸ About names the version (engine.__version__, the one source)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from hvlab.engine.api import __version__
from hvlab.gui import ids
from hvlab.gui.main_window import MainWindow


def test_help_about_shows_the_version(window: MainWindow) -> None:
    window.help.about_action.trigger()
    box = window.findChild(QMessageBox, ids.ABOUT_DIALOG.object_name)
    assert box is not None
    assert f"hvlab {__version__}" in box.text()
    box.close()
