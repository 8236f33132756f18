"""The thin hypervisor: partitions, privileges and the hypercall interface.

The hypervisor launches at host boot only on a 64-bit processor with hardware
virtualization and no-execute (NX) protection present and enabled.  Once running it owns the
physical memory map and the partitions.  The root partition is created at launch with every
privilege; child partitions are created, given memory and destroyed only through hypercalls
issued by the root.  A child that issues a privileged hypercall is refused with
HV_STATUS_ACCESS_DENIED; the refusal is counted and reported, and nothing changes.

Messages and events travel only on connections (the TLFS's ports and connections).  When
the root offers a VMBus channel to a child it creates a port in the receiving partition
(HvCreatePort, naming the one partition allowed to send to it) and a connection for the
sender (HvConnectPort).  HvPostMessage and HvSignalEvent name a connection id: the
hypervisor delivers only on a connection the caller owns, to the owner of the connection's
port, and refuses anything else (HV_STATUS_INVALID_CONNECTION_ID, HV_STATUS_INVALID_PORT_ID
or HV_STATUS_ACCESS_DENIED), counted and reported like a denied privilege.  Connection ids
are numbered across the hypervisor (the TLFS asks only that they differ within a partition),
so a guest that names another partition's connection is recognised and refused.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hvlab.engine.profiles import HostHardware
from hvlab.engine.sim.memory import HYPERVISOR, ROOT, MemoryMap, MemoryShortageError


class Privilege(enum.IntFlag):
    """A subset of the partition privilege mask of the Hypervisor TLFS."""

    NONE = 0
    ACCESS_PARTITION_ID = enum.auto()
    CREATE_PARTITIONS = enum.auto()
    ACCESS_MEMORY_POOL = enum.auto()
    CPU_MANAGEMENT = enum.auto()
    POST_MESSAGES = enum.auto()
    SIGNAL_EVENTS = enum.auto()
    ACCESS_STATS = enum.auto()
    CREATE_PORT = enum.auto()
    CONNECT_PORT = enum.auto()


ROOT_PRIVILEGES = (
    Privilege.ACCESS_PARTITION_ID
    | Privilege.CREATE_PARTITIONS
    | Privilege.ACCESS_MEMORY_POOL
    | Privilege.CPU_MANAGEMENT
    | Privilege.POST_MESSAGES
    | Privilege.SIGNAL_EVENTS
    | Privilege.ACCESS_STATS
    | Privilege.CREATE_PORT
    | Privilege.CONNECT_PORT
)
CHILD_PRIVILEGES = Privilege.ACCESS_PARTITION_ID | Privilege.POST_MESSAGES | Privilege.SIGNAL_EVENTS


class HvStatus(enum.IntEnum):
    """Hypercall result codes (HV_STATUS_*)."""

    SUCCESS = 0x0000
    INVALID_HYPERCALL_CODE = 0x0002
    INVALID_PARAMETER = 0x0005
    ACCESS_DENIED = 0x0006
    INVALID_PARTITION_STATE = 0x0007
    INSUFFICIENT_MEMORY = 0x000B
    INVALID_PARTITION_ID = 0x000D
    INVALID_PORT_ID = 0x0011
    INVALID_CONNECTION_ID = 0x0012


@dataclass(frozen=True)
class HypercallSpec:
    name: str
    code: int
    privilege: Privilege
    #: True when the call acts on another partition, which must be the caller's child.
    targets_child: bool
    #: A call that acts on a partition may also name the caller itself (ports, connections).
    may_target_self: bool = False


HYPERCALLS: dict[str, HypercallSpec] = {
    s.name: s
    for s in (
        HypercallSpec("HvCreatePartition", 0x0040, Privilege.CREATE_PARTITIONS, False),
        HypercallSpec("HvInitializePartition", 0x0041, Privilege.CREATE_PARTITIONS, True),
        HypercallSpec("HvDeletePartition", 0x0043, Privilege.CREATE_PARTITIONS, True),
        HypercallSpec("HvMapGpaPages", 0x004B, Privilege.ACCESS_MEMORY_POOL, True),
        HypercallSpec("HvUnmapGpaPages", 0x004C, Privilege.ACCESS_MEMORY_POOL, True),
        HypercallSpec("HvCreateVp", 0x004E, Privilege.CPU_MANAGEMENT, True),
        # The V1 port calls of Windows Server 2008 (0x0057..0x005B).
        HypercallSpec("HvCreatePort", 0x0057, Privilege.CREATE_PORT, True, True),
        HypercallSpec("HvDeletePort", 0x0058, Privilege.CREATE_PORT, True, True),
        HypercallSpec("HvConnectPort", 0x0059, Privilege.CONNECT_PORT, True, True),
        HypercallSpec("HvDisconnectPort", 0x005B, Privilege.CONNECT_PORT, True, True),
        HypercallSpec("HvPostMessage", 0x005C, Privilege.POST_MESSAGES, False),
        HypercallSpec("HvSignalEvent", 0x005D, Privilege.SIGNAL_EVENTS, False),
    )
}


class PartitionState(enum.Enum):
    CREATED = "Created"
    ACTIVE = "Active"


class PortType(enum.StrEnum):
    MESSAGE = "Message"
    EVENT = "Event"


class Port(NamedTuple):
    """A port of the receiving partition (HvCreatePort): only ``sender`` may reach it."""

    id: int
    type: str  # a PortType value
    sender: int  # the ConnectionPartition of the TLFS
    label: str  # what it serves: "vmbus" (the VMBus message port) or a channel key


class Connection(NamedTuple):
    """A sender's connection to a port (HvConnectPort)."""

    id: int
    port_partition: int
    port_id: int
    label: str


