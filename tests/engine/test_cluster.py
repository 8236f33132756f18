"""The failover cluster through the API: validation, highly available VMs, migrations that
are refused or cancelled, node failure and restart, and a cluster kept across a reopen."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hvlab.engine.api import (
    InvalidStateError,
    JobState,
    ManagementApi,
    NetworkAdapter,
    NotSupportedError,
    OutOfMemoryError,
    ResourceLimitError,
    ValidationError,
    build_lab,
    load_lab_definition,
    restore_state,
)
from hvlab.engine.config import HardDrive

from .helpers import CSV_PATH, ha_vm, make_cluster, owner


def free_mb(api: ManagementApi, node: str) -> int:
    return api.host(node).memory_free_mb


# -- several hosts and validation -----------------------------------------------------------

def test_validation_names_each_failure() -> None:
    api = ManagementApi(seed=0)
    for name in ("A", "B", "C"):
        api.add_host(name, "ws2008r2")
    api.add_host("FREE", "hvs2008")
    api.add_network("LAN", "1gbe", ["A", "B"])
    api.add_shared_storage("SAN", "iscsi-1gbe", 2, r"S:\VMs", ["A", "B"])
    host_c = api.lab.hosts[api.host("C").id]
    host_c.hardware = replace(host_c.hardware, cpu_vendor="AMD")
    failures = api.validate_cluster(["A", "B", "C", "FREE"])
    text = "\n".join(failures)
    assert "Hyper-V Server 2008" in text and "Failover Clustering" in text
    assert "different vendors (AMD, Intel)" in text
    assert "no network connects every node" in text
    assert "no shared disk is reachable from every node" in text
    assert 'the disk "SAN" cannot be reached from C, FREE' in text
    with pytest.raises(InvalidStateError) as err:
        api.create_cluster("CL", ["A", "B", "C"])
    assert "validation failed" in err.value.message
    assert api.cluster() is None
    assert api.validate_cluster(["A", "B"]) == []


def test_quorum_mode_follows_the_node_count() -> None:
    assert make_cluster(nodes=3).cluster().quorum == "node-majority"  # type: ignore[union-attr]
    two = make_cluster(nodes=2).cluster()
    assert two is not None and two.quorum == "node-and-disk-majority"
    assert two.witness == "Cluster Disk 1" and (two.votes_present, two.votes_total) == (3, 3)


def test_a_node_joins_once_cabled_in() -> None:
    api = make_cluster()
    api.add_host("NODE3", "ws2008r2", ram_gb=16)
    with pytest.raises(InvalidStateError) as err:
        api.add_cluster_node("NODE3")
    assert any("Validate Storage" in d for d in err.value.details)
    api.connect_host("NODE3", ["Cluster Network 1", "Cluster Disk 1"])
    cluster = api.add_cluster_node("NODE3")
    assert [n.name for n in cluster.nodes] == ["NODE1", "NODE2", "NODE3"]


def test_a_highly_available_vm_needs_its_files_on_shared_storage() -> None:
    api = make_cluster()
    api.create_vm("LOCAL", host="NODE1",
                  hard_drives=(HardDrive("IDE", 0, 0, r"D:\VMs\LOCAL.vhd"),))
    with pytest.raises(InvalidStateError) as err:
        api.make_highly_available("LOCAL")
    assert r"Not on shared storage: D:\VMs\LOCAL.vhd" in err.value.details
    assert api.cluster().roles == ()  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        ha_vm(api, "BAD", priority="urgent", start=False)


# -- refusals -------------------------------------------------------------------------------

def test_live_migration_is_refused_on_2008_rtm_with_the_era_wording() -> None:
    api = make_cluster("ws2008")
    ha_vm(api, "VM")
    with pytest.raises(NotSupportedError) as err:
        api.migrate_vm("VM", "NODE2", live=True)
    assert "does not support live migration" in err.value.text
    assert "quick migration" in err.value.text
    assert owner(api, "VM") == "NODE1" and api.vm("VM").state == "Running"
    api.wait(api.migrate_vm("VM", "NODE2", live=False))
    assert owner(api, "VM") == "NODE2"


def test_a_target_without_enough_memory_is_refused_and_the_vm_keeps_running() -> None:
    api = make_cluster(ram_gb=4)
    ha_vm(api, "BIG", memory_mb=2048)
    ha_vm(api, "FILLER", host="NODE2", memory_mb=2048)
    blockers = api.migration_blockers("BIG", "NODE2")
    assert any("does not have enough memory" in b for b in blockers)
    with pytest.raises(OutOfMemoryError):
        api.migrate_vm("BIG", "NODE2", live=True)
    assert owner(api, "BIG") == "NODE1" and api.vm("BIG").state == "Running"
    assert not api.migrations()


def test_a_target_without_the_vms_switch_is_refused() -> None:
    api = make_cluster()
    api.create_switch("Public", "Internal", host="NODE1")
    ha_vm(api, "VM", network_adapters=[NetworkAdapter(switch="Public")])
    with pytest.raises(InvalidStateError) as err:
        api.migrate_vm("VM", "NODE2", live=True)
    assert "'Public'" in err.value.text and "does not exist on NODE2" in err.value.text
    api.create_switch("Public", "Internal", host="NODE2")
    api.wait(api.migrate_vm("VM", "NODE2", live=True))
    assert owner(api, "VM") == "NODE2"


def test_one_live_migration_per_node_on_2008_r2() -> None:
    api = make_cluster(nodes=3)
    ha_vm(api, "A")
    ha_vm(api, "B")
    first = api.migrate_vm("A", "NODE2", live=True)
    with pytest.raises(ResourceLimitError) as err:
        api.migrate_vm("B", "NODE3", live=True)
    assert "already taking part in a live migration" in err.value.text
    with pytest.raises(InvalidStateError):
        api.migrate_vm("A", "NODE3", live=True)  # the VM itself is moving
    with pytest.raises(InvalidStateError) as op:
        api.turn_off("A")
    assert "being migrated" in op.value.text
    api.wait(first)
    api.wait(api.migrate_vm("B", "NODE3", live=True))
    assert (owner(api, "A"), owner(api, "B")) == ("NODE2", "NODE3")


def test_processor_compatibility_lets_a_vm_move_to_an_older_processor() -> None:
    api = make_cluster()
    node2 = api.lab.hosts[api.host("NODE2").id]
    node2.hardware = replace(node2.hardware, cpu_generation="Penryn", cpu_model="Xeon E5450")
    ha_vm(api, "VM")
    blockers = api.migration_blockers("VM", "NODE2")
    assert any("Migrate to a physical computer with a different processor version" in b
               for b in blockers)
    api.wait(api.turn_off("VM"))
    api.set_vm("VM", processor_compatibility=True)
    api.wait(api.start("VM"))
    assert api.migration_blockers("VM", "NODE2") == []


# -- cancel -----------------------------------------------------------------------------------

def test_a_cancelled_live_migration_leaves_the_vm_running_on_the_source() -> None:
    api = make_cluster()
    ha_vm(api, "VM", memory_mb=1024)
    before = free_mb(api, "NODE2")
    job = api.migrate_vm("VM", "NODE2", live=True)
    assert free_mb(api, "NODE2") < before  # the skeleton VM holds its memory
    api.advance(4)
    info = api.migration(job.id)
    assert info.phase == "copy" and 0 < info.pages_left < 1024 * 256
    cancelled = api.cancel_job(job.id)
    assert cancelled.state is JobState.CANCELLED
    assert owner(api, "VM") == "NODE1" and api.vm("VM").state == "Running"
    assert free_mb(api, "NODE2") == before
    api.advance(30)
    assert owner(api, "VM") == "NODE1"
    assert api.migration(job.id).outcome == "cancelled"


def test_a_cancelled_quick_migration_resumes_the_vm_on_the_source() -> None:
    api = make_cluster("ws2008", storage="iscsi-1gbe", spindles=1)
    ha_vm(api, "VM", memory_mb=1024)
    job = api.migrate_vm("VM", "NODE2", live=False)
    api.advance(1)
    assert api.vm("VM").state == "Saving"
    api.cancel_job(job.id)
    assert api.vm("VM").state == "Running" and owner(api, "VM") == "NODE1"


def test_the_blackout_cannot_be_cancelled() -> None:
    api = make_cluster()
    ha_vm(api, "WRITER", memory_mb=512, workload="memory-writer")
    job = api.migrate_vm("WRITER", "NODE2", live=True)
    while api.migration(job.id).phase != "blackout":
        api.advance(0.1)
    with pytest.raises(InvalidStateError):
        api.cancel_job(job.id)
    api.wait(job)
    assert owner(api, "WRITER") == "NODE2"


# -- node failure -------------------------------------------------------------------------------

def test_a_failed_nodes_vms_restart_elsewhere_in_priority_order_within_memory() -> None:
    api = make_cluster(nodes=3, ram_gb=10)
    for name, priority, memory in (("LOW", "low", 1024), ("HIGH", "high", 3072),
                                   ("MED", "medium", 3072)):
        ha_vm(api, name, memory_mb=memory, priority=priority)
    # Leave 3.5 GB on NODE2 and 2 GB on NODE3: HIGH fits first on NODE2, then MED fits
    # nowhere and LOW fits on NODE3.  Started in any other order, HIGH would not fit.
    for node, leave in (("NODE2", 3584), ("NODE3", 2048)):
        room = api.host(node).memory_available_mb - leave
        ha_vm(api, f"FILL-{node}", host=node, memory_mb=room - room % 2 - 64)
    api.create_vm("PLAIN", host="NODE1", memory_startup_mb=256)
    api.wait(api.start("PLAIN"))
    api.fail_node("NODE1")
    assert {v.name: v.state for v in api.vms("NODE1")} == {
        "HIGH": "Off", "LOW": "Off", "MED": "Off", "PLAIN": "Off"}
    api.advance(4.5)
    assert owner(api, "HIGH") == "NODE1"  # heartbeats not yet missed five times
    api.advance(1)
    cluster = api.cluster()
    assert cluster is not None
    assert [n.state for n in cluster.nodes] == ["Down", "Up", "Up"]
    api.advance(10)
    assert owner(api, "HIGH") == "NODE2" and api.vm("HIGH").state == "Running"
    assert owner(api, "LOW") == "NODE3" and api.vm("LOW").state == "Running"
    # MED came after HIGH and there was no room left for 3 GB: it stays off, with a reason.
    assert owner(api, "MED") == "NODE1" and api.vm("MED").state == "Off"
    assert any(e.event_id == 1205 and "'MED'" in e.message for e in api.event_log())
    # A VM that is not highly available stays with its failed node.
    assert owner(api, "PLAIN") == "NODE1" and api.vm("PLAIN").state == "Off"
    api.wait(api.restore_node("NODE1"))
    assert [n.state for n in api.cluster().nodes] == ["Up", "Up", "Up"]  # type: ignore[union-attr]
    assert api.vm("MED").state == "Off"


def test_no_restart_without_quorum() -> None:
    api = make_cluster(nodes=3)
    ha_vm(api, "VM", host="NODE3")
    api.fail_node("NODE1")
    api.fail_node("NODE3", mode="crash")
    api.advance(10)
    cluster = api.cluster()
    assert cluster is not None and not cluster.has_quorum
    assert api.vm("VM").state == "Off" and owner(api, "VM") == "NODE3"
    assert any(e.event_id == 1177 for e in api.event_log())


def test_a_node_failing_during_a_live_migration_leaves_the_vm_on_the_source() -> None:
    api = make_cluster(nodes=3)
    ha_vm(api, "VM", memory_mb=1024)
    before = free_mb(api, "NODE2")
    job = api.migrate_vm("VM", "NODE2", live=True)
    api.advance(3)
    api.fail_node("NODE2")
    assert api.job(job.id).state is JobState.FAILED
    assert owner(api, "VM") == "NODE1" and api.vm("VM").state == "Running"
    api.wait(api.restore_node("NODE2"))
    assert free_mb(api, "NODE2") == before


# -- persistence -------------------------------------------------------------------------------

def test_a_migration_in_flight_resumes_exactly_after_a_reopen() -> None:
    api = make_cluster()
    ha_vm(api, "VM", memory_mb=800, workload="web")
    job = api.migrate_vm("VM", "NODE2", live=True)
    api.advance(3.05)
    copy = restore_state(api.capture_state())
    for each in (api, copy):
        each.wait(job.id)
    assert copy.migration(job.id) == api.migration(job.id)
    assert owner(copy, "VM") == owner(api, "VM") == "NODE2"
    assert copy.cluster() == api.cluster()
    assert [n.name for n in copy.networks()] == ["Cluster Network 1"]
    assert copy.shared_storage()[0].path == CSV_PATH


# -- hosts and the sample lab ---------------------------------------------------------------

def test_the_sample_cluster_lab_is_ready_to_migrate() -> None:
    api = ManagementApi(seed=0)
    build_lab(api, load_lab_definition("cluster"))
    cluster = api.cluster()
    assert cluster is not None and [n.name for n in cluster.nodes] == ["NODE1", "NODE2"]
    assert {name for _, name, _, _ in cluster.roles} == {"WEB01", "SQL01", "WRITER01"}
    assert all(v.state == "Running" for v in api.vms())
    assert api.migration_blockers("WEB01", "NODE2") == []


def test_a_host_leaves_the_lab_and_the_others_keep_their_figures() -> None:
    api = ManagementApi(seed=0)
    for name in ("A", "B", "C"):
        api.add_host(name, "ws2008r2", ram_gb=8)
    api.create_vm("ON-C", host="C", memory_startup_mb=512)
    api.wait(api.start("ON-C"))
    with pytest.raises(InvalidStateError):
        api.remove_host("C")
    api.remove_host("B")
    assert [h.name for h in api.hosts()] == ["A", "C"]
    api.advance(5)
    # C moved up a place in the simulation: its VM still runs and is counted there.
    assert api.host("C").running_vms == 1 and api.vm("ON-C").state == "Running"
    assert api.vm_table().cpu_usage_percent.sum() > 0  # the step still runs the moved VM
    api.add_host("D", "ws2008r2")
    assert len({h.id for h in api.hosts()}) == 3


def test_a_quick_migration_restoring_on_the_target_survives_its_source_failing() -> None:
    api = make_cluster("ws2008", storage="iscsi-1gbe", spindles=1)
    ha_vm(api, "VM", memory_mb=1024)
    job = api.migrate_vm("VM", "NODE2", live=False)
    while api.migration(job.id).phase != "restore":
        api.advance(1)
    api.fail_node("NODE1")
    assert api.wait(job).state is JobState.COMPLETED
    assert owner(api, "VM") == "NODE2" and api.vm("VM").state == "Running"


def test_a_migration_without_its_clock_gets_it_back_on_open() -> None:
    """A library written before the migrations' clock action was kept opens with it."""
    from hvlab.engine.vmms import migration

    api = make_cluster()
    ha_vm(api, "VM")
    job = api.migrate_vm("VM", "NODE2", live=True)
    api.lab.sim.queue.remove_where("")  # the lab-wide clock action, as the old files lost it
    api.advance(30)
    assert api.job(job.id).state is JobState.RUNNING  # stuck without it
    migration.ensure_clock(api.lab)
    assert api.wait(job).state is JobState.COMPLETED
