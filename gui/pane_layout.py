"""The main window's pane sizes: the smallest a pane may be, and the sizes the user left,
remembered between runs.

Each splitter's state is kept with QSettings (on Linux ``~/.config/hvlab/hvlab.conf``) when
the window closes and restored when it is built, so the panes come back as the user left
them. A state that does not fit the splitter any more (a pane added since) is ignored and
the default sizes stay.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QFrame, QSplitter

SETTINGS_ORGANIZATION = "hvlab"
SETTINGS_APPLICATION = "hvlab"
GROUP = "mainWindow"


#: The Checkpoints pane shows at least this many rows, at any window size (1280×800 too).
CHECKPOINT_ROWS = 4


def rows_height(view: QFrame, rows: int) -> int:
    """The height ``rows`` rows of a list or tree take in ``view``, frame included."""
    row = max(view.fontMetrics().height(), 16) + 4
    return rows * row + 2 * view.frameWidth()


def user_settings() -> QSettings:
    """The user's settings; tests point QSettings' user scope at their tmp_path."""
    return QSettings(SETTINGS_ORGANIZATION, SETTINGS_APPLICATION)


def restore_panes(splitters: Mapping[str, QSplitter]) -> None:
    settings = user_settings()
    for key, splitter in splitters.items():
        state = settings.value(f"{GROUP}/{key}")
        if isinstance(state, QByteArray) and not state.isEmpty():
            splitter.restoreState(state)


def save_panes(splitters: Mapping[str, QSplitter]) -> None:
    settings = user_settings()
    for key, splitter in splitters.items():
        settings.setValue(f"{GROUP}/{key}", splitter.saveState())
    settings.sync()
