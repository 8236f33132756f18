"""The console's icons: SVG files in resources/icons, loaded lazily and cached.

``QIcon(path)`` on an SVG uses Qt's SVG icon engine, which renders at the size and device
pixel ratio asked for, so icons stay sharp on HiDPI screens without pre-rendered pixmaps.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from engine.resources import resources_dir

#: The VM list's decoration for each state (transitional states share one icon).
STATE_ICONS = {
    "Running": "vm-running",
    "Off": "vm-off",
    "Saved": "vm-saved",
    "Paused": "vm-paused",
}


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` (a null icon if the file is missing)."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def state_icon(state: str) -> QIcon:
    return icon(STATE_ICONS.get(state, "vm-busy"))
