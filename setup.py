"""Lists the packages to install: each folder that pyproject.toml's
[tool.setuptools.package-dir] maps, and every package below it.

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
        names.extend(
            ".".join((name, *init.parent.relative_to(top).parts))
            for init in sorted(top.rglob("__init__.py"))
            if init.parent != top and "__pycache__" not in init.parts
        )
    return names


setup(packages=mapped_packages())
