"""The thin hypervisor: partitions, privileges and the hypercall interface.

The hypervisor launches at host boot only on a 64-bit processor with hardware
virtualization and no-execute (NX) protection present and enabled.  Once running it owns the
physical memory map and the partitions.  The root partition is created at launch with every
privilege; child partitions are created, given memory and destroyed only through hypercalls
issued by the root.  A child that issues a privileged hypercall is refused with
HV_STATUS_ACCESS_DENIED; the refusal is counted and reported, and nothing changes.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.memory import HYPERVISOR, ROOT, MemoryMap, MemoryShortageError
from engine.profiles import HostHardware


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


ROOT_PRIVILEGES = (
    Privilege.ACCESS_PARTITION_ID
    | Privilege.CREATE_PARTITIONS
    | Privilege.ACCESS_MEMORY_POOL
    | Privilege.CPU_MANAGEMENT
    | Privilege.POST_MESSAGES
    | Privilege.SIGNAL_EVENTS
    | Privilege.ACCESS_STATS
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


@dataclass(frozen=True)
class HypercallSpec:
    name: str
    code: int
    privilege: Privilege
    #: True when the call acts on another partition, which must be the caller's child.
    targets_child: bool


HYPERCALLS: dict[str, HypercallSpec] = {
    s.name: s
    for s in (
        HypercallSpec("HvCreatePartition", 0x0040, Privilege.CREATE_PARTITIONS, False),
        HypercallSpec("HvInitializePartition", 0x0041, Privilege.CREATE_PARTITIONS, True),
        HypercallSpec("HvDeletePartition", 0x0043, Privilege.CREATE_PARTITIONS, True),
        HypercallSpec("HvMapGpaPages", 0x004B, Privilege.ACCESS_MEMORY_POOL, True),
        HypercallSpec("HvUnmapGpaPages", 0x004C, Privilege.ACCESS_MEMORY_POOL, True),
        HypercallSpec("HvCreateVp", 0x004E, Privilege.CPU_MANAGEMENT, True),
        HypercallSpec("HvPostMessage", 0x005C, Privilege.POST_MESSAGES, False),
        HypercallSpec("HvSignalEvent", 0x005D, Privilege.SIGNAL_EVENTS, False),
    )
}


class PartitionState(enum.Enum):
    CREATED = "Created"
    ACTIVE = "Active"


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


DeniedCallback = Callable[[Partition, HypercallSpec, "int | None"], None]


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
        self, caller_id: int, call: str, target: int | None = None, **params: Any
    ) -> HypercallResult:
        """Issue hypercall ``call`` from partition ``caller_id``.

        ``target`` is the partition acted on, for calls that act on a child.  Parameters:
        HvCreatePartition(name=str), HvMapGpaPages(mb=int, spanning=bool, node=int|None),
        HvUnmapGpaPages(mb=int|None), HvCreateVp(count=int).
        """
        spec = HYPERCALLS.get(call)
        caller = self.partitions.get(caller_id)
        if caller is None:
            return HypercallResult(HvStatus.INVALID_PARTITION_ID, detail="unknown caller")
        if spec is None:
            return HypercallResult(HvStatus.INVALID_HYPERCALL_CODE, detail=call)
        if not caller.privileges & spec.privilege or (
            spec.targets_child
            and target is not None
            and target in self.partitions
            and self.partitions[target].parent_id != caller.id
        ):
            caller.denied[call] += 1
            if self._on_denied is not None:
                self._on_denied(caller, spec, target)
            return HypercallResult(
                HvStatus.ACCESS_DENIED, detail=f"{call} needs {spec.privilege.name}"
            )
        caller.hypercalls[call] += 1
        if spec.targets_child:
            if target is None or target not in self.partitions:
                return HypercallResult(HvStatus.INVALID_PARTITION_ID, detail=f"partition {target}")
            return self._dispatch(spec, caller, self.partitions[target], params)
        return self._dispatch(spec, caller, None, params)

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
            return HypercallResult(HvStatus.SUCCESS)
        # HvPostMessage / HvSignalEvent: counted message traffic over VMBus connections.
        return HypercallResult(HvStatus.SUCCESS)

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
