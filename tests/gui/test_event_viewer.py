"""The Event Viewer: the lab's Hyper-V channels, level, Find, export; opened from the host's
context menu and from an error message's Details."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from hvlab.gui import dialogs, event_viewer, ids
from hvlab.gui.event_viewer import EventViewerWindow
from hvlab.gui.main_window import MainWindow
from tests.gui.helpers import select


def _viewer(window: MainWindow) -> EventViewerWindow:
    [viewer] = [w for w in window.findChildren(EventViewerWindow) if w.isVisible()]
    return viewer


def test_the_host_context_menu_opens_the_event_viewer(qtbot: QtBot, window: MainWindow) -> None:
    tree = window.tree
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu) and menu.objectName() == ids.MENU_HOST_CONTEXT.object_name
    action = window.host_actions.event_viewer_action
    assert action in menu.actions()
    menu.close()
    action.trigger()
    viewer = _viewer(window)
    qtbot.waitExposed(viewer)
    api = window.bridge.api
    assert len(viewer.shown_entries()) == len(api.event_log())
    newest = viewer.shown_entries()[0]
    assert newest == api.event_log()[-1], "newest first, as Event Viewer lists them"
    assert viewer.table.item(0, 3).text() == str(newest.event_id)
    assert viewer.table.item(0, 1).text().startswith("1/1/2010 ")
    assert f"Event ID: {newest.event_id}" in viewer.details.toPlainText()


def test_logs_level_and_find_filter_the_events(qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    api.wait(api.turn_off("W2K8-DC01"))
    viewer = window.host_actions.open_event_viewer()
    window.bridge.refresh()
    everything = viewer.shown_entries()
    viewer.logs.setCurrentRow(1)  # Hyper-V-VMMS ▸ Admin
    assert viewer.shown_entries() and all(
        e.channel == "Microsoft-Windows-Hyper-V-VMMS-Admin" for e in viewer.shown_entries())
    viewer.logs.setCurrentRow(3)  # Hyper-V-Worker ▸ Operational
    assert any("turned off" in e.message for e in viewer.shown_entries())
    viewer.logs.setCurrentRow(0)
    viewer.search.setText("w2k8-dc01")
    found = viewer.shown_entries()
    assert found and all("W2K8-DC01" in e.message or e.vm_name == "W2K8-DC01" for e in found)
    assert len(found) < len(everything)
    viewer.search.setText("")
    viewer.level.setCurrentText("Information")
    assert all(e.level.value == "Information" for e in viewer.shown_entries())
    viewer.level.setCurrentText("Critical")
    assert viewer.count.text().startswith(f"{len(viewer.shown_entries()):,} of ")


def test_the_viewer_follows_the_log(qtbot: QtBot, window: MainWindow) -> None:
    viewer = window.host_actions.open_event_viewer()
    before = len(viewer.shown_entries())
    window.bridge.api.start("XP-CLIENT")
    window.bridge.step(5)
    assert len(viewer.shown_entries()) > before
    assert "XP-CLIENT" in viewer.shown_entries()[0].message


def test_export_writes_what_is_shown_as_csv(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    viewer = window.host_actions.open_event_viewer()
    viewer.level.setCurrentText("Information")
    target = tmp_path / "events.csv"
    monkeypatch.setattr(event_viewer, "choose_export_file",
                        lambda _parent, chosen: chosen(str(target)))
    qtbot.mouseClick(viewer.export_button, Qt.MouseButton.LeftButton)
    rows = list(csv.reader(target.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["Level", "Date and Time", "Source", "Event ID", "Virtual Machine",
                       "Log Name", "Message"]
    assert len(rows) - 1 == len(viewer.shown_entries())
    assert {r[0] for r in rows[1:]} == {"Information"}
    assert not viewer.save_to(str(tmp_path / "missing" / "x.csv"))


def test_an_errors_details_opens_the_event_viewer_at_its_event(
        qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    select(window, "SQL-BIG")
    window.vm_actions["start"].trigger()  # does not fit in memory: Hyper-V's error
    box = next(b for b in window.findChildren(QMessageBox)
               if b.objectName() == ids.ERROR_DIALOG.object_name and b.isVisible())
    assert "failed to start" in box.text()
    details = box.findChild(QAbstractButton, f"{ids.ERROR_DIALOG.object_name}_Details")
    assert details is not None
    qtbot.mouseClick(details, Qt.MouseButton.LeftButton)
    viewer = _viewer(window)
    chosen = viewer.selected_entry()
    assert chosen is not None and chosen.level.value == "Error"
    assert "'SQL-BIG' failed to start" in chosen.message
    assert chosen in api.event_log()
    box.close()


def test_an_error_box_without_a_main_window_has_no_details(qtbot: QtBot) -> None:
    box = dialogs.show_error(None, "Something failed.")
    assert [b.text() for b in box.buttons()] == ["Close"]
    box.close()
