"""The failover cluster as the service keeps it: the networks and shared storage that join
the lab's hosts, the cluster of nodes over them (validation, quorum) and its highly
available VMs.

The records are plain data (``to_dict``/``from_dict``); the library keeps them with the
lab.  Migrations are in :mod:`hvlab.engine.vmms.migration`, node failure in
:mod:`hvlab.engine.vmms.failover`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from hvlab.engine import events as ev
from hvlab.engine import fabric
from hvlab.engine.errors import InvalidStateError, NotFoundError, ValidationError
from hvlab.engine.events import Level
from hvlab.engine.names import check_text
from hvlab.engine.sim.simulation import Simulation
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime

CH_CLUSTER = "Microsoft-Windows-FailoverClustering"
CH_HIGH_AVAILABILITY = "Microsoft-Windows-Hyper-V-High-Availability-Admin"
EV_NODE_REMOVED = 1135  # documented: a node left the active membership
EV_QUORUM_LOST = 1177  # documented: the cluster lost quorum
EV_GROUP_ONLINE = 1201  # documented: a clustered service or application came online
EV_GROUP_FAILED = 1205  # documented: it could not be brought (completely) online
EV_NODE_JOINED = 1024  # hvlab's own: a node is back in the membership
EV_MIGRATED = 20417  # hvlab's own: a migration finished
EV_MIGRATION_FAILED = 21502  # documented for Hyper-V-High-Availability: a migration failed

NODE_MAJORITY = "node-majority"
NODE_AND_DISK_MAJORITY = "node-and-disk-majority"
QUORUM_MODES = (NODE_MAJORITY, NODE_AND_DISK_MAJORITY)
#: Restart priorities of a highly available VM (the cluster starts High first).
PRIORITIES = {"high": 3000, "medium": 2000, "low": 1000}
MAX_NODES = 64
#: Heartbeats: one a second; a node missing five in a row is removed (2008 R2 defaults).
HEARTBEAT_S = 1.0
MISSED_HEARTBEATS = 5


@dataclass
class Network:
    name: str
    kind: str
    hosts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "hosts": list(self.hosts)}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Network:
        return Network(str(d["name"]), str(d["kind"]), [str(h) for h in d["hosts"]])


@dataclass
class SharedStorage:
    """A LUN (or Cluster Shared Volume) every listed host reaches; VMs whose disks sit
    under ``path`` live on it."""

    name: str
    kind: str
    spindles: int
    path: str
    hosts: list[str] = field(default_factory=list)

    @property
    def rate_mb_s(self) -> float:
        return fabric.storage_rate_mb_s(fabric.storage_kind(self.kind), self.spindles)

    def holds(self, disk_path: str) -> bool:
        prefix = _norm(self.path).rstrip("/") + "/"
        return _norm(disk_path).startswith(prefix)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "spindles": self.spindles,
                "path": self.path, "hosts": list(self.hosts)}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> SharedStorage:
        return SharedStorage(str(d["name"]), str(d["kind"]), int(d["spindles"]), str(d["path"]),
                             [str(h) for h in d["hosts"]])


def _norm(path: str) -> str:
    return path.replace("\\", "/").casefold()


@dataclass
class Cluster:
    name: str
    nodes: list[str]
    quorum: str
    witness: str | None = None
    csv: bool = False
    #: Highly available VMs: VM id to restart priority.
    roles: dict[str, int] = field(default_factory=dict)
    #: Nodes the cluster has removed from its membership (failed, not yet back).
    down: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "nodes": list(self.nodes), "quorum": self.quorum,
                "witness": self.witness, "csv": self.csv, "roles": dict(self.roles),
                "down": list(self.down)}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Cluster:
        witness = d.get("witness")
        return Cluster(str(d["name"]), [str(n) for n in d["nodes"]], str(d["quorum"]),
                       None if witness is None else str(witness), bool(d.get("csv", False)),
                       {str(k): int(v) for k, v in d.get("roles", {}).items()},
                       [str(n) for n in d.get("down", [])])


@dataclass
class Fabric:
    """What joins the lab's hosts: networks, shared storage and (at most) one cluster."""

    networks: dict[str, Network] = field(default_factory=dict)
    storage: dict[str, SharedStorage] = field(default_factory=dict)
    cluster: Cluster | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"networks": [n.to_dict() for n in self.networks.values()],
                "storage": [s.to_dict() for s in self.storage.values()],
                "cluster": None if self.cluster is None else self.cluster.to_dict()}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Fabric:
        out = Fabric()
        for n in d.get("networks", []):
            net = Network.from_dict(n)
            out.networks[net.name] = net
        for s in d.get("storage", []):
            st = SharedStorage.from_dict(s)
            out.storage[st.name] = st
        c = d.get("cluster")
        out.cluster = None if c is None else Cluster.from_dict(c)
        return out


class FabricLab(Protocol):
    """The part of the lab the cluster code uses."""

    hosts: dict[str, Host]
    fabric: Fabric
    sim: Simulation

    def publish(self, event: ev.EngineEvent) -> None: ...

    def find_vm(self, vm_id: str) -> tuple[Host, VmRuntime] | None: ...


