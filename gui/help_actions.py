"""Help ▸ Help Topics (F1: the user guide inside the app, at the page about the window in
front) and Help ▸ About hvlab."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from hvlab.engine.api import __version__
from hvlab.gui import dialogs, ids
from hvlab.gui.bars import named_action


class HelpActions(QObject):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.help_action = named_action(
            window, ids.ACT_HELP, "&Help Topics", "help",
            "The user guide, at the page about the window in front.", shortcut="F1",
            triggered=self.show_help)
        # F1 in a dialog (whose window has no Help action) opens help about that dialog.
        from hvlab.gui.lessons.help import DialogHelpKey

        DialogHelpKey.install()
        self.about_action = named_action(window, ids.ACT_ABOUT, "&About hvlab", "hvlab",
                                         "What hvlab is.", triggered=self.show_about)

    def show_help(self) -> None:
        from hvlab.gui.lessons.help import show_help

        show_help()

    def show_about(self) -> None:
        dialogs.information(
            self._window, "About hvlab",
            f"<b>hvlab {__version__}</b> — Hyper-V Manager for a simulated lab",
            "A console in the style of Hyper-V Manager over a simulated Windows Server "
            "2008-era Hyper-V host, for learning and demonstrations.")
