"""The memory map: one owner per page, no overcommit, NUMA-aware placement."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hvlab.engine.sim.memory import FREE, MemoryMap, MemoryShortageError, pages_mb, vm_overhead_mb


def test_overhead_is_32_mb_for_the_first_gb_plus_8_per_further_gb() -> None:
    assert vm_overhead_mb(512) == 32
    assert vm_overhead_mb(1024) == 32
    assert vm_overhead_mb(1026) == 40
    assert vm_overhead_mb(2048) == 40
    assert vm_overhead_mb(4096) == 56
    assert vm_overhead_mb(28672) == 32 + 8 * 27


def test_allocation_prefers_one_node_and_spans_only_when_allowed() -> None:
    m = MemoryMap({0: 1024, 1: 1024})
    m.allocate("a", 800, spanning=True)
    assert {e.node for e in m.extents() if e.owner == "a"} in ({0}, {1})
    with pytest.raises(MemoryShortageError) as err:
        m.allocate("b", 1100, spanning=False)
    assert err.value.largest_node_free_mb == 1024
    assert m.owned_mb("b") == 0  # refused: nothing changed
    m.allocate("b", 1100, spanning=True)
    assert {e.node for e in m.extents() if e.owner == "b"} == {0, 1}
    m.check_invariants()


def test_refused_allocation_changes_nothing() -> None:
    m = MemoryMap({0: 512})
    m.allocate("a", 300, spanning=True)
    before = m.extents()
    with pytest.raises(MemoryShortageError):
        m.allocate("b", 300, spanning=True)
    assert m.extents() == before


def test_release_part_and_all() -> None:
    m = MemoryMap({0: 1024})
    m.allocate("a", 600, spanning=True)
    assert m.release("a", 100) == 100
    assert m.owned_mb("a") == 500
    assert m.release("a") == 500
    assert m.extents() == MemoryMap({0: 1024}).extents()


@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.integers(-300, 700), st.booleans()), max_size=60
    )
)
def test_random_allocations_keep_every_page_owned_exactly_once(
    ops: list[tuple[str, int, bool]],
) -> None:
    m = MemoryMap({0: 2048, 1: 1024})
    for owner, mb, spanning in ops:
        if mb >= 0:
            with contextlib.suppress(MemoryShortageError):
                m.allocate(owner, mb, spanning=spanning)
        else:
            m.release(owner, -mb)
        m.check_invariants()
        assert sum(m.owners().values()) == m.total_mb
        assert m.free_mb() == sum(e.size_mb for e in m.extents() if e.owner == FREE)
        assert all(e.size_mb % 2 == 0 for e in m.extents())


def test_round_trip_through_dict() -> None:
    m = MemoryMap({0: 1024, 1: 1024})
    m.allocate("x", 1500, spanning=True)
    again = MemoryMap.from_dict(m.to_dict())
    assert again.extents() == m.extents()
    assert again.owners() == m.owners()


def test_pages_are_two_megabytes() -> None:
    assert pages_mb(1) == 2
    assert pages_mb(1025) == 1026
