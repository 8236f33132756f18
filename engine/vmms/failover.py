"""A node of the cluster failing and coming back.

A node that powers off or crashes takes its VMs down at once (their unsaved state is lost).
The cluster notices when it has missed :data:`~hvlab.engine.vmms.cluster.MISSED_HEARTBEATS`
heartbeats, removes the node from its membership and, if it still has quorum, restarts the
node's highly available VMs on the surviving nodes: a cold boot, highest priority first, each
on the node with the most memory available, and only where memory admission lets it start
(no overcommit).  A VM that fits nowhere stays off, with an event saying why.  A restored node
boots and joins the membership again.
"""

from __future__ import annotations

from typing import Protocol

from hvlab.engine import events as ev
from hvlab.engine.errors import HvError, InvalidStateError
from hvlab.engine.events import Level
from hvlab.engine.jobs import JobRecord
from hvlab.engine.lifecycle import PARTITION_STATES
from hvlab.engine.sim.clock import seconds_to_us
from hvlab.engine.vmms import admission, host_power, power
from hvlab.engine.vmms import cluster as cl
from hvlab.engine.vmms import migration as mig
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime

FAIL_MODES = ("power-off", "crash")


class FailoverLab(mig.MigrationLab, Protocol):
    pass


def fail_node(lab: FailoverLab, host: Host, mode: str = "power-off") -> list[str]:
    """Power the node off (or crash it): every VM on it stops at once.  Returns the ids of
    the VMs that were running (the cluster restarts the highly available ones)."""
    if mode not in FAIL_MODES:
        raise InvalidStateError(f"The node {host.name} could not be failed.",
                                [f"The failure must be {' or '.join(FAIL_MODES)}."])
    if host.failed or host.hypervisor is None:
        raise InvalidStateError(f"The node {host.name} is already down.")
    mig.abort_involving(lab, host, f"The node {host.name} failed.")
    how = ("the node lost power" if mode == "power-off"
           else "the node stopped unexpectedly (bugcheck)")
    running: list[str] = []
    for vm in list(host.vms.values()):
        if vm.state in PARTITION_STATES:
            running.append(vm.id)
            power.kill(host, vm, how)
            host.log(ev.CH_WORKER, ev.EV_VM_ROOT_CRASH, Level.CRITICAL,
                     f"'{vm.name}' was turned off because {how}. (Virtual machine ID {vm.id})",
                     vm)
    host.lab.sim.queue.remove_where(host.id)
    if host.hypervisor is not None:
        host.hypervisor.shutdown()
    host.hypervisor = None
    host.failed = True
    host.log(ev.CH_SYSTEM, ev.EV_BUGCHECK if mode == "crash" else ev.EV_HOST_SHUTDOWN,
             Level.CRITICAL, f"The node {host.name} is down: {how}.")
    lab.publish(ev.HostChanged(lab.sim.now_us, host.id, "failed"))
    cluster = lab.fabric.cluster
    if cluster is not None and host.id in cluster.nodes and host.id not in cluster.down:
        delay = cl.HEARTBEAT_S * cl.MISSED_HEARTBEATS
        lab.sim.queue.schedule(lab.sim.now_us + seconds_to_us(delay), "node_down", host.id,
                               "", {"running": running})
    return running


def on_node_down(lab: FailoverLab, host: Host, running: list[str]) -> None:
    """The heartbeats stopped: remove the node and restart its highly available VMs."""
    cluster = lab.fabric.cluster
    if cluster is None or host.id not in cluster.nodes or not host.failed:
        return
    if host.id not in cluster.down:
        cluster.down.append(host.id)
    host.log(cl.CH_CLUSTER, cl.EV_NODE_REMOVED, Level.CRITICAL,
             f"Cluster node '{host.name}' was removed from the active failover cluster "
             f"membership. The Cluster service on this node may have stopped.")
    if not cl.has_quorum(lab):
        up, total = cl.votes(lab)
        host.log(cl.CH_CLUSTER, cl.EV_QUORUM_LOST, Level.CRITICAL,
                 f"The Cluster service is shutting down because quorum was lost: {up} of "
                 f"{total} votes are present. No virtual machine is restarted.")
        lab.publish(ev.HostChanged(lab.sim.now_us, host.id, "cluster"))
        return
    roles = [vm for vm in host.vms.values() if vm.id in cluster.roles and vm.id in running]
    roles.sort(key=lambda v: (-cluster.roles[v.id], v.name.casefold()))
    for vm in roles:
        restart_elsewhere(lab, host, vm)
    lab.publish(ev.HostChanged(lab.sim.now_us, host.id, "cluster"))


