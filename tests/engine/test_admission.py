"""Memory admission: Hyper-V's words, the root reserve, the overhead and NUMA spanning."""

from __future__ import annotations

import pytest

from hvlab.engine.errors import OutOfMemoryError
from hvlab.engine.sim.memory import vm_overhead_mb

from .helpers import boot, make_api, new_vm


def test_host_memory_accounting_counts_hypervisor_and_root_reserve() -> None:
    api = make_api(ram_gb=32)
    host = api.host()
    assert host.memory_total_mb == 32768
    assert host.memory_hypervisor_mb == 300
    assert host.memory_root_mb == 384 + 30 * 32  # Hyper-V's reserve: 384 MB + 30 MB per GB
    assert host.memory_available_mb == 32768 - 300 - 1344


def test_start_takes_startup_ram_plus_overhead_and_stop_frees_it() -> None:
    api = make_api(ram_gb=8)
    new_vm(api, "A", memory_startup_mb=2048)
    free0 = api.host().memory_free_mb
    api.wait(api.start("A"))
    assert api.host().memory_free_mb == free0 - 2048 - vm_overhead_mb(2048)
    assert api.vm("A").memory_assigned_mb == 2048
    api.wait(api.turn_off("A"))
    assert api.host().memory_free_mb == free0
    api.wait(api.start("A"))
    api.advance(5)
    api.wait(api.save("A"))
    assert api.host().memory_free_mb == free0, "a saved VM holds no host memory"


def test_exact_message_and_nothing_changes_when_it_does_not_fit() -> None:
    api = make_api(ram_gb=8)
    available = api.host().memory_available_mb
    # Startup RAM fits, but not with its overhead: the overhead must be counted.
    ram = available - available % 2 - 8
    assert ram + vm_overhead_mb(ram) > available
    vm_id = new_vm(api, "Tight", memory_startup_mb=ram)
    before = (api.host(), api.memory_map(), api.vm("Tight").state)
    with pytest.raises(OutOfMemoryError) as err:
        api.start("Tight")
    text = str(err.value)
    assert err.value.message == "'Tight' failed to start."
    assert (
        f"Not enough memory in the system to start the virtual machine Tight with ram size "
        f"{ram} megabytes. (Virtual machine ID {vm_id})"
    ) in text
    assert "Could not initialize memory: Not enough memory resources are available" in text
    assert (api.host(), api.memory_map(), api.vm("Tight").state) == before
    check = api.start_check("Tight")
    assert not check.ok and check.needed_mb == ram + vm_overhead_mb(ram)
    assert check.available_mb == available
    ids = [e.event_id for e in api.event_log(vm="Tight")]
    assert 12030 in ids and 3122 in ids


def test_ram_that_fits_exactly_starts() -> None:
    api = make_api(ram_gb=8)
    available = api.host().memory_available_mb
    ram = 2
    while (ram + 2) + vm_overhead_mb(ram + 2) <= available:
        ram += 2
    new_vm(api, "Exact", memory_startup_mb=ram)
    assert api.start_check("Exact").ok
    api.wait(api.start("Exact"))
    assert api.vm("Exact").state == "Running"
    assert api.host().memory_free_mb < 2 + 8


def test_numa_spanning_off_refuses_a_vm_larger_than_any_node() -> None:
    api = make_api(ram_gb=32)  # two NUMA nodes of 16 GB
    new_vm(api, "Wide", memory_startup_mb=20480)
    assert api.start_check("Wide").ok  # spanning on (the default): fits across nodes
    api.set_host(numa_spanning=False)
    check = api.start_check("Wide")
    assert not check.ok and "NUMA spanning is disabled" in (check.reason or "")
    with pytest.raises(OutOfMemoryError) as err:
        api.start("Wide")
    assert "must fit in one NUMA node" in str(err.value)
    assert api.vm("Wide").state == "Off"
    api.set_host(numa_spanning=True)
    api.wait(api.start("Wide"))
    nodes = {e.node for e in api.memory_map() if e.owner == "Wide"}
    assert nodes == {0, 1}


def test_numa_spanning_off_places_each_vm_in_one_node() -> None:
    api = make_api(ram_gb=32)
    api.set_host(numa_spanning=False)
    for i in range(3):
        new_vm(api, f"N{i}", memory_startup_mb=6144)
        api.wait(api.start(f"N{i}"))
    for i in range(3):
        assert len({e.node for e in api.memory_map() if e.owner == f"N{i}"}) == 1


def test_demo_sql_big_does_not_fit_while_the_others_run() -> None:
    from hvlab.engine.api import ManagementApi, populate_demo

    api = ManagementApi(seed=0)
    populate_demo(api)
    check = api.start_check("SQL-BIG")
    assert not check.ok and check.needed_mb > check.available_mb
    for name in ("W2K8-DC01", "W2K3-APP01", "NT4-LEGACY", "SLES10-WEB01"):
        api.wait(api.turn_off(name))
    assert api.start_check("SQL-BIG").ok


def test_dynamic_memory_grows_into_free_memory_only() -> None:
    api = make_api(ram_gb=4)
    new_vm(
        api,
        "DM",
        memory_startup_mb=512,
        dynamic_memory_enabled=True,
        memory_minimum_mb=256,
        memory_maximum_mb=8192,
        memory_buffer_pct=20,
        guest_os="ws2019-x64",
    )
    boot(api, "DM", 120)
    info = api.vm("DM")
    assert info.memory_assigned_mb > 512, "demand above startup RAM is met from free memory"
    new_vm(api, "Filler", memory_startup_mb=2048)
    # Whatever the balancer took, the host never hands out more than it has.
    api.advance(30)
    host = api.host()
    assert host.memory_free_mb >= 0
    assert (
        host.memory_vms_mb + host.memory_root_mb + host.memory_hypervisor_mb + host.memory_free_mb
        == host.memory_total_mb
    )