def _host_named(lab: FabricLab, ref: str) -> Host:
    for h in lab.hosts.values():
        if ref in (h.id, h.name) or ref.casefold() == h.name.casefold():
            return h
    raise NotFoundError(f"Hyper-V was unable to find a host named \"{ref}\".")


def _changed(lab: FabricLab, what: str) -> None:
    for h in lab.hosts.values():
        lab.publish(ev.HostChanged(lab.sim.now_us, h.id, what))


# -- networks and storage -----------------------------------------------------------------

def add_network(lab: FabricLab, name: str, kind: str, hosts: list[str]) -> Network:
    check_text("name", "The network name", name)
    if not name.strip():
        raise ValidationError("name", "The network name cannot be empty.")
    if name.casefold() in {n.casefold() for n in lab.fabric.networks}:
        raise ValidationError("name", f"A network named \"{name}\" already exists.")
    fabric.network_kind(kind)
    net = Network(name, kind.casefold(), [_host_named(lab, h).id for h in hosts])
    lab.fabric.networks[name] = net
    _changed(lab, "fabric")
    return net


def add_storage(lab: FabricLab, name: str, kind: str, spindles: int, path: str,
                hosts: list[str]) -> SharedStorage:
    check_text("name", "The storage name", name)
    if not name.strip():
        raise ValidationError("name", "The storage name cannot be empty.")
    if name.casefold() in {n.casefold() for n in lab.fabric.storage}:
        raise ValidationError("name", f"Shared storage named \"{name}\" already exists.")
    fabric.storage_kind(kind)
    if not isinstance(spindles, int) or isinstance(spindles, bool) \
            or not 1 <= spindles <= fabric.MAX_SPINDLES:
        raise ValidationError("spindles", f"The number of spindles must be 1 to "
                                          f"{fabric.MAX_SPINDLES}.")
    check_text("path", "The storage path", path)
    if not path.strip():
        raise ValidationError("path", "The storage path cannot be empty.")
    st = SharedStorage(name, kind.casefold(), spindles, path,
                       [_host_named(lab, h).id for h in hosts])
    lab.fabric.storage[name] = st
    _changed(lab, "fabric")
    return st


def connect(lab: FabricLab, host: Host, names: list[str]) -> None:
    """Cable ``host`` to the named networks and shared storage (all named must exist)."""
    found: list[list[str]] = []
    for name in names:
        item: Network | SharedStorage | None = lab.fabric.networks.get(name) or \
            lab.fabric.storage.get(name)
        if item is None:
            raise NotFoundError(f"There is no network or shared storage named \"{name}\".")
        found.append(item.hosts)
    for hosts in found:
        if host.id not in hosts:
            hosts.append(host.id)
    _changed(lab, "fabric")


# -- validation ---------------------------------------------------------------------------

def validate(lab: FabricLab, hosts: list[Host], joining: bool = False) -> list[str]:
    """"Validate a Configuration": every failure, one by one (empty: the hosts can form a
    cluster).  ``joining``: the last host joins the cluster the others form."""
    failures: list[str] = []
    if not 1 <= len(hosts) <= MAX_NODES:
        failures.append(f"A failover cluster has 1 to {MAX_NODES} nodes; {len(hosts)} were "
                        "given.")
    if len({h.id for h in hosts}) != len(hosts):
        failures.append("A node is listed more than once.")
    for h in hosts:
        if not h.profile.features.failover_clustering:
            failures.append(f"Validate Software: {h.name} runs {h.profile.name}, which does "
                            "not include the Failover Clustering feature.")
        if h.hypervisor is None:
            failures.append(f"Validate Hyper-V: the hypervisor is not running on {h.name}.")
    vendors = sorted({h.hardware.cpu_vendor for h in hosts})
    if len(vendors) > 1:
        failures.append("Validate Hyper-V Processor Compatibility: the nodes' processors come "
                        f"from different vendors ({', '.join(vendors)}); a virtual machine "
                        "cannot move between them.")
    ids = {h.id for h in hosts}
    if not any(ids <= set(n.hosts) for n in lab.fabric.networks.values()):
        failures.append("Validate Network Communication: no network connects every node.")
    shared = [s for s in lab.fabric.storage.values() if ids <= set(s.hosts)]
    if not shared:
        failures.append("Validate Storage: no shared disk is reachable from every node.")
    for s in lab.fabric.storage.values():
        missing = [h.name for h in hosts if h.id not in s.hosts]
        if missing and len(missing) < len(hosts):
            failures.append(f"Validate Storage: the disk \"{s.name}\" cannot be reached from "
                            f"{', '.join(missing)}.")
    if lab.fabric.cluster is not None:
        taken = [h.name for h in (hosts[-1:] if joining else hosts)
                 if h.id in lab.fabric.cluster.nodes]
        if taken:
            failures.append(f"Validate Cluster Configuration: {', '.join(taken)} already "
                            f"belong to the cluster {lab.fabric.cluster.name}.")
    return failures


