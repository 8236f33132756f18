"""Random operation sequences never break the host's invariants (hypothesis state machine).

Invariants after every step: owned memory never exceeds host RAM and no page is owned
twice (the memory map covers each node exactly once); every VM state change the engine
published is a legal Hyper-V transition; a refused operation changes nothing observable.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hvlab.engine.api import ManagementApi
from hvlab.engine.errors import HvError
from hvlab.engine.events import VmStateChanged
from hvlab.engine.lifecycle import LEGAL_TRANSITIONS, PARTITION_STATES, VmState
from hvlab.engine.sim.memory import FREE

from .helpers import BOOT_DISK

NAMES = [f"vm{i}" for i in range(6)]
OPERATIONS = [
    "start",
    "turn_off",
    "shut_down",
    "save",
    "pause",
    "resume",
    "reset",
    "delete_saved_state",
]


def observable(api: ManagementApi) -> Any:
    """Everything a refused operation must leave untouched."""
    host = api.host()
    return (
        [
            (
                v.id,
                v.name,
                v.state,
                v.memory_assigned_mb,
                v.config,
                v.partition_id,
                v.has_saved_state,
            )
            for v in api.vms()
        ],
        [(e.node, e.start_mb, e.size_mb, e.owner) for e in api.memory_map()],
        host.memory_free_mb,
        [(j.id, j.state) for j in api.jobs()],
        api.now_us,
    )


class HostMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # A small host (4 GB over two NUMA nodes) so memory pressure happens often.
        self.api = ManagementApi(seed=7)
        self.api.add_host("H", "ws2008r2", ram_gb=4)
        self.transitions: list[tuple[str, str]] = []
        self.api.subscribe(self._on_event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, VmStateChanged):
            self.transitions.append((event.old, event.new))

    def _existing(self) -> list[str]:
        return [v.name for v in self.api.vms()]

    @rule(
        name=st.sampled_from(NAMES),
        memory=st.sampled_from([256, 512, 1024, 1536, 2048, 3000]),
        cpus=st.integers(1, 4),
        os=st.sampled_from(["ws2008-x64", "nt40-x86", "sles10-x64"]),
    )
    def create(self, name: str, memory: int, cpus: int, os: str) -> None:
        before = observable(self.api)
        try:
            self.api.create_vm(
                name, memory_startup_mb=memory, cpu_count=cpus, guest_os=os, hard_drives=BOOT_DISK
            )
        except HvError:
            assert observable(self.api) == before

    @precondition(lambda self: bool(self._existing()))
    @rule(data=st.data(), op=st.sampled_from(OPERATIONS), legal=st.booleans())
    def operate(self, data: st.DataObject, op: str, legal: bool) -> None:
        """Half the time an operation the engine lists as available, else any operation."""
        name = data.draw(st.sampled_from(self._existing()))
        before = observable(self.api)
        available = self.api.available_operations(name)
        if legal:
            ops = [
                o.value.replace("-", "_")
                for o, why in available.items()
                if why is None and o.value.replace("-", "_") in OPERATIONS
            ]
            if ops:
                op = data.draw(st.sampled_from(ops))
        try:
            getattr(self.api, op)(name)
        except HvError:
            assert observable(self.api) == before, f"refused {op} changed the host"
            return
        # An operation that succeeded must have been listed as available (memory aside).
        key = {
            "turn_off": "turn-off",
            "shut_down": "shut-down",
            "delete_saved_state": "delete-saved-state",
        }.get(op, op)
        assert available[next(o for o in available if o.value == key)] is None

    @precondition(lambda self: bool(self._existing()))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self._existing()))
        before = observable(self.api)
        try:
            self.api.delete_vm(name)
        except HvError:
            assert observable(self.api) == before

    @precondition(lambda self: bool(self._existing()))
    @rule(
        data=st.data(),
        memory=st.sampled_from([128, 512, 1024, 4096, 99999]),
        weight=st.sampled_from([0, 1, 100, 10000, 20000]),
    )
    def set(self, data: st.DataObject, memory: int, weight: int) -> None:
        name = data.draw(st.sampled_from(self._existing()))
        before = observable(self.api)
        try:
            self.api.set_vm(name, memory_startup_mb=memory, cpu_weight=weight)
        except HvError:
            assert observable(self.api) == before

    @precondition(lambda self: bool(self._existing()))
    @rule(data=st.data())
    def cancel_a_job(self, data: st.DataObject) -> None:
        jobs = [j for j in self.api.jobs(active_only=True) if j.cancellable]
        if not jobs:
            return
        job = data.draw(st.sampled_from(jobs))
        self.api.cancel_job(job.id)

    @rule(seconds=st.sampled_from([0.05, 0.3, 1.0, 5.0, 30.0, 60.0]))
    def advance(self, seconds: float) -> None:
        self.api.advance(seconds)

    @precondition(lambda self: any(v.state == "Running" for v in self.api.vms()))
    @rule(planned=st.booleans())
    def host_goes_down(self, planned: bool) -> None:
        if planned:
            self.api.reboot_host()
        else:
            self.api.crash_root_partition()

    @invariant()
    def memory_is_never_overcommitted(self) -> None:
        host = self.api.host()
        extents = self.api.memory_map()
        owned = sum(e.size_mb for e in extents if e.owner != FREE)
        assert owned + host.memory_free_mb == host.memory_total_mb
        assert owned <= host.memory_total_mb
        for node in host.numa_nodes:
            pos = 0
            for e in sorted((e for e in extents if e.node == node.id), key=lambda e: e.start_mb):
                assert e.start_mb == pos, "a page range is owned twice or not at all"
                pos += e.size_mb
            assert pos == node.ram_mb
        lab_host = next(iter(self.api.lab.hosts.values()))
        lab_host.memory.check_invariants()

    @invariant()
    def memory_owners_are_running_partitions(self) -> None:
        for vm in self.api.vms():
            has_partition = VmState(vm.state) in PARTITION_STATES
            assert (vm.partition_id is not None) == has_partition, (vm.name, vm.state)
            if not has_partition:
                assert vm.memory_assigned_mb == 0

    @invariant()
    def transitions_are_legal(self) -> None:
        for old, new in self.transitions:
            assert (VmState(old), VmState(new)) in LEGAL_TRANSITIONS, (old, new)


HostMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestHostMachine = HostMachine.TestCase


class LongHostMachine(HostMachine):
    """The same machine, explored much further (``pytest -m slow``)."""


LongHostMachine.TestCase.settings = settings(
    max_examples=400,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLongHostMachine = pytest.mark.slow(LongHostMachine.TestCase)
