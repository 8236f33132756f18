"""Lists the packages to install: each folder that pyproject.toml's
[tool.setuptools.package-dir] maps, and every folder below it.

pyproject.toml alone cannot say this: package discovery (``packages.find``) names packages
after their folders, and the folders are installed under other import names.
"""

import tomllib
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent


def mapped_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = []
    for name, folder in config["tool"]["setuptools"]["package-dir"].items():
        top = ROOT / folder
        names.append(name)
        # Every folder below, with or without __init__.py: a data folder (resources/icons)
        # is a namespace package to setuptools, which warns about one not listed.
        names.extend(
            ".".join((name, *folder.relative_to(top).parts))
            for folder in sorted(top.rglob("*"))
            if folder.is_dir() and "__pycache__" not in folder.parts
        )
    return names


setup(packages=mapped_packages())