def create(lab: FabricLab, name: str, hosts: list[Host], quorum: str | None,
           witness: str | None) -> Cluster:
    check_text("name", "The cluster name", name)
    if not name.strip():
        raise ValidationError("name", "The cluster name cannot be empty.")
    if lab.fabric.cluster is not None:
        raise InvalidStateError("The cluster could not be created.",
                                [f"This lab already has the cluster {lab.fabric.cluster.name}."])
    failures = validate(lab, hosts)
    if failures:
        raise InvalidStateError("The cluster could not be created: validation failed.", failures)
    if quorum is None:
        quorum = NODE_MAJORITY if len(hosts) % 2 else NODE_AND_DISK_MAJORITY
    if quorum not in QUORUM_MODES:
        raise ValidationError("quorum", f"The quorum mode must be {' or '.join(QUORUM_MODES)}.")
    if quorum == NODE_AND_DISK_MAJORITY:
        ids = {h.id for h in hosts}
        shared = [s.name for s in lab.fabric.storage.values() if ids <= set(s.hosts)]
        witness = witness or shared[0]
        if witness not in shared:
            raise ValidationError("witness", f"The witness disk must be shared storage every "
                                             f"node reaches ({', '.join(shared)}).")
    else:
        witness = None
    csv = all(h.profile.migration.max_passes > 0 for h in hosts)
    cluster = Cluster(name, [h.id for h in hosts], quorum, witness, csv)
    lab.fabric.cluster = cluster
    _changed(lab, "cluster")
    return cluster


def add_node(lab: FabricLab, host: Host) -> None:
    cluster = require_cluster(lab)
    members = [lab.hosts[n] for n in cluster.nodes]
    failures = validate(lab, [*members, host], joining=True)
    if failures:
        raise InvalidStateError(f"{host.name} could not join the cluster {cluster.name}.",
                                failures)
    cluster.nodes.append(host.id)
    if cluster.quorum == NODE_MAJORITY and len(cluster.nodes) % 2 == 0 and cluster.witness:
        cluster.quorum = NODE_AND_DISK_MAJORITY
    _changed(lab, "cluster")


def require_cluster(lab: FabricLab) -> Cluster:
    if lab.fabric.cluster is None:
        raise NotFoundError("This lab has no failover cluster.")
    return lab.fabric.cluster


def votes(lab: FabricLab) -> tuple[int, int]:
    """(votes present, votes in all): a node up has a vote, and the witness disk one."""
    cluster = require_cluster(lab)
    up = sum(1 for n in cluster.nodes if n not in cluster.down)
    total = len(cluster.nodes)
    if cluster.quorum == NODE_AND_DISK_MAJORITY:
        up += 1
        total += 1
    return up, total


def has_quorum(lab: FabricLab) -> bool:
    up, total = votes(lab)
    return up * 2 > total


# -- highly available VMs -----------------------------------------------------------------

def storage_of(lab: FabricLab, vm: VmRuntime) -> SharedStorage | None:
    """The shared storage every disk of ``vm`` sits on (None: a disk is local, or there is
    none that holds them all)."""
    disks = [d.path for d in vm.config.hard_drives]
    for s in lab.fabric.storage.values():
        if all(s.holds(p) for p in disks):
            return s
    return None


def make_highly_available(lab: FabricLab, host: Host, vm: VmRuntime, priority: str) -> None:
    cluster = require_cluster(lab)
    if host.id not in cluster.nodes:
        raise InvalidStateError(f"'{vm.name}' could not be made highly available.",
                                [f"{host.name} is not a node of the cluster {cluster.name}."])
    if priority.casefold() not in PRIORITIES:
        raise ValidationError("priority", "The priority must be High, Medium or Low.")
    if not vm.config.hard_drives or storage_of(lab, vm) is None:
        local = [d.path for d in vm.config.hard_drives
                 if not any(s.holds(d.path) for s in lab.fabric.storage.values())]
        raise InvalidStateError(
            f"'{vm.name}' could not be made highly available.",
            ["The virtual machine's files must be on storage that every node of the cluster "
             "can reach.",
             *(f"Not on shared storage: {p}" for p in local),
             *(["The virtual machine has no virtual hard disk on shared storage."]
               if not vm.config.hard_drives else [])])
    cluster.roles[vm.id] = PRIORITIES[priority.casefold()]
    host.log(CH_CLUSTER, EV_GROUP_ONLINE, Level.INFORMATION,
             f"The Cluster service configured '{vm.name}' as a highly available virtual "
             f"machine (priority {priority.title()}).", vm)
    lab.publish(ev.VmListChanged(lab.sim.now_us, host.id, vm.id, "config"))


def remove_role(lab: FabricLab, vm_id: str) -> None:
    cluster = lab.fabric.cluster
    if cluster is not None:
        cluster.roles.pop(vm_id, None)


def priority_name(value: int) -> str:
    return next((k.title() for k, v in PRIORITIES.items() if v == value), str(value))
