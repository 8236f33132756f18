"""Operation faults for test authors (HVLAB_FAULTS): a job that fails part-way and is undone,
a VM that refuses to stop, a slow job."""

from __future__ import annotations

import pytest

from hvlab.engine.api import ManagementApi
from hvlab.engine.errors import InvalidStateError
from hvlab.engine.faults import OperationFaults
from hvlab.engine.jobs import JobState

from .helpers import boot, make_api, new_vm


@pytest.fixture
def api() -> ManagementApi:
    api = make_api()
    for name in ("A", "B"):
        new_vm(api, name, memory_startup_mb=1024)
        boot(api, name)
    return api


def test_a_save_fails_at_its_percent_and_the_vm_keeps_running(api: ManagementApi) -> None:
    api.inject_faults("fail-job:save@40")
    job = api.save("A")
    span = job.expected_end_us - job.started_us
    done = api.wait(job)
    assert done.state is JobState.FAILED and done.percent == 40
    assert done.error is not None and "failed at 40%" in done.error and "HVLAB_FAULTS" in done.error
    assert done.finished_us == job.started_us + -(-span * 40 // 100)
    assert api.vm("A").state == "Running", "undone as a cancel undoes it"
    assert any("could not save its state" in e.message and e.level.value == "Error"
               for e in api.event_log(vm="A"))
    # Advancing in small steps reaches the same point; other kinds are untouched.
    job = api.save("B")
    for _ in range(100):
        api.advance(0.25)
    assert api.job(job.id).state is JobState.FAILED and api.vm("B").state == "Running"
    api.inject_faults("")
    assert api.wait(api.save("B")).state is JobState.COMPLETED


def test_a_vm_that_refuses_to_stop(api: ManagementApi) -> None:
    api.inject_faults("refuse-stop:a")
    for stop, verb in ((api.turn_off, "turn off"), (api.shut_down, "shut down")):
        with pytest.raises(InvalidStateError) as refused:
            stop("A")
        assert refused.value.message == f"'A' failed to {verb}."
        assert "The virtual machine is not responding. (0x8007045B)" in refused.value.details
    assert api.vm("A").state == "Running"
    assert api.wait(api.turn_off("B")).state is JobState.COMPLETED


def test_a_slow_job_takes_its_factor_longer(api: ManagementApi) -> None:
    api.wait(api.save("A"))
    plain = api.start("A")
    api.wait(plain)
    api.wait(api.save("A"))
    api.inject_faults("slow:start*6")
    slow = api.start("A")
    span = plain.expected_end_us - plain.started_us
    assert slow.expected_end_us - slow.started_us == 6 * span
    api.advance(5 * span / 1e6)
    assert api.vm("A").state == "Starting", "still starting where it used to be done"
    done = api.wait(slow)
    assert done.state is JobState.COMPLETED
    assert done.finished_us == slow.expected_end_us
    assert api.vm("A").state == "Running"


def test_the_environment_sets_the_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HVLAB_FAULTS", "slow:pause*2, refuse-stop:XP-CLIENT")
    faults = ManagementApi(seed=0).faults
    assert faults == OperationFaults({}, frozenset({"xp-client"}), {"pause": 2.0})


@pytest.mark.parametrize(("text", "why"), [
    ("fail-job:start@40", "a job that can fail part-way is one of save"),
    ("fail-job:save@100", "the percent after @ must be a whole number, 1 to 99"),
    ("fail-job:save", "the percent after @ must be a whole number, 1 to 99"),
    ("slow:save*0.5", "the factor after * must be 1 to 100"),
    ("slow:save*nan", "the factor after * must be 1 to 100"),
    ("slow:export*2", "a job that can be slowed is one of start, save"),
    ("refuse-stop:", "name the virtual machine after the colon"),
    ("hang:everything", "it starts with fail-job:, refuse-stop: or slow:"),
])
def test_a_bad_fault_says_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=r"HVLAB_FAULTS: '.*' is not a fault: ") as bad:
        OperationFaults.parse(text)
    assert why in str(bad.value)
    api = make_api()
    with pytest.raises(ValueError):
        api.inject_faults(text)
    assert not api.faults, "a refused fault leaves none in force"


def test_a_slow_fault_also_slows_the_jobs_the_host_starts_by_itself() -> None:
    """The service's own jobs honour the fault too: a host restart's automatic start."""
    def automatic_start_span(faults: str) -> int:
        api = make_api()
        new_vm(api, "A", memory_startup_mb=1024)
        boot(api, "A")
        api.inject_faults(faults)
        api.wait(api.reboot_host())
        api.advance(600)  # the automatic start delay, then the start itself
        last = [j for j in api.jobs() if j.kind == "start"][-1]
        assert last.state is JobState.COMPLETED and api.vm("A").state == "Running"
        return last.expected_end_us - last.started_us

    assert automatic_start_span("slow:start*6") == 6 * automatic_start_span("")
