"""One version, shown everywhere: engine.__version__ is what pyproject.toml installs, what
``hvctl --version``, ``hvlab --version`` and Help ▸ About (tests/gui/test_about.py) say,
and the newest release of the changelog and of the AppStream metadata."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import version

import pytest

from hvlab.engine.api import __version__
from hvlab.gui.app import build_parser
from tests.e2e.hvctl import COMMAND, env
from tests.layout import REPO

PACKAGING = REPO / "packaging"


def test_the_installed_distribution_has_the_engine_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert version("hvlab") == __version__


def test_hvctl_and_hvlab_print_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    result = subprocess.run([*COMMAND, "--version"], capture_output=True, text=True,
                            env=env(), timeout=60, check=True)
    assert result.stdout == f"hvctl (hvlab) {__version__}\n"
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"hvlab {__version__}\n"


def test_changelog_and_metainfo_name_the_same_releases_newest_first() -> None:
    changelog = re.findall(r"^## \[(\d[^\]]*)\] - (\d{4}-\d{2}-\d{2})$",
                           (PACKAGING / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    metainfo = ET.parse(PACKAGING / "org.hvlab.hvlab.metainfo.xml").getroot()
    releases = [(r.get("version"), r.get("date")) for r in metainfo.iter("release")]
    assert releases == changelog
    assert changelog[0][0] == __version__
    assert "## [Unreleased]" in (PACKAGING / "CHANGELOG.md").read_text(encoding="utf-8")


def test_python_m_hvctl_prints_the_version() -> None:
    result = subprocess.run([sys.executable, "-m", "hvlab.hvctl", "--version"], capture_output=True,
                            text=True, env=env(), timeout=60, check=True)
    assert __version__ in result.stdout
