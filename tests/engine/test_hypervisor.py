"""The hypervisor: launch requirements, partitions made by hypercalls, privilege checks."""

from __future__ import annotations

import pytest

from hvlab.engine.errors import HypervisorNotRunningError
from hvlab.engine.sim.hypervisor import HvStatus

from .helpers import boot, make_api, new_vm


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("virtualization_enabled", "Hardware-assisted virtualization (VT-x) is disabled"),
        ("nx_enabled", "Data Execution Prevention (NX/XD) is disabled"),
    ],
)
def test_without_a_requirement_no_vm_starts_until_enabled_and_rebooted(
    setting: str, words: str
) -> None:
    api = make_api()
    new_vm(api, "A")
    api.set_host(**{setting: False})
    assert api.host().pending_reboot and api.host().hypervisor_running
    api.wait(api.reboot_host())
    host = api.host()
    assert not host.hypervisor_running
    assert any(words in b for b in host.hypervisor_blockers)
    with pytest.raises(HypervisorNotRunningError) as err:
        api.start("A")
    text = str(err.value)
    assert "The virtual machine could not be started because the hypervisor is not running." in text
    assert words in text
    assert api.vm("A").state == "Off"
    assert not api.start_check("A").ok
    assert any(e.event_id in (41, 42) for e in api.event_log())
    api.set_host(**{setting: True})
    api.wait(api.reboot_host())
    assert api.host().hypervisor_running
    api.wait(api.start("A"))
    assert api.vm("A").state == "Running"


def test_a_32_bit_host_cannot_run_the_hypervisor() -> None:
    from dataclasses import replace

    from hvlab.engine.profiles import get_profile
    from hvlab.engine.sim.hypervisor import launch_blockers

    hw = replace(get_profile("ws2008").hardware, x64=False)
    assert launch_blockers(hw) == ["The processor is not a 64-bit (x64) processor."]


def test_start_creates_a_child_partition_through_hypercalls() -> None:
    api = make_api()
    new_vm(api, "A", cpu_count=2)
    api.wait(api.start("A"))
    counters = {c.partition: c for c in api.hypercall_counters()}
    root = counters["Root"]
    for call in ("HvCreatePartition", "HvInitializePartition", "HvMapGpaPages", "HvCreateVp"):
        assert root.calls[call] >= 1, call
    child = counters["A"]
    assert child.partition_id == api.vm("A").partition_id
    api.wait(api.turn_off("A"))
    assert {c.partition for c in api.hypercall_counters()} == {"Root"}
    assert counters["Root"].calls.get("HvDeletePartition", 0) == 0  # snapshot taken before
    assert next(c for c in api.hypercall_counters()).calls["HvDeletePartition"] == 1


def test_child_privileged_hypercalls_are_denied_counted_logged_and_change_nothing() -> None:
    api = make_api()
    new_vm(api, "Evil")
    new_vm(api, "Victim")
    boot(api, "Evil", 5)
    boot(api, "Victim", 5)
    before = (api.memory_map(), [v.partition_id for v in api.vms()])
    result = api.issue_hypercall("Evil", "HvCreatePartition")
    assert result.status is HvStatus.ACCESS_DENIED
    result = api.issue_hypercall("Evil", "HvMapGpaPages", target_vm="Victim", mb=512)
    assert result.status is HvStatus.ACCESS_DENIED
    assert (api.memory_map(), [v.partition_id for v in api.vms()]) == before
    evil = next(c for c in api.hypercall_counters() if c.partition == "Evil")
    assert evil.denied == {"HvCreatePartition": 1, "HvMapGpaPages": 1}
    denials = [e for e in api.event_log(vm="Evil") if e.event_id == 16640]
    assert len(denials) == 2
    assert "HvCreatePartition" in denials[0].message and "ACCESS_DENIED" in denials[0].message
    # Unprivileged calls a child may make, on its own connection, are counted, not denied.
    [own] = [c for c in api.vmbus_connections("Evil") if c.label == "vmbus"]
    assert api.issue_hypercall("Evil", "HvPostMessage", connection_id=own.connection_id).ok
    evil = next(c for c in api.hypercall_counters() if c.partition == "Evil")
    assert evil.calls == {"HvPostMessage": 1}


def test_a_child_cannot_map_memory_even_into_itself() -> None:
    api = make_api()
    new_vm(api, "A")
    boot(api, "A", 5)
    hv = next(iter(api.lab.hosts.values())).hypervisor
    assert hv is not None
    pid = api.vm("A").partition_id
    assert pid is not None
    # A child asking to map pages into itself or its sibling: denied.
    assert hv.hypercall(pid, "HvMapGpaPages", pid, mb=2).status is HvStatus.ACCESS_DENIED
    assert hv.hypercall(hv.ROOT_ID, "HvNoSuchCall").status is HvStatus.INVALID_HYPERCALL_CODE


def test_root_partition_crash_takes_every_child_down_and_the_host_reboots() -> None:
    api = make_api()
    for name in ("A", "B", "C"):
        new_vm(api, name, automatic_start_action="Nothing")
    boot(api, "A", 1)
    boot(api, "B", 1)
    api.wait(api.save("B"))
    boot(api, "C", 60)
    job = api.crash_root_partition()
    assert api.vm("A").state == "Off" and api.vm("C").state == "Off"
    assert api.vm("B").state == "Saved", "a saved VM's state is on disk and survives"
    assert api.host().rebooting and not api.host().hypervisor_running
    crashed = [e for e in api.event_log() if e.event_id == 18590]
    assert sorted(e.vm_name for e in crashed) == ["A", "C"]
    assert any(e.event_id == 1001 for e in api.event_log())
    api.wait(job)
    assert api.host().hypervisor_running and not api.host().rebooting
    assert api.host().memory_vms_mb == 0


def test_after_a_crash_start_if_running_vms_come_back() -> None:
    api = make_api()
    new_vm(api, "Auto", automatic_start_action="StartIfRunning")
    new_vm(api, "Manual", automatic_start_action="Nothing")
    boot(api, "Auto", 1)
    boot(api, "Manual", 1)
    api.wait(api.crash_root_partition())
    api.advance(5)
    assert api.vm("Auto").state == "Running"
    assert api.vm("Manual").state == "Off"
