"""The clock as a teaching tool: run until a time, a condition or a state change; step back
to an earlier moment and replay it to the byte."""

from __future__ import annotations

import pytest

from hvlab.engine.api import ValidationError
from hvlab.engine.lessons import Timeline, parse_condition, run_until

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
            timeline.observe()

    session()
    first = api.capture_state()
    assert len(timeline.moments) == 7  # the start, then every 10 s
    timeline.rewind(timeline.moments[0])
    assert len(timeline.moments) == 1 and api.vm("XP-CLIENT").state == "Off"
    session()
    assert api.capture_state().data == first.data
