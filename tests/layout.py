"""The import package each top-level folder of the repository installs as (pyproject.toml's
[tool.setuptools.package-dir]), for tests that name packages rather than import them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def load_script(path: str) -> ModuleType:
    """The script ``path`` (e.g. ``packaging/manpages.py``) as a module: packaging/ is not a
    package (its name is PyPA's ``packaging``)."""
    file = REPO / path
    name = "hvlab_script_" + file.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


#: Import package -> the folder it comes from, e.g. the console's package -> "gui".
PACKAGE_DIR: dict[str, str] = load_script("packaging/import_view.py").package_dir()

#: The folders that hold code (the others, resources/, hold data).
CODE_FOLDERS = ("engine", "gui", "hvctl")


def import_name(folder: str) -> str:
    """The import name of the top-level folder ``folder`` (``"gui"``: the console)."""
    return next(name for name, path in PACKAGE_DIR.items() if path == folder)


def module_name(path: str) -> str:
    """The import name of the source file ``path`` (``"gui/format.py"``)."""
    folder, _, rest = path.removesuffix(".py").removesuffix("/__init__").partition("/")
    return ".".join(filter(None, (import_name(folder), rest.replace("/", "."))))


def is_within(module: str, package: str) -> bool:
    """Whether ``module`` is ``package`` or one of its submodules."""
    return module == package or module.startswith(package + ".")