@dataclass
class Partition:
    id: int
    name: str
    parent_id: int | None
    privileges: Privilege
    state: PartitionState = PartitionState.CREATED
    virtual_processors: int = 0
    #: Hypercalls issued by this partition, by name; refused ones are counted in ``denied``.
    hypercalls: Counter[str] = field(default_factory=Counter)
    denied: Counter[str] = field(default_factory=Counter)
    #: Ports this partition receives on, and its connections (it sends on them).
    ports: list[Port] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Read back from a library file the records are lists; the root holds every
        # privilege this build defines, including ones added since the file was written.
        self.ports = [Port(*p) for p in self.ports]
        self.connections = [Connection(*c) for c in self.connections]
        if self.parent_id is None:
            self.privileges |= ROOT_PRIVILEGES
        # The root receives on every child's ports: looking one up by id or by sender is a
        # dictionary read, so offering N VMs their VMBus costs N, not N squared.  Not a
        # field (never saved): rebuilt from ``ports``, which changes only through the
        # methods below.
        self._by_id: dict[int, Port] = {}
        self._index_ids()

    def _index_ids(self) -> None:
        self._by_id = {}
        for p in self.ports:
            self._by_id.setdefault(p.id, p)  # the first, should a damaged file repeat one

    def port(self, port_id: int) -> Port | None:
        return self._by_id.get(port_id)

    def ports_from(self, sender: int) -> list[Port]:
        """The ports ``sender`` may connect to, in the order they were created."""
        index: dict[int, list[Port]] | None = self.__dict__.get("_by_sender")
        if index is None:
            index = {}
            for p in self.ports:
                index.setdefault(p.sender, []).append(p)
            self.__dict__["_by_sender"] = index
        return list(index.get(sender, ()))

    def add_port(self, port: Port) -> None:
        self.ports.append(port)
        self._by_id.setdefault(port.id, port)
        index = self.__dict__.get("_by_sender")
        if index is not None:
            index.setdefault(port.sender, []).append(port)

    def remove_ports(self, keep: Callable[[Port], bool]) -> int:
        """Drop every port ``keep`` refuses; returns how many went."""
        gone = [p for p in self.ports if not keep(p)]
        if gone:
            self.ports = [p for p in self.ports if keep(p)]
            self._index_ids()
            self.__dict__.pop("_by_sender", None)
        return len(gone)

    def connection(self, connection_id: int) -> Connection | None:
        return next((c for c in self.connections if c.id == connection_id), None)

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def memory_owner(self) -> str:
        return ROOT if self.is_root else f"partition:{self.id}"


