"""The console's icons (SVG files in resources/icons, loaded lazily and cached), and the
QActions that show them.

``QIcon(path)`` on an SVG uses Qt's SVG icon engine, which renders at the size and device
pixel ratio asked for, so icons stay sharp on HiDPI screens without pre-rendered pixmaps.
"""

from __future__ import annotations

import os
from functools import cache

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QIcon, QKeySequence

from engine.api import resources_dir
from gui import ids

#: The VM list's decoration for each state (transitional states share one icon).
STATE_ICONS = {
    "Running": "vm-running",
    "Off": "vm-off",
    "Saved": "vm-saved",
    "Paused": "vm-paused",
}


@cache
def _icons_dir() -> str:
    return str(resources_dir() / "icons")


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` (a null icon if the file is missing)."""
    path = os.path.join(_icons_dir(), f"{name}.svg")
    return QIcon(path) if os.path.exists(path) else QIcon()


def state_icon(state: str) -> QIcon:
    return icon(STATE_ICONS.get(state, "vm-busy"))


def named_action(parent: QObject, name: ids.UiName, text: str, icon_name: str, tip: str = "",
                 *, shortcut: str = "") -> QAction:
    """A QAction as menus, toolbars and the Actions pane show it: its icon, its automation
    name (:mod:`gui.ids`), its shortcut, and ``tip`` as status tip and tooltip (the tooltip
    with the shortcut). Buttons show the text with its "…" and without the mnemonic."""
    action = QAction(icon(icon_name or "missing"), text, parent)
    action.setIconText(text.replace("&", ""))
    ids.apply(action, name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setToolTip(tip + (f" ({shortcut})" if shortcut else ""))
        action.setStatusTip(tip)
    return action
