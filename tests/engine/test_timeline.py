"""The clock as a teaching tool: run until a time, a condition or a state change; step back
to an earlier moment and replay it to the byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hvlab.engine.api import HvError, ManagementApi, ValidationError
from hvlab.engine.lessons import Timeline, parse_condition, run_until, threshold
from hvlab.engine.lessons.conditions import Context

from .test_lessons import _lab


def test_run_until_a_time() -> None:
    api = _lab("demo")
    start = api.now_seconds
    stop = run_until(api, seconds=12.5)
    assert stop.reason == "time" and api.now_seconds == pytest.approx(start + 12.5)


def test_run_until_a_condition_stops_at_the_first_tick_it_holds() -> None:
    api = _lab("demo")
    api.start("XP-CLIENT")
    condition = parse_condition({"vm": "XP-CLIENT", "property": "heartbeat",
                                 "equals": "OK"}, "test")
    stop = run_until(api, seconds=600, condition=condition)
    assert stop.reason == "condition" and api.vm("XP-CLIENT").heartbeat == "OK"
    # One tick earlier it did not hold: the run stopped as soon as it could.
    assert stop.at_seconds < 600 and stop.detail == "XP-CLIENT's heartbeat is OK."


def test_run_until_a_value_crosses_a_threshold() -> None:
    api = _lab("demo")
    api.start("XP-CLIENT")
    falls = threshold("vm", "XP-CLIENT", "cpu_usage_percent", above=False, value=1)
    # At once the VM shows 0 %: below already, which holds but is no crossing.
    assert falls.evaluate(Context(api)).holds
    stop = run_until(api, seconds=600, condition=falls, crossing=True)
    assert stop.reason == "condition" and 10 < stop.at_seconds - 90 < 120
    assert api.vm("XP-CLIENT").cpu_usage_percent < 1  # the boot is over
    stop = run_until(api, seconds=5, condition=falls)  # without crossing: holds at once
    assert stop.reason == "condition" and stop.at_seconds == api.now_seconds
    with pytest.raises(ValidationError, match="Run Until stops on one of"):
        threshold("vm", "XP-CLIENT", "config.cpu_count", above=True, value=1)


def test_run_until_a_state_change() -> None:
    api = _lab("demo")
    api.crash_root_partition()
    stop = run_until(api, seconds=600, on_state_change=True)
    assert stop.reason == "state change" and "went from Off to Starting" in stop.detail


def test_run_until_refuses_a_time_out_of_range() -> None:
    with pytest.raises(ValidationError, match="at most 86,400 s"):
        run_until(_lab("demo"), seconds=1e9)


def test_rewind_and_replay_are_byte_identical() -> None:
    api = _lab("demo")
    timeline = Timeline(api, every_seconds=10)

    def session() -> None:
        for second in range(60):
            if second == 12:
                api.start("XP-CLIENT")
            if second == 31:
                api.set_vm("W2K8-DC01", cpu_weight=400)
            api.advance(1)

    session()
    first = api.capture_state()
    assert len(timeline.moments) == 7  # the start, then every 10 s
    timeline.rewind(timeline.moments[0])
    assert len(timeline.moments) == 1 and api.vm("XP-CLIENT").state == "Off"
    session()
    assert api.capture_state().data == first.data


def _session(api: ManagementApi, seconds: int, seen: dict[int, tuple[bytes, Any]]) -> None:
    """Commands (one refused) between clock steps; the state and host graphs at each 10 s."""
    for second in range(seconds):
        if second == 12:
            api.start("XP-CLIENT")
        if second == 23:
            with pytest.raises(HvError):
                api.start("SQL-BIG")  # refused (memory): it still logs an event
        if second == 31:
            api.set_vm("W2K8-DC01", cpu_weight=400)
        if second == 47:
            api.save("W2K3-APP01")
        api.advance(0.5)
        api.advance(0.5)
        if api.now_us % 10_000_000 == 0:
            seen[api.now_us] = (api.capture_state().data, api.host_history())


def test_a_rewind_between_keyframes_replays_the_calls_to_the_byte() -> None:
    api = _lab("demo")
    # One keyframe only: every moment after the first is reached by replaying calls.
    timeline = Timeline(api, every_seconds=10, keyframe_cost_ratio=1e9)
    seen: dict[int, tuple[bytes, Any]] = {}
    start = api.now_us
    _session(api, 60, seen)
    figures = api.timeline_figures()
    assert figures.keyframes == 1 and figures.moments == 7 and figures.calls >= 120
    middle = timeline.moments[4]
    assert middle.time_us == start + 40_000_000
    timeline.rewind(middle)
    assert api.now_us == middle.time_us
    assert api.capture_state().data == seen[middle.time_us][0]
    assert [m.time_us for m in timeline.moments] == [start + i * 10_000_000 for i in range(5)]
    assert api.vm("W2K3-APP01").state == "Running"  # saved at 47 s: not yet


@pytest.mark.parametrize("ratio", [1e9, 1.0])  # one keyframe; a keyframe at every moment
def test_after_a_rewind_the_graphs_show_the_history_up_to_then(ratio: float) -> None:
    api = _lab("demo")
    api.advance(30)  # history from before the timeline began is kept too
    timeline = Timeline(api, every_seconds=10, keyframe_cost_ratio=ratio)
    seen: dict[int, tuple[bytes, Any]] = {}
    _session(api, 80, seen)
    moment = timeline.moments[5]
    expected = seen[moment.time_us][1]
    timeline.rewind(moment)
    history = api.host_history()
    assert history["times"][-1] == pytest.approx(moment.time_seconds)
    assert len(history["times"]) == len(expected["times"]) >= 80
    for name in ("times", "root_lp", "guest_lp", "running_vms", "memory_free_mb"):
        assert np.allclose(history[name], expected[name], atol=1e-3), name
    # The graphs of a VM that ran then: its samples are back too.
    cpu = api.vm_history("XP-CLIENT")["cpu_lp"]
    assert cpu[-1] > 0 and len(cpu) == len(expected["times"])
    api.advance(3)  # running on appends to that history
    assert len(api.host_history()["times"]) == len(expected["times"]) + 3


def test_a_lesson_s_back_keeps_the_graphs_and_the_timeline() -> None:
    from hvlab.engine.lessons import LessonRun, read_lesson, shipped

    run = LessonRun(read_lesson(shipped("03-memory")))
    api = run.api
    timeline = Timeline(api, every_seconds=10)
    api.advance(20)
    run.next()  # step 2 starts at 20 s
    step_two = api.now_us
    api.advance(25)
    before = api.host_history()
    run.rewind(1)  # the lab goes back to step 2's start by the lesson's hand
    assert api.now_us == step_two
    after = api.host_history()
    assert len(after["times"]) == int(np.sum(before["times"] <= step_two / 1e6)) > 0
    assert [m.time_us for m in timeline.moments][-1] == step_two
    run.reset()  # back to the lesson's start, the timeline's first moment: listed once
    times = [m.time_us for m in timeline.moments]
    assert times == [run.began_us] and len(set(times)) == len(times)
    api.advance(25)
    run.next()
    api.advance(10)
    timeline.rewind(timeline.moments[-2])  # still replays from what the lesson put back
    assert api.now_us == timeline.moments[-1].time_us


def test_a_timeline_needs_an_in_memory_lab_and_a_kept_moment(tmp_path: Path) -> None:
    from hvlab.engine.api import NotFoundError, NotSupportedError, open_library

    with open_library(tmp_path / "lib", seed=0) as library, \
            pytest.raises(NotSupportedError, match="in-memory lab"):
        Timeline(library.api)
    api = _lab("demo")
    with pytest.raises(HvError, match="keeps no timeline"):
        api.timeline_moments()
    Timeline(api)
    with pytest.raises(NotFoundError, match="No moment at 12 s"):
        api.rewind(12_000_000)
