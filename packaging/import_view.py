"""Lay out the installed import packages as symlinks to the repository's folders.

``python packaging/import_view.py DIR`` makes DIR hold each package of pyproject.toml's
[tool.setuptools.package-dir] at its import path (``hvlab/engine -> engine/`` ...), and
prints the names of those that hold code.  mypy reads DIR as its MYPYPATH: it finds modules
only on disk and cannot follow the import hook of setuptools' editable install, which is how
the venvs see the mapped names.  The links are to folders, so new modules appear at once.
"""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def package_dir() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapping: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    return mapping


def make_view(view: Path) -> list[str]:
    """(Re)create ``view``; returns the import names of the packages that hold code."""
    if view.is_symlink() or view.is_file():
        view.unlink()
    elif view.exists():
        shutil.rmtree(view)
    code = []
    for name, folder in package_dir().items():
        link = view.joinpath(*name.split("."))
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(ROOT / folder, link.parent), target_is_directory=True)
        if any(path.name != "__init__.py" for path in (ROOT / folder).glob("*.py")):
            code.append(name)
    return code


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python packaging/import_view.py DIR")
    print(" ".join(make_view(Path(sys.argv[1]))))
