"""The placeholder main window: title and the names GUI automation finds it by."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hvlab.gui import app


def test_main_window_has_title_and_names(qtbot: QtBot) -> None:
    window = app.create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    # The app once (the desktop appends the display name) and the host once.
    assert window.windowTitle() == "Hyper-V Manager — LAB-HOST-01"
    assert app.APP_DISPLAY_NAME == "hvlab" and "hvlab" not in window.windowTitle()
    assert window.objectName() == "mainWindow"
    assert window.accessibleName() == "Hyper-V Manager"


def test_main_parses_options_and_returns_event_loop_exit_code(
    qapp: QApplication, tmp_path: Path
) -> None:
    QTimer.singleShot(0, lambda: qapp.exit(3))

    code = app.main(
        ["--library", str(tmp_path / "lab"), "--seed", "7", "--clock", "manual", "--speed",
         "2.5", "--empty"]
    )

    assert code == 3


def test_command_line_values() -> None:
    args = app.build_parser().parse_args(
        ["--library", "lab", "--seed", "7", "--clock", "manual", "--speed", "2.5", "--empty"]
    )
    assert (args.library, args.seed, args.clock, args.speed, args.empty) == (
        "lab",
        7,
        "manual",
        2.5,
        True,
    )


def test_unknown_clock_is_rejected() -> None:
    with pytest.raises(SystemExit):
        app.build_parser().parse_args(["--clock", "sundial"])


def test_the_app_opens_a_library_and_saves_it_at_exit(qapp: QApplication, tmp_path: Path) -> None:
    """`hvlab --library DIR` creates the demo library there, and a second run resumes it."""
    from hvlab.engine.api import open_library

    lib = tmp_path / "lab"
    qapp.processEvents()
    QTimer.singleShot(1500, lambda: qapp.exit(0))
    assert app.main(["--library", str(lib), "--clock", "manual", "--theme", "light"]) == 0
    assert (lib / "state.json").exists() and (lib / "library.json").exists()
    reopened = open_library(lib, program="test")
    try:
        names = {v.name for v in reopened.api.vms()}
        assert {"W2K8-DC01", "SQL-BIG"} <= names
    finally:
        reopened.close()


def test_a_locked_library_is_refused_with_the_holders_name(qapp: QApplication,
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from hvlab.engine.api import open_library

    holder = open_library(tmp_path / "lab", program="hvctl", empty=True)
    shown: list[str] = []
    monkeypatch.setattr(app.QMessageBox, "critical",
                        lambda parent, title, text: shown.append(text))
    try:
        assert app.main(["--library", str(tmp_path / "lab"), "--clock", "manual"]) == 1
    finally:
        holder.close()
    assert shown and "in use by hvctl" in shown[0]
