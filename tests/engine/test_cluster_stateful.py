"""Random sequences of migrations, cancels and node failures keep the cluster's invariants
(hypothesis state machine): every VM is owned by exactly one node, no node's memory is
ever overcommitted, no VM is lost, a failed node runs nothing, and every state change is a
legal Hyper-V transition.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hvlab.engine.errors import HvError
from hvlab.engine.events import VmStateChanged
from hvlab.engine.lifecycle import LEGAL_TRANSITIONS, PARTITION_STATES, VmState
from hvlab.engine.sim.memory import FREE

from .helpers import ha_vm, make_cluster

NODES = ["NODE1", "NODE2", "NODE3"]
VMS = [f"VM{i}" for i in range(6)]


class ClusterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Small nodes (4 GB) so that memory admission bites often.
        self.api = make_cluster(nodes=3, ram_gb=4, seed=3)
        for i, name in enumerate(VMS):
            ha_vm(self.api, name, host=NODES[i % 3], memory_mb=(512, 1024, 1536)[i % 3],
                  workload=("idle", "web", "memory-writer")[i % 3],
                  priority=("high", "medium", "low")[i % 3], start=False)
        self.ids = {v.id for v in self.api.vms()}
        self.transitions: list[tuple[str, str]] = []
        self.api.subscribe(self._on_event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, VmStateChanged):
            self.transitions.append((event.old, event.new))

    @rule(name=st.sampled_from(VMS))
    def start(self, name: str) -> None:
        with contextlib.suppress(HvError):
            self.api.start(name)

    @rule(name=st.sampled_from(VMS), to=st.sampled_from(NODES), live=st.booleans())
    def migrate(self, name: str, to: str, live: bool) -> None:
        owner_before = self.api.vm(name).host_id
        try:
            self.api.migrate_vm(name, to, live=live)
        except HvError:
            assert self.api.vm(name).host_id == owner_before

    @rule(data=st.data())
    def cancel_a_job(self, data: st.DataObject) -> None:
        jobs = [j for j in self.api.jobs(active_only=True) if j.cancellable]
        if jobs:
            self.api.cancel_job(data.draw(st.sampled_from(jobs)).id)

    @precondition(lambda self: sum(not h.failed for h in self.api.lab.hosts.values()) > 1)
    @rule(node=st.sampled_from(NODES), crash=st.booleans())
    def fail_node(self, node: str, crash: bool) -> None:
        with contextlib.suppress(HvError):
            self.api.fail_node(node, mode="crash" if crash else "power-off")

    @rule(node=st.sampled_from(NODES))
    def restore_node(self, node: str) -> None:
        with contextlib.suppress(HvError):
            self.api.restore_node(node)

    @rule(seconds=st.sampled_from([0.05, 0.3, 1.0, 3.0, 10.0, 60.0]))
    def advance(self, seconds: float) -> None:
        self.api.advance(seconds)

    @invariant()
    def every_vm_is_owned_by_exactly_one_node(self) -> None:
        owned = [vm_id for h in self.api.lab.hosts.values() for vm_id in h.vms]
        assert sorted(owned) == sorted(self.ids), "a VM was lost or is owned twice"

    @invariant()
    def no_node_is_overcommitted(self) -> None:
        for node in NODES:
            host = self.api.host(node)
            extents = self.api.memory_map(node)
            owned = sum(e.size_mb for e in extents if e.owner != FREE)
            assert owned + host.memory_free_mb == host.memory_total_mb
            self.api.lab.hosts[host.id].memory.check_invariants()

    @invariant()
    def partitions_match_states_and_failed_nodes_run_nothing(self) -> None:
        for vm in self.api.vms():
            assert (vm.partition_id is not None) == (VmState(vm.state) in PARTITION_STATES)
        for host in self.api.lab.hosts.values():
            if host.failed:
                assert all(v.partition_id is None for v in host.vms.values())
                assert host.hypervisor is None

    @invariant()
    def transitions_are_legal(self) -> None:
        for old, new in self.transitions:
            assert (VmState(old), VmState(new)) in LEGAL_TRANSITIONS, (old, new)


ClusterMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestClusterMachine = ClusterMachine.TestCase
