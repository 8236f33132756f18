"""The console's icons: SVG files in resources/icons, loaded lazily and cached.

``QIcon(path)`` on an SVG uses Qt's SVG icon engine, which renders at the size and device
pixel ratio asked for, so icons stay sharp on HiDPI screens without pre-rendered pixmaps.
"""

from __future__ import annotations

import os
from functools import cache

from PySide6.QtGui import QIcon

from hvlab.engine.api import resources_dir

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

