"""Fixtures for the console's tests: a demo lab on a manual clock, and dialog catchers.

The clock is manual, so nothing moves unless a test calls ``bridge.step`` or
``api.advance``; no test sleeps. Message boxes are replaced by recorders so a test can read
what the user would have seen and answer confirmations.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hvlab.engine.api import HardDrive, ManagementApi, populate_demo
from hvlab.gui import dialogs
from hvlab.gui.bridge import Bridge
from hvlab.gui.main_window import MainWindow
from hvlab.gui.theme import Theme, apply_theme

# The offscreen platform cannot resize or raise windows and says so at WARNING level, which
# qt_log_level_fail turns into failures. These two messages are about the platform plugin,
# not about hvlab, so they are ignored for every GUI test (any other warning still fails).
OFFSCREEN_LIMITATIONS = (
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
    r"This plugin does not support grabbing the keyboard",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_LIMITATIONS))


@pytest.fixture(autouse=True)
def _user_settings_in_tmp_path(tmp_path: Path) -> Iterator[Path]:
    """Every QSettings of the user (pane sizes, the wizard's choices) lives in the test's
    tmp_path: no test reads or writes the real ~/.config/hvlab."""
    folder = tmp_path / "user-settings"
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture(scope="session")
def _pristine_demo_lab() -> ManagementApi:
    lab = ManagementApi(seed=0)
    populate_demo(lab)
    return lab


@pytest.fixture
def api(_pristine_demo_lab: ManagementApi) -> ManagementApi:
    """The demo lab LAB-HOST-01 with its six VMs, seed 0 (four running, settled).

    Each test gets a deep copy of one lab built per session: building it runs 90 simulated
    seconds, which costs far more than copying. The copy is a whole, independent lab (the
    engine is deterministic and holds no outside resources for an in-memory lab).
    """
    return copy.deepcopy(_pristine_demo_lab)


@pytest.fixture
def file_api(tmp_path: Path) -> Iterator[ManagementApi]:
    """A small lab whose real files (disks, saved states) live under ``tmp_path / "lib"``:
    host HOST and VM with a disk VM.vhd."""
    api = ManagementApi(seed=3, storage_root=tmp_path / "lib")
    api.add_host("HOST", "ws2008r2")
    api.create_vm("VM", hard_drives=[HardDrive("IDE", 0, 0, "VM.vhd", bootable=True)])
    yield api
    api.close()


@pytest.fixture
def bridge(api: ManagementApi) -> Iterator[Bridge]:
    """The bridge over ``api`` (manual clock), for a dialog opened without a main window."""
    b = Bridge(api, clock="manual")
    yield b
    b.close()


@dataclass
class DialogRecorder:
    """What would have been shown: errors as (message, details), confirmations as titles."""

    errors: list[tuple[str, str]] = field(default_factory=list)
    confirmations: list[str] = field(default_factory=list)
    answer: bool = True

    def error_messages(self) -> list[str]:
        return [m for m, _ in self.errors]


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    """Replace error and confirmation boxes; confirmations are answered with ``answer``."""
    recorder = DialogRecorder()

    def show_error(parent: Any, error: Any, details: Any = (), title: str = "") -> None:
        recorder.errors.append(dialogs.error_texts(error, details))

    def confirm(parent: Any, title: str, text: str, on_accept: Callable[[], None],
                **_kwargs: Any) -> None:
        recorder.confirmations.append(title)
        if recorder.answer:
            on_accept()

    monkeypatch.setattr(dialogs, "show_error", show_error)
    monkeypatch.setattr(dialogs, "confirm", confirm)
    return recorder


@pytest.fixture
def light_theme(qapp: QApplication) -> None:
    apply_theme(qapp, Theme.LIGHT)


@pytest.fixture
def window(qtbot: QtBot, api: ManagementApi, light_theme: None) -> Iterator[MainWindow]:
    """The main window over the demo lab, manual clock, shown at 1280×800."""
    yield from shown_window(qtbot, api)


def shown_window(qtbot: QtBot, api: ManagementApi) -> Iterator[MainWindow]:
    """A fixture's main window over ``api`` (manual clock, light theme), shown; deleted when
    the fixture ends."""
    from hvlab.gui.app import create_main_window

    win = create_main_window(api, clock="manual", theme=Theme.LIGHT)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    # Delete it (and its Connect windows and dialogs) now: deleteLater alone waits for an
    # event loop level pytest never returns to, and leftover windows make every later
    # style change slower.
    win.bridge.close()
    win.close()
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def idle(qtbot: QtBot) -> Callable[..., float]:
    """``idle(window)`` returns once the main window is idle (no job runs) and the GUI has
    caught up; on a manual clock it steps simulated time to get there. Keyword arguments go
    to :func:`hvlab.gui.busy.wait_until_idle`."""
    from hvlab.gui.busy import wait_until_idle

    def wait(window: MainWindow, **options: Any) -> float:
        return wait_until_idle(window.busy, window.bridge, qtbot, **options)

    return wait


def vm_id(api: ManagementApi, name: str) -> str:
    return api.vm(name).id
