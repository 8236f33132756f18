"""VM lifecycle with Hyper-V's states, jobs in simulated time, and the guest's boot."""

from __future__ import annotations

from pathlib import Path

import pytest

from hvlab.engine.errors import InvalidStateError
from hvlab.engine.jobs import JobState
from hvlab.engine.lifecycle import LEGAL_STATES, Operation, VmState

from .helpers import boot, make_api, new_generation2_vm, new_vm


def states_of(api, name):  # type: ignore[no-untyped-def]
    seen = []
    api.subscribe(
        lambda e: (
            seen.append(e.new) if getattr(e, "name", None) == name and hasattr(e, "new") else None
        )
    )
    return seen


def test_start_goes_through_starting_to_running_in_simulated_time() -> None:
    api = make_api()
    new_vm(api, "A", memory_startup_mb=2048)
    seen = states_of(api, "A")
    job = api.start("A")
    assert job.state is JobState.RUNNING and api.vm("A").state == "Starting"
    assert api.vm("A").status.startswith("Starting (")
    api.advance(0.5)
    assert 0 < api.job(job.id).percent < 100
    assert api.wait(job).state is JobState.COMPLETED
    assert seen == ["Starting", "Running"]
    assert api.vm("A").uptime_seconds == pytest.approx(0.0, abs=0.11)
    api.advance(10)
    assert api.vm("A").uptime_seconds == pytest.approx(10.0, abs=0.11)


def test_guest_boots_firmware_loader_os_services_then_heartbeat() -> None:
    api = make_api()
    new_vm(api, "A")
    api.wait(api.start("A"))
    phases = []
    for _ in range(80):
        phase = api.vm("A").guest_phase
        if not phases or phases[-1] != phase:
            phases.append(phase)
        api.advance(1)
    assert phases == [
        "Firmware",
        "Boot loader",
        "Operating system starting",
        "Integration services starting",
        "Running",
    ]
    info = api.vm("A")
    assert info.heartbeat == "OK" and info.status == "Operating normally"
    text = "\n".join(line for _, line in api.console("A")[1])
    assert "BIOS" in text and "Windows Boot Manager" in text
    assert "Integration service started: Heartbeat" in text


def test_generation_2_boots_uefi() -> None:
    api = make_api("ws2012r2")
    new_generation2_vm(api, "G2", "ws2012r2-x64")
    boot(api, "G2", 80)
    text = "\n".join(line for _, line in api.console("G2")[1])
    assert "UEFI" in text and api.vm("G2").heartbeat == "OK"


def test_no_bootable_disk_shows_a_boot_failure_and_stays_running() -> None:
    api = make_api()
    api.create_vm("Blank")
    boot(api, "Blank", 30)
    info = api.vm("Blank")
    assert info.state == "Running" and info.guest_phase == "No boot device"
    text = "\n".join(line for _, line in api.console("Blank")[1])
    assert "Reboot and Select proper Boot device" in text


def test_too_little_memory_for_the_guest_halts_it() -> None:
    api = make_api()
    new_vm(api, "Tiny", memory_startup_mb=64, guest_os="ws2008-x64")
    boot(api, "Tiny", 30)
    assert api.vm("Tiny").guest_phase == "Halted"
    assert "INSTALL_MORE_MEMORY" in "\n".join(t for _, t in api.console("Tiny")[1])


def test_shut_down_needs_the_shutdown_integration_service() -> None:
    api = make_api()
    new_vm(api, "NT4", guest_os="nt40-x86", memory_startup_mb=128, guest_is_installed=False)
    new_vm(api, "W2K3", guest_os="ws2003sp2-x86", guest_is_installed=False)
    new_vm(api, "W2K8")
    for name in ("NT4", "W2K3", "W2K8"):
        boot(api, name, 0)
    reason = api.available_operations("W2K8")[Operation.SHUT_DOWN]
    assert reason is not None and "has not started yet" in reason
    api.advance(90)
    assert api.available_operations("W2K8")[Operation.SHUT_DOWN] is None
    for name, words in (
        ("NT4", "does not exist for Windows NT 4.0"),
        ("W2K3", "not installed in the guest"),
    ):
        reason = api.available_operations(name)[Operation.SHUT_DOWN]
        assert reason is not None and words in reason
        with pytest.raises(InvalidStateError) as err:
            api.shut_down(name)
        assert "Operating System Shutdown integration service" in str(err.value)
        assert api.vm(name).state == "Running"
    api.set_vm("W2K8", integration_services=["heartbeat", "time_sync"])
    assert "turned off in the virtual machine's settings" in (
        api.available_operations("W2K8")[Operation.SHUT_DOWN] or ""
    )
    api.set_vm("W2K8", integration_services=["shutdown", "heartbeat"])
    job = api.shut_down("W2K8")
    assert api.vm("W2K8").state == "Stopping"
    api.wait(job)
    assert api.vm("W2K8").state == "Off"
    assert any("was shut down by the guest" in e.message for e in api.event_log(vm="W2K8"))


def test_save_and_restore_continue_where_the_guest_was() -> None:
    api = make_api()
    new_vm(api, "A")
    api.wait(api.start("A"))
    api.advance(10)  # mid-boot: OS starting
    phase = api.vm("A").guest_phase
    assert phase == "Operating system starting"
    job = api.save("A")
    assert api.vm("A").state == "Saving" and job.cancellable
    api.wait(job)
    info = api.vm("A")
    assert info.state == "Saved" and info.has_saved_state and info.memory_assigned_mb == 0
    api.advance(1000)  # time passes while saved: the guest does not move
    assert api.vm("A").guest_phase == phase
    api.wait(api.start("A"))
    assert api.vm("A").guest_phase == phase
    api.advance(60)
    assert api.vm("A").guest_phase == "Running"


