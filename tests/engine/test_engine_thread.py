"""The engine on its own thread: every call a client makes through the proxy runs there,
errors and events come back, and a seeded run ends in the same engine state whether it was
driven directly or through the thread with its clock running and a client reading."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hvlab.engine.api import (
    ApiProxy,
    ClockTick,
    EngineEvent,
    EngineThread,
    InMemory,
    ManagementApi,
    NotFoundError,
    declared_calls,
    open_library,
)
from hvlab.engine.library.state import snapshot_lab
from tests.engine.recording import RecordingApi

CALLED_FROM = RecordingApi.called_from


def demo_owner(seed: int = 7) -> InMemory:
    api = RecordingApi(seed=seed)
    api.add_host("HOST", "ws2008r2")
    for name, workload in (("WEB", "web"), ("SQL", "database")):
        api.create_vm(name, memory_startup_mb=1024, workload=workload, guest_is_installed=True)
    return InMemory(api)


@pytest.fixture
def engine() -> Iterator[EngineThread]:
    CALLED_FROM.clear()
    thread = EngineThread(demo_owner)
    yield thread
    thread.close()


def test_the_proxy_offers_every_declared_call() -> None:
    assert declared_calls(ApiProxy) == declared_calls(ManagementApi)


def test_every_call_through_the_proxy_runs_on_the_engine_thread(engine: EngineThread) -> None:
    api = ApiProxy(engine)
    ticks: list[ClockTick] = []
    engine.listen_ticks(ticks.append)
    api.wait(api.start("WEB"))
    api.set_vm("SQL", notes="read on the client, changed on the engine thread")
    api.advance(5.0)
    assert [v.name for v in api.vms()] == ["WEB", "SQL"]
    assert api.vm("WEB").state == "Running"
    assert api.now_seconds >= 5.0
    table = api.vm_table()
    assert table.names == ("WEB", "SQL")
    engine.run_clock(120.0)
    while len(ticks) < 3:
        api.vm_table()  # a client reading while the clock runs
    engine.run_clock(0)
    assert CALLED_FROM and set(CALLED_FROM) == {engine.thread}
    assert threading.current_thread() is not engine.thread


def test_errors_and_events_come_back(engine: EngineThread) -> None:
    api = ApiProxy(engine)
    seen: list[tuple[EngineEvent, threading.Thread]] = []
    stop = api.subscribe(lambda e: seen.append((e, threading.current_thread())))
    with pytest.raises(NotFoundError, match="NOBODY"):
        api.vm("NOBODY")
    api.start("SQL")
    assert seen and {t for _, t in seen} == {engine.thread}
    stop()
    count = len(seen)
    api.advance(1.0)
    assert len(seen) == count


def test_the_clock_says_when_it_cannot_keep_the_speed() -> None:
    # A wall clock that jumps 5 s between readings: a machine far too slow for the speed.
    # Gaps over two seconds are not replayed, so the clock falls behind and says so.
    jumps = iter(range(0, 10**6, 5))
    engine = EngineThread(demo_owner, wall_clock=lambda: float(next(jumps)))
    ticks: list[ClockTick] = []
    done = threading.Event()

    def on_tick(tick: ClockTick) -> None:
        ticks.append(tick)
        if len(ticks) >= 3:
            done.set()

    engine.listen_ticks(on_tick)
    engine.run_clock(10.0)
    assert done.wait(30)
    engine.run_clock(0)
    engine.close()
    assert not ticks[-1].keeping_up and ticks[-1].achieved < 0.9 * ticks[-1].speed


def test_a_clock_that_keeps_up_says_so() -> None:
    def host_only() -> InMemory:
        api = ManagementApi(seed=1)
        api.add_host("HOST", "ws2008r2")
        return InMemory(api)

    engine = EngineThread(host_only)
    ticks: list[ClockTick] = []
    done = threading.Event()
    engine.listen_ticks(lambda t: (ticks.append(t), len(ticks) >= 3 and done.set()))
    engine.run_clock(1.0)  # a tenth of a simulated second per step: no machine is that slow
    assert done.wait(30)
    engine.run_clock(0)
    engine.close()
    assert all(t.keeping_up for t in ticks)
    assert ticks[-1].achieved == pytest.approx(1.0, rel=0.1)


def _state(api: ManagementApi) -> str:
    return json.dumps(snapshot_lab(api.lab), sort_keys=True, default=str)


def test_a_seeded_run_ends_in_the_same_state_however_it_was_driven(tmp_path: Path) -> None:
    # Through the engine thread, a library underneath, its clock running while another
    # thread reads as a console would...
    engine = EngineThread(lambda: open_library(tmp_path / "lib", program="pytest", seed=4))
    api = ApiProxy(engine)
    off = next(v.name for v in api.vms() if v.state == "Off")
    api.start(off)
    stop_reading = threading.Event()

    def read() -> None:
        while not stop_reading.is_set():
            api.vm_table()
            api.host_history()

    reader = threading.Thread(target=read)
    reader.start()
    engine.run_clock(120.0)
    while api.now_seconds < 30:
        api.vm_table()
    engine.run_clock(0)
    stop_reading.set()
    reader.join()
    api.advance(0.25)
    now_us = api.now_us
    # The clock is stopped and nothing else asks: the lab can be read from here.
    state = json.dumps(snapshot_lab(engine.request("lab", None, {})), sort_keys=True,
                       default=str)
    engine.close()
    # ...and directly, in one call: the same engine state, to the byte.
    with open_library(tmp_path / "direct", program="pytest", seed=4) as direct:
        direct.api.start(off)
        direct.api.advance((now_us - direct.api.now_us) / 1e6)
        assert direct.api.now_us == now_us
        assert _state(direct.api) == state


def test_the_timeline_journals_the_engine_thread_s_clock(engine: EngineThread) -> None:
    # The console's clock runs on the engine thread: the timeline must see those calls too.
    api = ApiProxy(engine)
    api.start("WEB")
    api.keep_timeline(10.0)
    engine.run_clock(120.0)
    while api.now_seconds < 60:
        api.vm_table()
    engine.run_clock(0)
    end_us = api.now_us
    at_end = api.capture_state().data
    moments = api.timeline_moments()
    assert len(moments) >= 6 and api.timeline_figures().calls > 10
    middle = moments[len(moments) // 2]
    api.rewind(middle.time_us)
    assert api.now_us == middle.time_us and len(api.host_history()["times"]) > 0
    api.advance((end_us - middle.time_us) / 1e6)  # the same seconds again, in one call
    assert api.capture_state().data == at_end
