"""The console over the engine thread, as `hvlab` runs: the GUI thread never calls the
engine, the clock's ticks arrive from the engine thread, the status bar says when the clock
cannot keep its speed, and a seeded run ends in the same engine state with the console open
and fast-forwarding as without it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from hvlab.engine.api import (
    EngineThread,
    InMemory,
    ManagementApi,
    populate_demo,
)
from hvlab.engine.library.state import snapshot_lab
from hvlab.gui.app import _show_clock_lag, clock_lag_text
from hvlab.gui.bridge import Bridge
from hvlab.gui.main_window import MainWindow
from hvlab.gui.theme import Theme
from tests.engine.recording import RecordingApi

CALLED_FROM = RecordingApi.called_from


def demo_owner() -> InMemory:
    api = RecordingApi(seed=0)
    populate_demo(api)
    return InMemory(api)


@pytest.fixture
def console(qtbot: QtBot, light_theme: None) -> Iterator[tuple[MainWindow, EngineThread]]:
    CALLED_FROM.clear()
    engine = EngineThread(demo_owner)
    bridge = Bridge(engine=engine, clock="manual")
    window = MainWindow(bridge, theme=Theme.LIGHT)
    bridge.setParent(window)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window, engine
    window.bridge.close()
    window.close()


def _state(lab: Any) -> str:
    return json.dumps(snapshot_lab(lab), sort_keys=True, default=str)


def test_the_gui_thread_never_calls_the_engine(qtbot: QtBot,
                                               console: tuple[MainWindow, EngineThread]) -> None:
    window, engine = console
    bridge = window.bridge
    window.vm_list.selectRow(0)
    bridge.step(1.0)
    name = bridge.snapshot.names[0]
    bridge.call(bridge.api.set_vm, name, notes="set from the console")
    # Fast-forward on the engine thread; the ticks reach the window on its own thread.
    ticked: list[threading.Thread] = []
    bridge.tick.connect(lambda _snap: ticked.append(threading.current_thread()))
    bridge.set_mode("realtime")
    bridge.set_speed(60.0)
    qtbot.waitUntil(lambda: len(ticked) >= 3, timeout=20000)
    bridge.set_speed(0.0)
    assert bridge.api.now_seconds > 90 + 1
    assert CALLED_FROM, "the recorder saw the engine's calls"
    assert set(CALLED_FROM) == {engine.thread}
    assert set(ticked) == {threading.main_thread()}


def _run_at_60x(qtbot: QtBot, window: MainWindow, until: Callable[[], bool]) -> Bridge:
    """Run the console's clock in real time at 60x until ``until()`` holds."""
    bridge = window.bridge
    bridge.set_mode("realtime")
    bridge.set_speed(60.0)
    qtbot.waitUntil(until, timeout=30000)
    return bridge


def test_the_status_bar_says_when_the_clock_cannot_keep_its_speed(
        qtbot: QtBot, console: tuple[MainWindow, EngineThread]) -> None:
    window, _engine = console
    bridge = _run_at_60x(qtbot, window, lambda: window.bridge.achieved_speed > 0)
    bridge.set_speed(0.0)
    # What the bridge would say after ticks that fell behind, and what it says when not.
    bridge._clock_running, bridge._keeping_up, bridge._achieved = True, False, 23.4
    bridge._speed = 60.0
    _show_clock_lag(window, bridge)
    assert window.statusBar().currentMessage() == (
        "The simulated clock cannot keep 60x with this lab: it is running at about 23x.")
    bridge._keeping_up = True
    assert clock_lag_text(bridge) == ""
    _show_clock_lag(window, bridge)
    assert window.statusBar().currentMessage() == ""
    bridge._clock_running, bridge._speed = False, 0.0


def test_a_seeded_run_is_the_same_with_the_console_open_and_fast_forwarding(
        qtbot: QtBot, console: tuple[MainWindow, EngineThread]) -> None:
    window, engine = console
    bridge = _run_at_60x(qtbot, window, lambda: window.bridge.api.now_seconds >= 120)
    bridge.set_mode("manual")
    bridge.step(0.5)
    now_us = bridge.api.now_us
    # The clock is stopped and nothing else asks: the lab can be read from here.
    with_console = _state(engine.request("lab", None, {}))
    alone = ManagementApi(seed=0)
    populate_demo(alone)
    alone.advance((now_us - alone.now_us) / 1e6)
    assert alone.now_us == now_us
    assert _state(alone.lab) == with_console
