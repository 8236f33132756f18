"""Configuration shared by every hvlab test run (engine, gui, e2e).

Loaded before any test module and before pytest-qt creates a QApplication, so the settings
here hold for the whole session, whichever folder of tests/ is run.
"""

from __future__ import annotations

import os

import pytest

# No display here or in CI: Qt renders to memory. setdefault lets a developer with a screen
# watch the GUI tests with QT_QPA_PLATFORM=xcb. Set here rather than in tests/gui/ so that
# e2e tests, which start hvlab as a child process, inherit the same platform in every run.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# tests/bench/ holds scripts that print figures, not tests; they run with `make bench`.
collect_ignore = ["bench"]

# pytest-qt's settings in pyproject.toml. Where pytest-qt is not installed or is disabled
# (the engine venv has no Qt at all), pytest rejects them as unknown options, which is an
# error under --strict-config. So we declare pytest-qt's keys ourselves there.
_PYTEST_QT_INI_KEYS = (
    "qt_api",
    "qt_no_exception_capture",
    "qt_default_raising",
    "qt_qapp_name",
    "qt_log_level_fail",
    "qt_log_ignore",
)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    if pluginmanager.hasplugin("pytest-qt"):
        return
    for key in _PYTEST_QT_INI_KEYS:
        parser.addini(key, "pytest-qt is not active: accepted and ignored")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` (long fuzz and state-machine runs) run only when asked for with
    ``-m slow``, so `make test` stays well inside CI's time."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="long run: select it with -m slow")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)