def test_pause_freezes_the_guest_and_resume_continues() -> None:
    api = make_api()
    new_vm(api, "A")
    api.wait(api.start("A"))
    api.advance(3)
    api.wait(api.pause("A"))
    phase = api.vm("A").guest_phase
    assert api.vm("A").state == "Paused"
    api.advance(500)
    assert api.vm("A").guest_phase == phase
    assert api.vm("A").cpu_usage_percent == 0.0
    api.wait(api.resume("A"))
    api.advance(80)
    assert api.vm("A").guest_phase == "Running"


def test_cancelling_a_save_returns_the_vm_to_running() -> None:
    api = make_api()
    new_vm(api, "A", memory_startup_mb=4096)
    boot(api, "A", 60)
    free = api.host().memory_free_mb
    job = api.save("A")
    api.advance(1)
    cancelled = api.cancel_job(job.id)
    assert cancelled.state is JobState.CANCELLED
    assert api.vm("A").state == "Running" and api.host().memory_free_mb == free
    api.advance(60)
    assert api.vm("A").state == "Running"
    with pytest.raises(InvalidStateError):
        api.cancel_job(api.wait(api.pause("A")).id)


def test_reset_reboots_the_guest() -> None:
    api = make_api()
    new_vm(api, "A")
    boot(api, "A", 80)
    api.reset("A")
    assert api.vm("A").state == "Running" and api.vm("A").guest_phase == "Firmware"


def test_delete_saved_state_and_delete() -> None:
    api = make_api()
    new_vm(api, "A")
    boot(api, "A", 5)
    api.wait(api.save("A"))
    with pytest.raises(InvalidStateError):
        api.turn_off("A")
    api.delete_saved_state("A")
    assert api.vm("A").state == "Off" and not api.vm("A").has_saved_state
    api.delete_vm("A")
    assert api.vms() == []


def test_rename_keeps_id_and_rejects_duplicates() -> None:
    api = make_api()
    vm_id = new_vm(api, "A")
    new_vm(api, "B")
    api.rename("A", "Alpha")
    assert api.vm(vm_id).name == "Alpha"
    with pytest.raises(Exception, match="already exists"):
        api.rename("Alpha", "b")


@pytest.mark.parametrize("state", ["Off", "Running", "Paused", "Saved"])
def test_illegal_operations_get_the_invalid_state_error_and_change_nothing(
        state: str, tmp_path: Path) -> None:
    api = make_api()
    new_vm(api, "A")
    if state != "Off":
        boot(api, "A", 70)
    if state == "Paused":
        api.wait(api.pause("A"))
    if state == "Saved":
        api.wait(api.save("A"))
    assert api.vm("A").state == state
    available = api.available_operations("A")
    for op in Operation:
        legal = VmState(state) in LEGAL_STATES[op]
        assert (available[op] is None) == (
            legal and (op is not Operation.SHUT_DOWN or state == "Running")
            and op is not Operation.REVERT  # no checkpoint to revert to
        ), op
        if legal:
            continue
        before = (api.vm("A"), api.memory_map())
        method = {
            Operation.DELETE: api.delete_vm,
            Operation.EXPORT: lambda ref: api.export_vm(ref, str(tmp_path / "export")),
        }.get(op) or getattr(api, op.value.replace("-", "_"))
        args = ("A", "NewName") if op is Operation.RENAME else ("A",)
        with pytest.raises(InvalidStateError) as err:
            method(*args)
        assert "The operation cannot be performed while the object is in its current state." in str(
            err.value
        )
        assert (api.vm("A"), api.memory_map()) == before


def test_transitional_states_refuse_everything() -> None:
    api = make_api()
    new_vm(api, "A")
    api.start("A")
    assert all(reason is not None for reason in api.available_operations("A").values())


def test_planned_host_reboot_applies_stop_actions_and_start_actions() -> None:
    api = make_api()
    new_vm(api, "Saver", automatic_stop_action="Save")
    new_vm(api, "Killer", automatic_stop_action="TurnOff", automatic_start_action="Nothing")
    new_vm(api, "Always", automatic_start_action="Start", automatic_start_delay_s=30)
    boot(api, "Saver", 70)
    boot(api, "Killer", 0)
    job = api.reboot_host()
    assert api.vm("Saver").state == "Saved" and api.vm("Killer").state == "Off"
    api.wait(job)
    api.advance(20)
    assert api.vm("Saver").state == "Running", "restored: it was running when the host stopped"
    assert api.vm("Saver").guest_phase == "Running"
    assert api.vm("Killer").state == "Off"
    assert api.vm("Always").state == "Off"  # its 30 s delay has not passed
    api.advance(15)
    assert api.vm("Always").state in ("Starting", "Running")


def test_same_seed_same_run_and_one_vm_does_not_change_another() -> None:
    def run(extra: bool) -> list[float]:
        api = make_api(seed=42)
        new_vm(api, "A", cpu_count=2)
        if extra:
            new_vm(api, "Z")
            api.start("Z")
        api.start("A")
        samples = []
        for _ in range(50):
            api.advance(0.5)
            samples.append(api.lab.sim.table.cpu_demand_lp[api.lab.find_vm(api.vm("A").id)[1].slot])
        return samples

    assert run(False) == run(False)
    assert run(False) == run(True)
