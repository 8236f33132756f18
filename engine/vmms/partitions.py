"""A running VM's child partition and its VMBus: the ports and connections the root
offers it, the traffic on them, and tearing the partition down.
"""

from __future__ import annotations

from hvlab.engine.devices import offered_channels
from hvlab.engine.sim.hypervisor import Connection, PortType
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime


def sync_vmbus(host: Host, vm: VmRuntime) -> None:
    """Offer the partition its VMBus: a message port in the root for the VMBus and an
    event port per channel, each with the child's connection to it (HvCreatePort and
    HvConnectPort by the root); rescind what the configuration no longer has."""
    hv = host.hypervisor
    pid = vm.partition_id
    if hv is None or pid is None or pid not in hv.partitions:
        return
    root, child = hv.root, hv.partitions[pid]
    wanted = {"vmbus": PortType.MESSAGE}
    wanted.update((c.key, PortType.EVENT)
                  for c in offered_channels(vm.config, host.guest_of(vm)))
    have = {p.label: p for p in root.ports_from(pid)}
    for label in [label for label in have if label not in wanted]:
        for c in [c for c in child.connections if c.port_id == have[label].id]:
            hv.hypercall(hv.ROOT_ID, "HvDisconnectPort", pid, connection_id=c.id)
        hv.hypercall(hv.ROOT_ID, "HvDeletePort", hv.ROOT_ID, port_id=have[label].id)
    for label, kind in wanted.items():
        if label in have:
            continue
        port = hv.hypercall(hv.ROOT_ID, "HvCreatePort", hv.ROOT_ID, sender=pid,
                            port_type=kind, label=label)
        hv.hypercall(hv.ROOT_ID, "HvConnectPort", pid, port_partition=hv.ROOT_ID,
                     port_id=port.value)


def vmbus_connections(host: Host, vm: VmRuntime) -> list[Connection]:
    """The child's connections (it sends on them), in the order they were made."""
    hv = host.hypervisor
    if hv is None or vm.partition_id is None or vm.partition_id not in hv.partitions:
        return []
    return list(hv.partitions[vm.partition_id].connections)


def vmbus_hypercalls(host: Host, vm: VmRuntime) -> dict[str, int]:
    """The child's VMBus traffic as hypercalls: one HvSignalEvent per batch of synthetic
    I/O, one HvPostMessage a second per running integration component (accumulated
    per tick in the VM table, since the partition was created).  The traffic travels
    on the child's connections, so a partition without them has none."""
    t = host.lab.sim.table
    labels = {c.label for c in vmbus_connections(host, vm)}
    out = {}
    signals, messages = int(t.vmbus_signals[vm.slot]), int(t.vmbus_messages[vm.slot])
    if signals and labels - {"vmbus"}:  # on the channels' event connections
        out["HvSignalEvent"] = signals
    if messages and "vmbus" in labels:  # on the VMBus message connection
        out["HvPostMessage"] = messages
    return out


def destroy_partition(host: Host, vm: VmRuntime) -> None:
    if vm.partition_id is not None and host.hypervisor is not None:
        hv = host.hypervisor
        hv.hypercall(hv.ROOT_ID, "HvUnmapGpaPages", vm.partition_id)
        hv.hypercall(hv.ROOT_ID, "HvDeletePartition", vm.partition_id)
    vm.partition_id = None
    host.lab.sim.table.memory_assigned_mb[vm.slot] = 0
    host.lab.sim.table.vmbus_signals[vm.slot] = 0.0
    host.lab.sim.table.vmbus_messages[vm.slot] = 0.0
