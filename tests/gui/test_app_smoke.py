"""The placeholder main window: title and the names GUI automation finds it by."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui import app


def test_main_window_has_title_and_names(qtbot: QtBot) -> None:
    window = app.create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    assert window.windowTitle() == "Hyper-V Manager — hvlab"
    assert window.objectName() == "mainWindow"
    assert window.accessibleName() == "Hyper-V Manager"


def test_main_parses_options_and_returns_event_loop_exit_code(qapp: QApplication) -> None:
    QTimer.singleShot(0, lambda: qapp.exit(3))

    code = app.main(
        ["--library", "/tmp/lab", "--seed", "7", "--clock", "manual", "--speed", "2.5", "--empty"]
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
