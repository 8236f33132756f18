"""The simulated clock: the bridge's timer, speeds, manual stepping, the toolbar controls.

Wall time is injected (``wall_clock``) and the timer's slot is called directly, so these
tests are exact and never wait.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.engine.bounds import MAX_CLOCK_SPEED
from hvlab.engine.errors import ValidationError
from hvlab.gui import app, ids
from hvlab.gui.bridge import MAX_WALL_STEP_S, SPEEDS, Bridge
from hvlab.gui.clock import STEP_MINUTE_SECONDS
from hvlab.gui.main_window import MainWindow
from hvlab.gui.theme import Theme


class FakeWallClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> FakeWallClock:
    return FakeWallClock()


@pytest.fixture
def realtime_window(qtbot: QtBot, api: ManagementApi, wall: FakeWallClock,
                    light_theme: None) -> Iterator[MainWindow]:
    bridge = Bridge(api, clock="realtime", speed=1.0, wall_clock=wall)
    win = MainWindow(bridge, theme=Theme.LIGHT)
    bridge.setParent(win)
    qtbot.addWidget(win)
    win.show()
    yield win
    bridge.close()
    win.close()
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _tick(bridge: Bridge, wall: FakeWallClock, seconds: float) -> None:
    wall.now += seconds
    bridge._on_timer()  # what the QTimer's timeout does


def test_realtime_speed_multiplies_wall_time(api: ManagementApi, wall: FakeWallClock,
                                             qapp: object) -> None:
    bridge = Bridge(api, clock="realtime", speed=1.0, wall_clock=wall)
    t0 = api.now_seconds
    _tick(bridge, wall, 0.5)
    assert api.now_seconds == pytest.approx(t0 + 0.5)
    bridge.set_speed(60)
    _tick(bridge, wall, 0.5)
    assert api.now_seconds == pytest.approx(t0 + 30.5)
    assert bridge.running
    bridge.set_speed(0)
    assert not bridge.running
    bridge.close()


def test_a_long_wall_gap_is_not_replayed(api: ManagementApi, wall: FakeWallClock,
                                         qapp: object) -> None:
    bridge = Bridge(api, clock="realtime", speed=10.0, wall_clock=wall)
    t0 = api.now_seconds
    _tick(bridge, wall, 3600)  # the laptop was asleep
    assert api.now_seconds == pytest.approx(t0 + 20.0)
    bridge.close()


def test_manual_clock_moves_only_when_stepped(window: MainWindow, wall: FakeWallClock) -> None:
    bridge = window.bridge
    api = bridge.api
    assert bridge.mode == "manual" and not bridge.running
    t0 = api.now_seconds
    bridge._on_timer()
    assert api.now_seconds == t0
    window.clock.step_action.trigger()
    assert api.now_seconds == pytest.approx(t0 + 1)
    window.clock.step_minute_action.trigger()
    assert api.now_seconds == pytest.approx(t0 + 61)
    assert window.clock.time_label.text() == "Day 1, 00:02:31 · Manual"
    assert window.clock.speed_actions[0.0].isChecked()


def test_clock_toolbar_buttons_change_speed(qtbot: QtBot, realtime_window: MainWindow,
                                            wall: FakeWallClock) -> None:
    window = realtime_window
    bridge = window.bridge
    api = bridge.api

    def press(action: ids.UiName) -> None:
        button = window.menus.clock_toolbar.findChild(QToolButton,
                                                      ids.tool_button(action).object_name)
        assert button is not None
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    press(ids.ACT_CLOCK_10X)
    assert bridge.speed == 10 and bridge.running
    assert window.clock.speed_actions[10.0].isChecked()
    t0 = api.now_seconds
    _tick(bridge, wall, 1.0)
    assert api.now_seconds == pytest.approx(t0 + 10)
    assert window.clock.time_label.text().endswith("· 10x")

    press(ids.ACT_CLOCK_60X)
    assert bridge.speed == 60
    press(ids.ACT_CLOCK_PAUSE)
    assert bridge.speed == 0 and not bridge.running
    t1 = api.now_seconds
    _tick(bridge, wall, 5.0)
    assert api.now_seconds == t1
    assert window.clock.time_label.text().endswith("· Paused")

    press(ids.ACT_CLOCK_1X)
    assert bridge.speed == 1 and bridge.running


def test_the_clock_controls_offer_exactly_the_bridge_speeds(window: MainWindow) -> None:
    assert sorted(window.clock.speed_actions) == sorted(SPEEDS)


def test_choosing_a_speed_leaves_manual_mode(window: MainWindow) -> None:
    window.clock.speed_actions[10.0].trigger()
    assert window.bridge.mode == "realtime" and window.bridge.speed == 10
    assert not window.clock.manual_action.isChecked()
    window.clock.manual_action.trigger()
    assert window.bridge.mode == "manual" and not window.bridge.running


def test_clock_shortcuts(window: MainWindow) -> None:
    shortcuts = {a.objectName(): a.shortcut().toString()
                 for a in (*window.clock.speed_actions.values(), window.clock.step_action,
                           window.clock.step_minute_action)}
    # F10 and Shift+F10 are the menu bar's and the context menu's, as on every desktop.
    assert shortcuts == {"actionClockPause": "Ctrl+0", "actionClock1x": "Ctrl+1",
                         "actionClock10x": "Ctrl+2", "actionClock60x": "Ctrl+3",
                         "actionClockStep": "F8", "actionClockStepMinute": "Shift+F8"}
    for action in (*window.clock.speed_actions.values(), window.clock.step_action,
                   window.clock.step_minute_action):
        assert f"({action.shortcut().toString()})" in action.toolTip()


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "-1", "1e9", "121"])
def test_defect07_the_console_clock_speed_is_bounded_at_the_parser(
        bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        app.build_parser().parse_args([f"--speed={bad}"])
    assert stop.value.code == 2
    assert f"The clock speed must be between 0 and {MAX_CLOCK_SPEED}" in capsys.readouterr().err


def test_defect07_no_console_clock_action_asks_for_a_long_run(
        api: ManagementApi, wall: FakeWallClock, qapp: object) -> None:
    """The console has no run-for action: its longest single advance is the fastest speed
    over the longest wall gap a tick replays, or Step 1 Minute, both far below the engine's
    one-day bound (so a tick never needs progress or Cancel)."""
    bridge = Bridge(api, clock="realtime", speed=MAX_CLOCK_SPEED, wall_clock=wall)
    t0 = api.now_seconds
    _tick(bridge, wall, 3600)
    assert api.now_seconds - t0 == pytest.approx(MAX_CLOCK_SPEED * MAX_WALL_STEP_S)
    assert max(MAX_CLOCK_SPEED * MAX_WALL_STEP_S, STEP_MINUTE_SECONDS) <= 240
    for bad in (math.nan, math.inf, -1.0, MAX_CLOCK_SPEED + 1):
        with pytest.raises(ValidationError):
            bridge.set_speed(bad)
    assert bridge.speed == MAX_CLOCK_SPEED
    bridge.close()
