"""The console on the error paths test authors inject (HVLAB_FAULTS): a Save that fails at
40 %, a VM that refuses to stop, a slow Start; the idle fixture waits each one out."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from hvlab.gui import ids
from hvlab.gui.main_window import MainWindow
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import cell, click_pane, select


def test_a_save_that_fails_part_way_is_shown_and_undone(
        qtbot: QtBot, window: MainWindow, idle: Callable[..., float]) -> None:
    api = window.bridge.api
    api.inject_faults("fail-job:save@40")
    window.jobs_panel.show()
    select(window, "W2K8-DC01")
    click_pane(qtbot, window, ids.ACT_SAVE)
    assert window.busy.busy
    idle(window)
    assert cell(window, "W2K8-DC01", "state") == "Running"
    (job,) = [j for j in api.jobs() if j.kind == "save"]
    assert job.state.value == "Failed" and job.percent == 40
    tree = window.jobs_panel.tree
    rows = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert [(r.text(1), r.text(3), r.toolTip(3)) for r in rows if r.text(0) == "Saving"] == \
        [("W2K8-DC01", "Failed", job.error)], "the panel shows why it failed"


def test_a_vm_that_refuses_to_stop_shows_hyper_vs_error(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    window.bridge.api.inject_faults("refuse-stop:W2K8-DC01")
    select(window, "W2K8-DC01")
    click_pane(qtbot, window, ids.ACT_TURN_OFF)
    assert shown.error_messages() == ["'W2K8-DC01' failed to turn off."]
    assert "not responding" in shown.errors[0][1]
    assert cell(window, "W2K8-DC01", "state") == "Running"
    assert not window.busy.busy


def test_a_slow_start_keeps_the_console_busy_longer(
        qtbot: QtBot, window: MainWindow, idle: Callable[..., float],
        shown: DialogRecorder) -> None:
    select(window, "XP-CLIENT")
    click_pane(qtbot, window, ids.ACT_START)
    normal = idle(window, step_seconds=0.5)
    click_pane(qtbot, window, ids.ACT_TURN_OFF)
    idle(window, step_seconds=0.5)
    window.bridge.api.inject_faults("slow:start*8")
    click_pane(qtbot, window, ids.ACT_START)
    slow = idle(window, step_seconds=0.5)
    assert slow >= 7 * normal > 0
    assert cell(window, "XP-CLIENT", "state") == "Running"


def test_a_start_that_fails_part_way_leaves_the_vm_off(
        qtbot: QtBot, window: MainWindow, idle: Callable[..., float],
        shown: DialogRecorder) -> None:
    api = window.bridge.api
    api.inject_faults("fail-job:start@50")
    select(window, "XP-CLIENT")
    click_pane(qtbot, window, ids.ACT_START)
    idle(window, step_seconds=0.5)
    assert cell(window, "XP-CLIENT", "state") == "Off"
    (job,) = [j for j in api.jobs()
              if j.kind == "start" and j.vm_id == api.vm("XP-CLIENT").id]
    assert job.state.value == "Failed" and job.percent == 50


def test_a_reset_that_fails_at_once_says_so(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    window.bridge.api.inject_faults("fail-job:reset@10")
    select(window, "W2K8-DC01")
    click_pane(qtbot, window, ids.ACT_RESET)
    assert shown.confirmations == ["Reset Machine"]
    assert shown.error_messages() == ["Resetting W2K8-DC01 failed."]
    assert "fail-job:reset@10" in shown.errors[0][1]
    assert window.statusBar().currentMessage() != "Resetting W2K8-DC01."