def _survivors(lab: FailoverLab) -> list[Host]:
    cluster = lab.fabric.cluster
    assert cluster is not None
    return [lab.hosts[n] for n in cluster.nodes
            if n not in cluster.down and not lab.hosts[n].failed
            and lab.hosts[n].hypervisor is not None]


def restart_elsewhere(lab: FailoverLab, host: Host, vm: VmRuntime) -> Host | None:
    """Bring one highly available VM up on the survivor with the most memory available
    where it fits; None (and an event) when it fits nowhere."""
    storage = cl.storage_of(lab, vm)
    fits: list[tuple[int, str, Host]] = []
    reasons: list[str] = []
    for node in _survivors(lab):
        if storage is None or node.id not in storage.hosts:
            reasons.append(f"{node.name} cannot reach its storage")
            continue
        missing = [n.switch for n in vm.config.network_adapters
                   if n.switch and n.switch not in node.net.switches]
        if missing:
            reasons.append(f"{node.name} has no virtual switch '{missing[0]}'")
            continue
        check = admission.start_check(node, vm)
        if not check.ok:
            reasons.append(f"{node.name}: {check.reason}")
            continue
        fits.append((-node.memory_available_mb(), node.name.casefold(), node))
    if not fits:
        host.log(cl.CH_CLUSTER, cl.EV_GROUP_FAILED, Level.ERROR,
                 f"The Cluster service failed to bring clustered service or application "
                 f"'{vm.name}' completely online: no surviving node can run it "
                 f"({'; '.join(reasons) or 'no node is up'}). It stays off.", vm)
        return None
    target = min(fits, key=lambda f: (f[0], f[1]))[2]
    mig._move_ownership(lab, host, vm, target)
    try:
        power.start(target, vm)
    except HvError as err:  # admission said yes a moment ago; report it all the same
        target.log(cl.CH_CLUSTER, cl.EV_GROUP_FAILED, Level.ERROR,
                   f"The Cluster service failed to bring '{vm.name}' online on "
                   f"{target.name}: {err.message}", vm)
        return None
    cluster = lab.fabric.cluster
    priority = cl.priority_name(cluster.roles[vm.id]) if cluster is not None else "-"
    target.log(cl.CH_CLUSTER, cl.EV_GROUP_ONLINE, Level.INFORMATION,
               f"The Cluster service brought '{vm.name}' online on {target.name} after the "
               f"failure of {host.name} (priority {priority}).", vm)
    return target


def restore_node(lab: FailoverLab, host: Host) -> JobRecord:
    """Power the failed node on: it boots (the host's boot time) and joins the cluster."""
    if not host.failed:
        raise InvalidStateError(f"The node {host.name} is not down.")
    job = host_power.power_cycle(host, f"Starting the node {host.name}")
    return job


def on_node_boot(lab: FailoverLab, host: Host) -> None:
    """A node finished booting: a failed one is restored and rejoins the membership."""
    if not host.failed:
        return
    host.failed = False
    cluster = lab.fabric.cluster
    if cluster is not None and host.id in cluster.down:
        cluster.down.remove(host.id)
        host.log(cl.CH_CLUSTER, cl.EV_NODE_JOINED, Level.INFORMATION,
                 f"Cluster node '{host.name}' joined the active failover cluster membership.")
    lab.publish(ev.HostChanged(lab.sim.now_us, host.id, "cluster"))

