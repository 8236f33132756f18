"""Operation faults for test authors (HVLAB_FAULTS): a job that fails part-way and is undone,
a VM that refuses to stop, a slow job."""

from __future__ import annotations

from pathlib import Path

import pytest

from hvlab.engine.api import ManagementApi
from hvlab.engine.errors import InvalidStateError
from hvlab.engine.faults import FAILING_KINDS, OperationFaults
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
    ("fail-job:everything@40", "the job kind is one of start, save"),
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


@pytest.mark.parametrize(("kind", "setup", "before"), [
    ("start", "off", "Off"), ("start", "saved", "Saved"), ("turn-off", "", "Running"),
    ("turn-off", "paused", "Paused"), ("shut-down", "", "Running"), ("pause", "", "Running"),
    ("resume", "paused", "Paused"),
])
def test_every_timed_vm_job_fails_at_its_percent_and_is_undone(
        api: ManagementApi, kind: str, setup: str, before: str) -> None:
    if setup == "off":
        api.wait(api.turn_off("A"))
    elif setup == "saved":
        api.wait(api.save("A"))
    elif setup == "paused":
        api.wait(api.pause("A"))
    api.inject_faults(f"fail-job:{kind}@40")
    calls = {"start": api.start, "turn-off": api.turn_off, "shut-down": api.shut_down,
             "pause": api.pause, "resume": api.resume}
    job = calls[kind]("A")
    span = job.expected_end_us - job.started_us
    done = api.wait(job)
    assert done.state is JobState.FAILED and done.percent == 40
    assert done.finished_us == job.started_us + -(-span * 40 // 100)
    assert api.vm("A").state == before
    assert any(e.level.value == "Error" and "failed to" in e.message and "HVLAB_FAULTS" in
               e.message for e in api.event_log(vm="A"))
    # What was undone still works: the next request of the same kind completes.
    api.inject_faults("")
    assert api.wait(calls[kind]("A")).state is JobState.COMPLETED
    assert api.vm("B").state == "Running", "another VM is untouched"


def test_a_failed_start_gives_its_memory_back(api: ManagementApi) -> None:
    api.wait(api.turn_off("A"))
    free = api.host("HOST").memory_available_mb
    api.inject_faults("fail-job:start@50")
    api.wait(api.start("A"))
    assert api.vm("A").state == "Off"
    assert api.host("HOST").memory_available_mb == free


def test_a_failed_shut_down_leaves_a_guest_that_can_shut_down_again(api: ManagementApi) -> None:
    api.inject_faults("fail-job:shut-down@60")
    api.wait(api.shut_down("A"))
    assert api.vm("A").heartbeat == "OK"
    api.advance(30)
    assert api.vm("A").state == "Running", "the guest does not finish the abandoned shutdown"


@pytest.mark.parametrize("kind", ["reset", "delete-saved-state", "checkpoint",
                                  "apply-checkpoint", "delete-checkpoint"])
def test_a_job_that_takes_no_time_fails_before_it_changes_anything(
        api: ManagementApi, kind: str) -> None:
    api.wait(api.checkpoint("A", "first"))
    if kind == "delete-saved-state":
        api.wait(api.save("A"))
    before = (api.vm("A").state, [c.name for c in api.checkpoints("A")],
              api.current_checkpoint("A"), api.vm("A").uptime_seconds)
    api.inject_faults(f"fail-job:{kind}@40")
    calls = {"reset": lambda: api.reset("A"),
             "delete-saved-state": lambda: api.delete_saved_state("A"),
             "checkpoint": lambda: api.checkpoint("A"),
             "apply-checkpoint": lambda: api.apply_checkpoint("A", "first"),
             "delete-checkpoint": lambda: api.delete_checkpoint("A", "first")}
    job = calls[kind]()
    assert job.kind == kind and job.state is JobState.FAILED and job.percent == 0
    assert job.error == f"The operation failed: a fault injected with HVLAB_FAULTS " \
                        f"(fail-job:{kind}@40)."
    after = (api.vm("A").state, [c.name for c in api.checkpoints("A")],
             api.current_checkpoint("A"), api.vm("A").uptime_seconds)
    assert after == before
    api.inject_faults("")
    assert calls[kind]().state is JobState.COMPLETED


def test_a_host_restart_is_reported_failed_but_the_host_comes_back(api: ManagementApi) -> None:
    api.inject_faults("fail-job:host-reboot@30")
    done = api.wait(api.reboot_host())
    assert done.state is JobState.FAILED and done.percent == 30
    api.advance(600)
    assert api.host("HOST").hypervisor_running


def test_a_file_job_fails_at_its_percent_and_leaves_no_file(tmp_path: Path) -> None:
    api = ManagementApi(seed=0, storage_root=tmp_path / "lib")
    api.add_host("HOST", "ws2008r2")
    try:
        api.inject_faults("fail-job:new-vhd@40")
        target = tmp_path / "fixed.vhd"
        done = api.wait(api.new_vhd(str(target), 64 * 1024 * 1024, disk_type="fixed"))
        assert done.state is JobState.FAILED and done.percent == 40
        assert done.error is not None and "failed at 40%" in done.error
        assert not target.exists(), "the failed job removed what it wrote"
        api.inject_faults("fail-job:export@40")
        new_vm(api, "E")
        folder = tmp_path / "exported"
        done = api.wait(api.export_vm("E", str(folder)))
        assert done.state is JobState.FAILED
        assert not folder.exists() or not any(folder.rglob("*.vhd"))
    finally:
        api.close()


def test_every_job_kind_the_engine_runs_can_be_failed() -> None:
    """A new kind of job must join FAILING_KINDS (and get its undo) to be made at all."""
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "engine"
    kinds: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("new_job", "_file_job", "_instant_job",
                                           "injected_failure", "new_file_job")):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        kinds.add(arg.value)
                        break
    from hvlab.engine.lifecycle import Operation
    kinds |= {op.value for op in Operation if op.value in ("start", "save", "shut-down",
                                                            "turn-off", "pause", "resume",
                                                            "reset", "delete-saved-state")}
    assert kinds and kinds <= set(FAILING_KINDS), kinds - set(FAILING_KINDS)
