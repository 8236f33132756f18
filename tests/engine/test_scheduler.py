"""The CPU scheduler: reserve, limit and weight as Hyper-V defines them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hvlab.engine.api import ManagementApi
from hvlab.engine.errors import ResourceLimitError
from hvlab.engine.sim.scheduler import schedule, water_fill

from .helpers import burner, make_api, mean_usage_lp, new_vm


def host_with_lps(lps: int) -> ManagementApi:
    return make_api("ws2012r2", sockets=1, cores_per_socket=lps, threads_per_core=1, ram_gb=64)


def settle(api: ManagementApi) -> None:
    api.advance(120)  # every guest has booted into its workload
    assert all(v.guest_phase == "Running" for v in api.vms() if v.state == "Running")


def test_weights_200_to_100_share_one_lp_two_to_one() -> None:
    api = host_with_lps(1)
    burner(api, "Heavy", cpu_weight=200)
    burner(api, "Light", cpu_weight=100)
    settle(api)
    got = mean_usage_lp(api, ["Heavy", "Light"])
    share = got["Heavy"] / (got["Heavy"] + got["Light"])
    assert share == pytest.approx(2 / 3, abs=0.02)
    assert got["Heavy"] + got["Light"] == pytest.approx(1.0, abs=0.06)  # root + hypervisor


def test_limit_25_percent_caps_a_4_vp_vm_at_one_lp_on_an_idle_host() -> None:
    api = host_with_lps(8)
    burner(api, "Capped", cpu_count=4, cpu_limit_pct=25)
    settle(api)
    peak = 0.0
    for _ in range(100):
        api.advance(0.1)
        peak = max(peak, api.vm("Capped").cpu_usage_percent / 100 * 8)
    assert peak <= 1.0 + 1e-9
    assert mean_usage_lp(api, ["Capped"])["Capped"] == pytest.approx(1.0, abs=0.02)


def test_reserve_50_percent_holds_against_ten_burners() -> None:
    api = host_with_lps(4)
    burner(api, "Reserved", cpu_count=2, cpu_reserve_pct=50, cpu_weight=1)
    names = [f"Hog{i}" for i in range(10)]
    for name in names:
        burner(api, name, cpu_count=2, cpu_weight=10000)
    settle(api)
    got = mean_usage_lp(api, ["Reserved", *names])
    assert got["Reserved"] >= 1.0 - 1e-9
    assert sum(got.values()) <= 4.0


def test_an_uncontended_vm_gets_all_it_demands() -> None:
    api = host_with_lps(8)
    burner(api, "Alone", cpu_count=4)
    settle(api)
    assert mean_usage_lp(api, ["Alone"])["Alone"] == pytest.approx(4.0, abs=0.02)


def test_a_vm_whose_reserve_cannot_be_met_does_not_start() -> None:
    api = host_with_lps(2)
    burner(api, "First", cpu_count=2, cpu_reserve_pct=60)
    api.advance(5)
    new_vm(api, "Second", cpu_count=2, cpu_reserve_pct=50)
    before = (api.vm("Second"), api.memory_map(), api.host().memory_free_mb)
    assert not api.start_check("Second").ok
    with pytest.raises(ResourceLimitError) as err:
        api.start("Second")
    assert "reserve cannot be met" in str(err.value)
    assert (api.vm("Second"), api.memory_map(), api.host().memory_free_mb) == before


def test_weight_does_nothing_without_contention() -> None:
    api = host_with_lps(8)
    burner(api, "A", cpu_weight=1)
    burner(api, "B", cpu_weight=10000)
    settle(api)
    got = mean_usage_lp(api, ["A", "B"])
    assert got["A"] == pytest.approx(1.0, abs=0.02) and got["B"] == pytest.approx(1.0, abs=0.02)


def test_contention_demo_weights_100_200_400() -> None:
    api = host_with_lps(2)
    for name, weight in (("W100", 100), ("W200", 200), ("W400", 400)):
        burner(api, name, cpu_count=2, cpu_weight=weight)
    settle(api)
    got = mean_usage_lp(api, ["W100", "W200", "W400"])
    total = sum(got.values())
    assert got["W100"] / total == pytest.approx(1 / 7, abs=0.02)
    assert got["W400"] / total == pytest.approx(4 / 7, abs=0.02)


@given(
    st.lists(
        st.tuples(
            st.floats(0, 8),
            st.integers(1, 8),
            st.floats(0, 1),
            st.floats(0, 1),
            st.integers(1, 10000),
        ),
        min_size=1,
        max_size=20,
    ),
    st.floats(0.1, 16),
)
def test_schedule_never_exceeds_capacity_demand_or_limit(
    vms: list[tuple[float, int, float, float, int]], capacity: float
) -> None:
    vps = np.array([v[1] for v in vms], dtype=np.int32)
    demand = np.minimum(np.array([v[0] for v in vms]), vps)
    a = np.array([v[2] for v in vms])
    b = np.array([v[3] for v in vms])
    reserve, limit = np.minimum(a, b), np.maximum(a, b)
    weight = np.array([float(v[4]) for v in vms])
    if float((reserve * vps).sum()) > capacity:
        return  # admission refuses this set
    got = schedule(demand, vps, reserve, limit, weight, capacity)
    assert np.all(got >= -1e-12)
    assert np.all(got <= np.minimum(demand, limit * vps) + 1e-9)
    assert got.sum() <= capacity + 1e-9
    wanted = float(np.minimum(demand, limit * vps).sum())
    assert got.sum() == pytest.approx(min(capacity, wanted), abs=1e-6)  # work-conserving
    assert np.all(got >= np.minimum(np.minimum(demand, limit * vps), reserve * vps) - 1e-9)


@given(
    st.lists(st.tuples(st.floats(0.01, 4), st.integers(1, 10000)), min_size=1, max_size=30),
    st.floats(0.01, 20),
)
def test_water_fill_is_weighted_max_min_fair(
    items: list[tuple[float, int]], capacity: float
) -> None:
    need = np.array([i[0] for i in items])
    weight = np.array([float(i[1]) for i in items])
    got = water_fill(need, weight, capacity)
    assert got.sum() == pytest.approx(min(capacity, need.sum()), rel=1e-9, abs=1e-9)
    unsatisfied = got < need - 1e-9
    if unsatisfied.any():
        level = got[unsatisfied] / weight[unsatisfied]
        assert np.allclose(level, level[0], rtol=1e-6)
        # Nobody satisfied had a higher level than the common one.
        assert np.all(need[~unsatisfied] / weight[~unsatisfied] <= level[0] * (1 + 1e-6))
