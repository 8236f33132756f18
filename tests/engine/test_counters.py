"""Performance counters and their history."""

from __future__ import annotations

import numpy as np
import pytest

from hvlab.engine.errors import NotFoundError

from .helpers import make_api, new_vm

LP = "Hyper-V Hypervisor Logical Processor"
VP = "Hyper-V Hypervisor Virtual Processor"


def busy_host():  # type: ignore[no-untyped-def]
    api = make_api("ws2012r2", sockets=1, cores_per_socket=4, threads_per_core=1, ram_gb=64)
    new_vm(api, "Burn", guest_os="ws2012r2-x64", workload="cpu-burner", cpu_count=2)
    new_vm(api, "Legacy", guest_os="ws2003sp2-x86", guest_is_installed=False, workload="cpu-burner")
    api.start("Burn")
    api.start("Legacy")
    api.advance(120)
    return api


def test_history_keeps_600_one_second_samples() -> None:
    api = busy_host()
    api.advance(700)
    times, values = api.counter_history(LP, "% Total Run Time")
    assert len(times) == len(values) == 600
    assert np.allclose(np.diff(times), 1.0)
    assert times[-1] == pytest.approx(api.now_seconds, abs=1.0)


def test_logical_processor_time_adds_up() -> None:
    api = busy_host()
    _, total = api.counter_history(LP, "% Total Run Time")
    _, guest = api.counter_history(LP, "% Guest Run Time")
    _, hv = api.counter_history(LP, "% Hypervisor Run Time")
    _, idle = api.counter_history(LP, "% Idle Time")
    assert np.allclose(total, guest + hv)
    assert np.allclose(total + idle, 100.0)
    # Three VPs burn on four LPs: about 75 % busy, plus the root and hypervisor.
    assert total[-1] == pytest.approx(75 + 1.5, abs=2.0)


def test_unenlightened_guests_spend_more_time_in_the_hypervisor() -> None:
    api = busy_host()
    _, enl = api.counter_history(VP, "% Hypervisor Run Time", "Burn:Hv VP 0")
    _, legacy = api.counter_history(VP, "% Hypervisor Run Time", "Legacy:Hv VP 0")
    assert legacy[-1] > 2.5 * enl[-1]
    _, calls = api.counter_history(VP, "Hypercalls/sec", "Legacy:Hv VP 0")
    assert calls[-1] == 0.0, "a guest without enlightenments makes no hypercalls"
    _, calls = api.counter_history(VP, "Hypercalls/sec", "Burn:Hv VP 1")
    assert calls[-1] > 0


def test_vp_counters_match_the_vm_list() -> None:
    api = busy_host()
    api.advance(1.0)
    _, vp0 = api.counter_history(VP, "% Total Run Time", "Burn:Hv VP 0")
    _, vp1 = api.counter_history(VP, "% Total Run Time", "Burn:Hv VP 1")
    # The VM list shows % of the whole host: 2 VPs at ~100 % on 4 LPs = 50 %.
    assert (vp0[-1] + vp1[-1]) / 4 == pytest.approx(api.vm("Burn").cpu_usage_percent, abs=1.0)


def test_instances_and_sets_are_listed_like_perfmon() -> None:
    api = busy_host()
    sets = {s.name: s for s in api.counter_sets()}
    assert {
        LP,
        VP,
        "Hyper-V Hypervisor Root Virtual Processor",
        "Hyper-V Hypervisor",
        "Hyper-V Dynamic Memory Balancer",
        "Hyper-V Dynamic Memory VM",
    } <= set(sets)
    assert sets[LP].instances == ("_Total", "Hv LP 0", "Hv LP 1", "Hv LP 2", "Hv LP 3")
    assert "Burn:Hv VP 1" in sets[VP].instances and "Legacy:Hv VP 0" in sets[VP].instances
    values = {v.path: v.value for v in api.counter_values(counter_set="Hyper-V Hypervisor")}
    assert values["\\Hyper-V Hypervisor\\Logical Processors"] == 4
    assert values["\\Hyper-V Hypervisor\\Partitions"] == 3  # root + two children
    with pytest.raises(NotFoundError):
        api.counter_history(VP, "% Total Run Time", "Nobody:Hv VP 0")
    with pytest.raises(NotFoundError):
        api.counter_values(counter_set="No Such Set")


def test_vm_history_series() -> None:
    api = busy_host()
    hist = api.vm_history("Burn")
    assert len(hist["times"]) == len(hist["cpu_lp"]) > 100
    assert hist["cpu_lp"][-1] == pytest.approx(2.0, abs=0.05)
    assert hist["memory_assigned_mb"][-1] == 1024
