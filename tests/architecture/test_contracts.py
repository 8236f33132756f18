"""The import contracts in pyproject.toml (run by `make lint`) hold, and they fail when a
forbidden import is added: checked on a copy of the sources with one bad line added."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.layout import CODE_FOLDERS, import_name, is_within, module_name

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_sources(to: Path) -> Path:
    """The code folders laid out as their import packages, as an installed copy has them."""
    for folder in CODE_FOLDERS:
        shutil.copytree(REPO / folder, to.joinpath(*import_name(folder).split(".")),
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "pyproject.toml", to / "pyproject.toml")
    return to


def _lint(folder: Path) -> subprocess.CompletedProcess[str]:
    # The copy's packages come first on sys.path (lint-imports adds the working directory).
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=folder, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_sources(tmp_path_factory.mktemp("sources"))


def test_the_contracts_hold(sources: Path) -> None:
    result = _lint(sources)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


#: (module, the line added, the contract it must break): one of each kind of layer crossing.
FORBIDDEN = [
    ("gui/format.py", "from hvlab.engine.vmms.lab import Lab",
     "Clients (the console, hvctl) use the engine through hvlab.engine.api only"),
    ("hvctl/output.py", "from hvlab.engine.api.management import ManagementApi",
     "Clients (the console, hvctl) use the engine through hvlab.engine.api only"),
    ("engine/sim/memory.py", "import PySide6.QtCore",
     "The engine imports neither Qt nor its clients"),
    ("engine/library/lock.py", "from hvlab.engine.api import ManagementApi",
     "The library stores a lab and knows nothing of the management API"),
    ("hvctl/commands.py", "import hvlab.gui.format", "The console and hvctl are separate clients"),
    ("engine/sim/scheduler.py", "from hvlab.engine.vmms import power",
     "The simulation core never imports the management service"),
    ("engine/vmms/power.py", "from hvlab.engine.library import lock",
     "The engine's layers: API, library, management service, simulation core"),
    ("engine/config.py", "from hvlab.engine.vmms import rules",
     "The engine's shared models sit under every layer"),
    ("engine/lessons/grading.py", "from hvlab.engine.vmms.host import Host",
     "Lessons drive the lab through hvlab.engine.api only, like any client"),
]


def test_each_forbidden_import_is_reported(tmp_path: Path) -> None:
    copy = _copy_sources(tmp_path)
    for module, line, _ in FORBIDDEN:
        target = copy.joinpath(*module_name(module).split(".")).with_suffix(".py")
        target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n",
                          encoding="utf-8")
    result = _lint(copy)
    assert result.returncode != 0
    report = result.stdout
    for module, line, contract in FORBIDDEN:
        assert f"{contract} BROKEN" in report, report
        importer = module_name(module)
        imported = line.split()[1]
        if not any(is_within(imported, import_name(f)) for f in CODE_FOLDERS):
            imported = imported.split(".")[0]  # outside packages are reported by their root
        assert f"{importer} -> {imported}" in report, (module, line, report)


def test_the_lessons_contract_names_every_engine_module_but_the_api() -> None:
    """Import-linter skips a source inside its forbidden package, so the lessons' contract
    lists the engine's modules one by one; a module added to the engine must join it."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c.get("source_modules") == ["hvlab.engine.lessons"])
    engine = REPO / "engine"
    modules = {p.stem if p.is_file() else p.name for p in engine.iterdir()
               if (p.suffix == ".py" and p.stem != "__init__")
               or (p.is_dir() and (p / "__init__.py").is_file())}
    expected = {f"hvlab.engine.{m}" for m in modules - {"api", "lessons"}}
    assert set(contract["forbidden_modules"]) == expected
