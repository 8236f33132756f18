"""Where the data files (host profiles, guest catalogue) live."""

from __future__ import annotations

import os
from pathlib import Path


def resources_dir() -> Path:
    """The ``resources/`` folder: ``$HVLAB_RESOURCES`` or the one beside the source tree."""
    override = os.environ.get("HVLAB_RESOURCES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "resources"
