"""Help ▸ Help Topics and Help ▸ About hvlab: the keyboard shortcuts, where the user guide is,
and what hvlab is."""

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
            "Keyboard shortcuts and where the user guide is.", shortcut="F1",
            triggered=self.show_help)
        self.about_action = named_action(window, ids.ACT_ABOUT, "&About hvlab", "hvlab",
                                         "What hvlab is.", triggered=self.show_about)

    def show_help(self) -> None:
        dialogs.information(
            self._window, "hvlab Help",
            "<b>Keyboard shortcuts</b>",
            "Start Ctrl+S · Turn Off Ctrl+T · Shut Down Ctrl+D · Save Ctrl+Shift+S · "
            "Pause Ctrl+P · Resume Ctrl+R · Reset Ctrl+E · Connect Ctrl+Enter · Rename F2 · "
            "Delete Del · Find Ctrl+F · Refresh F5\n\n"
            "Clock: Pause Ctrl+0 · 1x Ctrl+1 · 10x Ctrl+2 · 60x Ctrl+3 · Step F8 · "
            "Step 1 minute Shift+F8\n\nThe user guide is docs/console.md.")

    def show_about(self) -> None:
        dialogs.information(
            self._window, "About hvlab",
            f"<b>hvlab {__version__}</b> — Hyper-V Manager for a simulated lab",
            "A console in the style of Hyper-V Manager over a simulated Windows Server "
            "2008-era Hyper-V host, for learning and demonstrations.")
