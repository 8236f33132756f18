"""The engine never imports Qt, pyqtgraph or the GUI (engine/ is pure Python).

Checked three ways: statically (every import statement under engine/), dynamically (import
every engine module in a fresh interpreter and look at sys.modules), and, in the engine-only
venv that `make test` builds, by proving PySide6 cannot be imported at all.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.layout import import_name, is_within

REPO = Path(__file__).resolve().parents[2]
ENGINE = REPO / "engine"
ENGINE_PACKAGE = import_name("engine")

FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "pytestqt", import_name("gui"),
             import_name("hvctl"))


def _is_forbidden(module: str) -> bool:
    return any(is_within(module, package) for package in FORBIDDEN)


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """Absolute module names an AST imports, with line numbers (relative imports stay inside)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and _called_name(node) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _forbidden_imports(root: Path) -> list[str]:
    problems: list[str] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        problems.extend(
            f"{path.relative_to(root.parent)}:{line}: imports {name}"
            for line, name in _imported_names(tree)
            if _is_forbidden(name)
        )
    return problems


def test_engine_sources_exist() -> None:
    # Guards the scans below against passing vacuously on a moved or empty package.
    assert (ENGINE / "__init__.py").is_file()


def test_no_engine_module_imports_qt_or_gui() -> None:
    assert _forbidden_imports(ENGINE) == []


def test_scan_catches_every_forbidden_form(tmp_path: Path) -> None:
    package = tmp_path / "engine"
    package.mkdir()
    (package / "ok.py").write_text("import numpy\nfrom . import gui\nfrom .gui import x\n")
    (package / "bad.py").write_text(
        "import PySide6.QtCore\n"
        "from shiboken6 import isValid\n"
        "def f():\n"
        "    import pyqtgraph as pg\n"
        "    from hvlab.gui.app import main\n"
        "    importlib.import_module('pytestqt.qtbot')\n"
    )

    assert _forbidden_imports(package) == [
        "engine/bad.py:1: imports PySide6.QtCore",
        "engine/bad.py:2: imports shiboken6",
        "engine/bad.py:4: imports pyqtgraph",
        "engine/bad.py:5: imports hvlab.gui.app",
        "engine/bad.py:6: imports pytestqt.qtbot",
    ]


# Runs in a fresh interpreter: the test process itself may already hold PySide6 (pytest-qt).
_IMPORT_ALL_ENGINE_MODULES = f"""
import importlib, json, pkgutil, sys
engine = importlib.import_module({ENGINE_PACKAGE!r})
names = [engine.__name__] + [
    info.name
    for info in pkgutil.walk_packages(engine.__path__, engine.__name__ + ".")
    if info.name.rsplit(".", 1)[-1] != "__main__"  # importing it would run the CLI
]
for name in names:
    importlib.import_module(name)
print(json.dumps({{"imported": names, "loaded": sorted(sys.modules)}}))
"""


def test_importing_every_engine_module_loads_no_qt_or_gui() -> None:
    # -c puts the working directory first on sys.path: the engine of this source tree.
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL_ENGINE_MODULES],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])

    assert ENGINE_PACKAGE in report["imported"]
    assert [name for name in report["loaded"] if _is_forbidden(name)] == []


@pytest.mark.skipif(
    os.environ.get("HVLAB_EXPECT_NO_QT") != "1",
    reason="only in the engine-only venv (make test sets HVLAB_EXPECT_NO_QT=1 there)",
)
@pytest.mark.parametrize("module", ["PySide6", "shiboken6", "pyqtgraph", "pytestqt"])
def test_qt_is_not_importable_in_engine_venv(module: str) -> None:
    with pytest.raises(ImportError):
        importlib.import_module(module)
