"""The data files are found through the installed package's data (importlib.resources), so
an installed copy never looks for the checkout; ``$HVLAB_RESOURCES`` overrides them."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from hvlab.engine.api import resources_dir
from tests.layout import REPO, import_name


def test_resources_are_the_data_of_the_resources_package(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HVLAB_RESOURCES", raising=False)
    folder = resources_dir()
    assert folder == files(import_name("resources"))
    # This venv's install is editable, so the package's data is the checkout's folder.
    assert folder.resolve() == (REPO / "resources").resolve()
    for needed in ("profiles/ws2008.json", "guests/catalogue.json", "icons/hvlab.svg"):
        assert (folder / needed).is_file(), needed


def test_hvlab_resources_overrides_the_package(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    monkeypatch.setenv("HVLAB_RESOURCES", str(tmp_path))
    # Not loaded here: the profile and catalogue loaders cache what they read.
    assert resources_dir() == tmp_path