@dataclass(frozen=True)
class HypercallResult:
    status: HvStatus
    value: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status is HvStatus.SUCCESS


def launch_blockers(hw: HostHardware) -> list[str]:
    """Why the hypervisor cannot launch on this hardware (empty when it can)."""
    reasons = []
    if not hw.x64:
        reasons.append("The processor is not a 64-bit (x64) processor.")
    if not hw.virtualization_extensions:
        reasons.append("The processor does not support hardware-assisted virtualization.")
    elif not hw.virtualization_enabled:
        reasons.append(
            f"Hardware-assisted virtualization ({hw.virtualization_extensions}) is disabled "
            "in the BIOS."
        )
    if not hw.nx_enabled:
        reasons.append(
            "Hardware-enforced Data Execution Prevention (NX/XD) is disabled in the BIOS."
        )
    return reasons


#: Told of every refused hypercall: the caller, the call, its target partition, the status
#: returned and why (for the event log).
DeniedCallback = Callable[[Partition, HypercallSpec, "int | None", HvStatus, str], None]


class Hypervisor:
    """The hypervisor of one host, from a boot until the next."""

    ROOT_ID = 0

    def __init__(
        self,
        memory: MemoryMap,
        hypervisor_mb: int,
        root_mb: int,
        on_denied: DeniedCallback | None = None,
    ) -> None:
        self.memory = memory
        self.partitions: dict[int, Partition] = {}
        #: Virtual processors of all child partitions, kept as a running total.
        self.child_vps = 0
        self._next_id = 1
        self._next_port = 1
        self._next_connection = 1
        self._on_denied = on_denied
        memory.allocate(HYPERVISOR, hypervisor_mb, spanning=True, node=memory.nodes()[0])
        memory.allocate(ROOT, root_mb, spanning=True, node=memory.nodes()[0])
        root = Partition(self.ROOT_ID, "Root", None, ROOT_PRIVILEGES, PartitionState.ACTIVE)
        self.partitions[root.id] = root

    @property
    def root(self) -> Partition:
        return self.partitions[self.ROOT_ID]

    def children(self) -> list[Partition]:
        return [p for p in self.partitions.values() if not p.is_root]

    def hypercall(
        self, caller_id: int, call: str, target: int | None = None, /, **params: Any
    ) -> HypercallResult:
        """Issue hypercall ``call`` from partition ``caller_id``.

        ``target`` is the partition acted on, for calls that act on a partition (for
        HvPostMessage and HvSignalEvent, the partition the caller means to reach, which must
        be where its connection leads).  Parameters: HvCreatePartition(name=str),
        HvMapGpaPages(mb=int, spanning=bool, node=int|None), HvUnmapGpaPages(mb=int|None),
        HvCreateVp(count=int), HvCreatePort(sender=int, port_type=PortType, label=str),
        HvDeletePort(port_id=int), HvConnectPort(port_partition=int, port_id=int),
        HvDisconnectPort(connection_id=int), HvPostMessage/HvSignalEvent(connection_id=int).
        """
        spec = HYPERCALLS.get(call)
        caller = self.partitions.get(caller_id)
        if caller is None:
            return HypercallResult(HvStatus.INVALID_PARTITION_ID, detail="unknown caller")
        if spec is None:
            return HypercallResult(HvStatus.INVALID_HYPERCALL_CODE, detail=call)
        if not caller.privileges & spec.privilege:
            return self._refuse(caller, spec, target, HvStatus.ACCESS_DENIED,
                                f"the partition lacks the {spec.privilege.name} privilege")
        if (
            spec.targets_child
            and target is not None
            and target in self.partitions
            and self.partitions[target].parent_id != caller.id
            and not (spec.may_target_self and target == caller.id)
        ):
            return self._refuse(caller, spec, target, HvStatus.ACCESS_DENIED,
                                f"partition {target} is not its child")
        if spec.name in ("HvPostMessage", "HvSignalEvent"):
            return self._deliver(spec, caller, target, params)
        caller.hypercalls[call] += 1
        if spec.targets_child:
            if target is None or target not in self.partitions:
                return HypercallResult(HvStatus.INVALID_PARTITION_ID, detail=f"partition {target}")
            return self._dispatch(spec, caller, self.partitions[target], params)
        return self._dispatch(spec, caller, None, params)

    def _refuse(self, caller: Partition, spec: HypercallSpec, target: int | None,
                status: HvStatus, reason: str) -> HypercallResult:
        caller.denied[spec.name] += 1
        if self._on_denied is not None:
            self._on_denied(caller, spec, target, status, reason)
        return HypercallResult(status, detail=reason)

    def _deliver(self, spec: HypercallSpec, caller: Partition, target: int | None,
                 params: dict[str, Any]) -> HypercallResult:
        """HvPostMessage / HvSignalEvent: only on the caller's own connection, only to the
        owner of its port."""
        wanted = PortType.MESSAGE if spec.name == "HvPostMessage" else PortType.EVENT
        connection_id = params.get("connection_id")
        if isinstance(connection_id, bool) or not isinstance(connection_id, int):
            return self._refuse(caller, spec, target, HvStatus.INVALID_CONNECTION_ID,
                                "no connection id was given")
        connection = caller.connection(connection_id)
        if connection is None:
            owner = next((p for p in self.partitions.values()
                          if p.connection(connection_id) is not None), None)
            if owner is not None:
                return self._refuse(caller, spec, target, HvStatus.ACCESS_DENIED,
                                    f"connection {connection_id} belongs to partition "
                                    f"{owner.id}, not to the caller")
            return self._refuse(caller, spec, target, HvStatus.INVALID_CONNECTION_ID,
                                f"connection {connection_id} does not exist")
        receiver = self.partitions.get(connection.port_partition)
        port = receiver.port(connection.port_id) if receiver is not None else None
        if receiver is None or port is None or receiver.state is not PartitionState.ACTIVE:
            return self._refuse(caller, spec, target, HvStatus.INVALID_PORT_ID,
                                f"the port of connection {connection_id} no longer exists")
        if port.type != wanted.value:
            return self._refuse(caller, spec, target, HvStatus.INVALID_PORT_ID,
                                f"connection {connection_id} leads to {port.type.lower()} "
                                f"port {port.id}, not to {wanted.value.lower()} port")
        if port.sender != caller.id:  # pragma: no cover - HvConnectPort keeps this true
            return self._refuse(caller, spec, target, HvStatus.ACCESS_DENIED,
                                f"port {port.id} accepts only partition {port.sender}")
        if target is not None and target != receiver.id:
            return self._refuse(caller, spec, target, HvStatus.ACCESS_DENIED,
                                f"connection {connection_id} leads to partition {receiver.id}, "
                                f"not to partition {target}")
        caller.hypercalls[spec.name] += 1
        return HypercallResult(HvStatus.SUCCESS, receiver.id,
                               f"delivered to port {port.id} ({port.label}) of partition "
                               f"{receiver.id}")

    def _dispatch(
        self,
        spec: HypercallSpec,
        caller: Partition,
        target: Partition | None,
        params: dict[str, Any],
    ) -> HypercallResult:
        if spec.name == "HvCreatePartition":
            pid = self._next_id
            self._next_id += 1
            self.partitions[pid] = Partition(
                pid, str(params.get("name", f"Partition {pid}")), caller.id, CHILD_PRIVILEGES
            )
            return HypercallResult(HvStatus.SUCCESS, pid)
        assert target is not None or not spec.targets_child
        if spec.name == "HvInitializePartition":
            assert target is not None
            if target.state is not PartitionState.CREATED:
                return HypercallResult(HvStatus.INVALID_PARTITION_STATE)
            target.state = PartitionState.ACTIVE
            return HypercallResult(HvStatus.SUCCESS)
        if spec.name == "HvMapGpaPages":
            assert target is not None
            try:
                self.memory.allocate(
                    target.memory_owner,
                    int(params["mb"]),
                    spanning=bool(params.get("spanning", True)),
                    node=params.get("node"),
                )
            except MemoryShortageError as short:
                return HypercallResult(HvStatus.INSUFFICIENT_MEMORY, detail=str(short))
            return HypercallResult(HvStatus.SUCCESS, self.memory.owned_mb(target.memory_owner))
        if spec.name == "HvUnmapGpaPages":
            assert target is not None
            mb = params.get("mb")
            freed = self.memory.release(target.memory_owner, None if mb is None else int(mb))
            return HypercallResult(HvStatus.SUCCESS, freed)
        if spec.name == "HvCreateVp":
            assert target is not None
            added = int(params.get("count", 1))
            target.virtual_processors += added
            self.child_vps += added
            return HypercallResult(HvStatus.SUCCESS, target.virtual_processors)
        if spec.name == "HvDeletePartition":
            assert target is not None
            self.memory.release(target.memory_owner)
            self.child_vps -= target.virtual_processors
            del self.partitions[target.id]
            # Its ports and connections go with it, and so do the others' that served it.
            for other in self.partitions.values():
                other.remove_ports(lambda p: p.sender != target.id)
                other.connections = [c for c in other.connections
                                     if c.port_partition != target.id]
            return HypercallResult(HvStatus.SUCCESS)
        assert target is not None
        return self._ports(spec, target, params)

    def _ports(self, spec: HypercallSpec, target: Partition,
               params: dict[str, Any]) -> HypercallResult:
        """HvCreatePort / HvDeletePort (``target`` receives) and HvConnectPort /
        HvDisconnectPort (``target`` sends)."""
        if target.state is not PartitionState.ACTIVE:
            return HypercallResult(HvStatus.INVALID_PARTITION_STATE)
        if spec.name == "HvCreatePort":
            sender = params.get("sender")
            if not isinstance(sender, int) or sender not in self.partitions:
                return HypercallResult(HvStatus.INVALID_PARTITION_ID, detail=f"sender {sender}")
            port = Port(self._next_port, PortType(params["port_type"]).value, sender,
                        str(params.get("label", "")))
            self._next_port += 1
            target.add_port(port)
            return HypercallResult(HvStatus.SUCCESS, port.id)
        if spec.name == "HvDeletePort":
            port_id = params.get("port_id")
            found = target.remove_ports(lambda p: p.id != port_id) > 0
            return HypercallResult(HvStatus.SUCCESS if found else HvStatus.INVALID_PORT_ID)
        if spec.name == "HvConnectPort":
            receiver = self.partitions.get(params.get("port_partition", -1))
            to = receiver.port(params.get("port_id", -1)) if receiver is not None else None
            if receiver is None or to is None:
                return HypercallResult(HvStatus.INVALID_PORT_ID)
            if to.sender != target.id:
                return HypercallResult(HvStatus.ACCESS_DENIED,
                                       detail=f"port {to.id} accepts only partition {to.sender}")
            connection = Connection(self._next_connection, receiver.id, to.id, to.label)
            self._next_connection += 1
            target.connections.append(connection)
            return HypercallResult(HvStatus.SUCCESS, connection.id)
        # HvDisconnectPort
        kept_connections = [c for c in target.connections
                            if c.id != params.get("connection_id")]
        found = len(kept_connections) < len(target.connections)
        target.connections = kept_connections
        return HypercallResult(HvStatus.SUCCESS if found else HvStatus.INVALID_CONNECTION_ID)

    def shutdown(self) -> None:
        """Tear down every partition and hand all memory back (host power cycle)."""
        for p in list(self.partitions.values()):
            self.memory.release(p.memory_owner)
        self.memory.release(HYPERVISOR)
        self.partitions.clear()

    def counters(self) -> dict[int, dict[str, Any]]:
        return {
            p.id: {"name": p.name, "hypercalls": dict(p.hypercalls), "denied": dict(p.denied)}
            for p in self.partitions.values()
        }
