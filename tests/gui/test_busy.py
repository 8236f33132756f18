"""The busy state automation waits on: the main window's accessible description, property
and signal, and the ``idle`` fixture that waits for it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from hvlab.gui import ids
from hvlab.gui.busy import BUSY_PROPERTY, wait_until_idle
from hvlab.gui.main_window import MainWindow
from tests.gui.helpers import click_pane, select


def test_a_job_makes_the_window_busy_until_it_ends(qtbot: QtBot, window: MainWindow,
                                                   idle: Callable[..., float]) -> None:
    assert window.accessibleDescription() == "Idle"
    assert window.property(BUSY_PROPERTY) is False
    select(window, "W2K8-DC01", "W2K3-APP01")
    with qtbot.waitSignal(window.busy.changed) as changed:
        click_pane(qtbot, window, ids.ACT_SAVE)
    assert changed.args == [True]
    assert window.accessibleDescription() == "Busy: 2 jobs running"
    assert window.property(BUSY_PROPERTY) is True
    with qtbot.waitSignal(window.busy.changed) as changed:
        stepped = idle(window)
    assert changed.args == [False]
    assert 0 < stepped <= 60, "the manual clock was stepped just far enough"
    assert window.accessibleDescription() == "Idle"
    assert {window.bridge.api.vm(n).state for n in ("W2K8-DC01", "W2K3-APP01")} == {"Saved"}
    assert idle(window) == 0, "idle already: nothing is stepped"


def test_on_a_running_clock_the_wait_lets_time_pass(qtbot: QtBot, window: MainWindow,
                                                    idle: Callable[..., float]) -> None:
    select(window, "W2K8-DC01")
    click_pane(qtbot, window, ids.ACT_PAUSE)
    assert window.busy.busy
    window.bridge.set_mode("realtime")
    window.bridge.set_speed(60)  # pausing takes under a simulated second: milliseconds here
    assert idle(window) == 0, "a running clock is not stepped"
    assert not window.busy.busy and window.bridge.api.vm("W2K8-DC01").state == "Paused"


def test_a_wait_that_never_ends_says_so(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "W2K8-DC01")
    click_pane(qtbot, window, ids.ACT_SAVE)
    with pytest.raises(TimeoutError, match="still Busy: 1 job running after 2 simulated"):
        wait_until_idle(window.busy, window.bridge, max_simulated_seconds=2)
    window.bridge.set_mode("realtime")
    window.bridge.set_speed(0)
    with pytest.raises(TimeoutError, match="pass qtbot"):
        wait_until_idle(window.busy, window.bridge)
