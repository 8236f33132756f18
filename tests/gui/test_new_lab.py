"""File ▸ New Lab… (gui/new_lab.py): the console creates a lab library on the release the
trainer picks, through the same engine function as ``hvctl --library DIR --profile ID``, and
shows it in a window of its own in that release's words (Hyper-V Manager on Windows Server
2008 says "Snapshot"; docs/engine.md, "What each profile changes")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi, is_library, open_library, populate_demo
from hvlab.gui import ids
from hvlab.gui.app import create_main_window
from hvlab.gui.main_window import MainWindow
from hvlab.gui.new_lab import NewLabDialog, NewLabs

WAIT_MS = 20_000


@pytest.fixture
def console(qtbot: QtBot, light_theme: None) -> Iterator[tuple[MainWindow, NewLabs]]:
    api = ManagementApi(seed=0)
    populate_demo(api, empty=True, profile="ws2012r2")  # the lab shown speaks 2012 R2
    window = create_main_window(api)
    labs = NewLabs(window)
    qtbot.addWidget(window)
    window.show()
    yield window, labs
    labs.close_all()
    window.close()


def _dialog(labs: NewLabs) -> NewLabDialog:
    labs.action.trigger()
    dialog = labs.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_file_menu_offers_new_lab(console: tuple[MainWindow, NewLabs]) -> None:
    window, labs = console
    file_menu = window.findChild(QMenu, ids.MENU_FILE.object_name)
    assert file_menu is not None
    assert file_menu.actions()[0] is labs.action
    assert labs.action.text() == "New &Lab…"


def test_new_lab_on_2008_shows_its_profile_and_snapshot_words(
        qtbot: QtBot, tmp_path: Path, console: tuple[MainWindow, NewLabs]) -> None:
    window, labs = console
    # The lab shown says Checkpoint: the new window's words come from its own lab.
    assert window.vm_actions["checkpoint"].text().replace("&", "") == "Checkpoint"
    dialog = _dialog(labs)
    options = [dialog.profile.itemData(i) for i in range(dialog.profile.count())]
    assert {"ws2008", "ws2008+kb956710", "ws2008+core", "ws2008r2", "ws2012r2"} <= set(options)
    dialog.profile.setCurrentIndex(dialog.profile.findData("ws2008+kb956710"))
    folder = tmp_path / "lab2008"
    qtbot.keyClicks(dialog.folder, str(folder))
    dialog.empty.setChecked(True)
    dialog.seed.setText("7")
    dialog.ok_button.click()
    assert not dialog.isVisible(), dialog.status.text()
    lab = dialog.created
    assert lab is not None and lab in labs.windows
    qtbot.addWidget(lab)
    qtbot.waitUntil(lambda: "Windows Server 2008" in lab.era.status.text(), timeout=WAIT_MS)
    assert "KB956710" in lab.era.status.text()
    assert lab.vm_actions["checkpoint"].text().replace("&", "") == "Snapshot"
    assert lab.host_actions.switch_manager_action.text().replace("&", "") \
        == "Virtual Network Manager…"
    assert lab.model.rowCount() == 0  # the host only
    assert is_library(folder)
    # Closing the window saves the lab and frees its library: hvctl's function opens it,
    # on the profile the dialog chose.
    lab.close()
    assert lab not in labs.windows
    library = open_library(folder, program="hvctl")
    try:
        (host,) = library.api.hosts()
        assert host.profile_id == "ws2008+kb956710"
        assert library.api.host_profile(host.id).limits.logical_processors == 24
    finally:
        library.close()


@pytest.mark.parametrize(("folder", "seed", "field"), [
    ("", "0", "Library folder:"), ("lab", "-1", "Seed:"), ("lib", "0", "already holds")])
def test_bad_input_names_the_field_and_makes_nothing(
        qtbot: QtBot, tmp_path: Path, console: tuple[MainWindow, NewLabs],
        folder: str, seed: str, field: str) -> None:
    _window, labs = console
    if folder == "lib":
        open_library(tmp_path / "lib", program="hvctl", empty=True).close()
    dialog = _dialog(labs)
    if folder:
        dialog.folder.setText(str(tmp_path / folder))
    dialog.seed.setText(seed)
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert field in dialog.status.text()
    assert labs.windows == []
    if folder == "lab":
        assert not (tmp_path / "lab").exists()
    dialog.reject()
