"""Where the data files (host profiles, guest catalogue, icons) live.

resources/ is installed as the data of a package beside the engine package, so an installed
copy finds its files through importlib.resources wherever it was installed (a venv, pipx, a
PyInstaller bundle), and a checkout finds the folder itself through the editable install.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The package whose data is the resources/ folder: the engine package's sibling.
RESOURCES_PACKAGE = ".".join([*__name__.split(".")[:-2], "resources"])


def resources_dir() -> Path:
    """The resources folder: ``$HVLAB_RESOURCES`` if set, else the installed package's data."""
    override = os.environ.get("HVLAB_RESOURCES")
    if override:
        return Path(override)
    # Imported here: the console's first paint needs only the name of the folder.
    from importlib.resources import files

    folder = files(RESOURCES_PACKAGE)
    if not isinstance(folder, Path):
        raise RuntimeError(
            f"hvlab's resources ({RESOURCES_PACKAGE}) are not a folder on disk: {folder!r}; "
            "install hvlab as files (pip, pipx), not as a zip archive.")
    return folder
