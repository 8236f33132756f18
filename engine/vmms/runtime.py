"""The management service's live record of one VM: its configuration, lifecycle state,
partition, guest progress, files and checkpoints.  Never handed to clients (they get the
records of :mod:`hvlab.engine.api.types`)."""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from hvlab.engine.config import VmConfig
from hvlab.engine.guest import GuestPhase
from hvlab.engine.lifecycle import VmState

CONSOLE_LINES = 400


@dataclass
class SavedState:
    """What a Save keeps of a running VM: the memory it had, where its guest was in its
    boot, its uptime and the guest's memory contents.  Written to the VM's ``.vsv`` file,
    kept in a checkpoint of a running VM, and read back by a restore."""

    memory_mb: int
    uptime_us: int
    phase: GuestPhase
    plan_index: int
    #: Time left until the guest's next boot step when it was frozen (None: none pending).
    frozen_left_us: int | None
    saved_us: int
    #: The guest boot the state belongs to (None in records written before it was kept).
    boot_number: int | None
    #: The guest's memory contents (see vm_files.memory_record).
    memory_record: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """The record as the files keep it (plain JSON values, in this order)."""
        out: dict[str, Any] = {
            "memory_mb": self.memory_mb, "uptime_us": self.uptime_us, "phase": int(self.phase),
            "plan_index": self.plan_index, "frozen_left_us": self.frozen_left_us,
            "saved_us": self.saved_us}
        if self.boot_number is not None:
            out["boot_number"] = self.boot_number
        out["memory_record"] = copy.deepcopy(self.memory_record)
        return out

    @staticmethod
    def from_dict(record: dict[str, Any]) -> SavedState:
        """A record checked by ``vm_files.saved_state_problem``."""
        left = record.get("frozen_left_us")
        boot = record.get("boot_number")
        return SavedState(
            memory_mb=int(record["memory_mb"]), uptime_us=int(record["uptime_us"]),
            phase=GuestPhase(int(record["phase"])), plan_index=int(record["plan_index"]),
            frozen_left_us=None if left is None else int(left),
            saved_us=int(record.get("saved_us", 0)),
            boot_number=None if boot is None else int(boot),
            memory_record=copy.deepcopy(record.get("memory_record")))


@dataclass
class Checkpoint:
    """One checkpoint: the configuration and (for a running or saved VM) the saved state at
    that moment, and the disk each drive had then (frozen; the VM continues on a child)."""

    id: str
    name: str
    #: The checkpoint this one was taken after (None: the first of its tree).
    parent: str | None
    created_us: int
    #: The configuration as ``VmConfig.to_dict`` gives it.
    config: dict[str, Any]
    saved_state: SavedState | None
    #: Drive key to the frozen disk, as the VM's records keep paths (vm_files.chain_path).
    disks: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """The record as the files keep it (plain JSON values, in this order)."""
        return {"id": self.id, "name": self.name, "parent": self.parent,
                "created_us": self.created_us, "config": copy.deepcopy(self.config),
                "saved_state": None if self.saved_state is None else self.saved_state.to_dict(),
                "disks": dict(self.disks)}

    @staticmethod
    def from_dict(record: dict[str, Any]) -> Checkpoint:
        """A record checked by ``vm_files.checkpoint_problem``."""
        saved = record.get("saved_state")
        parent = record.get("parent")
        return Checkpoint(
            id=str(record["id"]), name=str(record["name"]),
            parent=None if parent is None else str(parent),
            created_us=int(record["created_us"]), config=copy.deepcopy(record["config"]),
            saved_state=None if saved is None else SavedState.from_dict(saved),
            disks={str(k): str(v) for k, v in record["disks"].items()})


@dataclass
class VmRuntime:
    """The management service's live record of one VM (never handed to clients)."""

    config: VmConfig
    slot: int
    key: int
    state: VmState = VmState.OFF
    partition_id: int | None = None
    phase: GuestPhase = GuestPhase.OFF
    plan_index: int = -1
    guest_epoch: int = 0
    guest_due_us: int | None = None
    guest_frozen_left_us: int | None = None
    uptime_base_us: int = 0
    running_since_us: int | None = None
    job_id: int | None = None
    state_before_job: VmState | None = None
    saved_state: SavedState | None = None
    was_running: bool = False
    console: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=CONSOLE_LINES))
    console_serial: int = 0
    #: Dynamic MAC addresses leased to adapters, by adapter index (as a string).
    macs: dict[str, str] = field(default_factory=dict)
    #: Integration services were installed from the setup disk; they load at the next boot.
    is_setup_pending: bool = False
    #: Real files: each drive's current disk when it is not the configured one (an .avhd
    #: after a checkpoint), and the parent of each .avhd this VM made.
    current_disks: dict[str, str] = field(default_factory=dict)
    disk_parents: dict[str, str] = field(default_factory=dict)
    #: Checkpoints (oldest first) and the one the running state ("Now") follows.
    checkpoints: list[Checkpoint] = field(default_factory=list)
    current_checkpoint: str | None = None
    checkpoint_counter: int = 0
    #: The guest's memory contents while a partition exists (see vm_files.memory_record).
    memory_record: dict[str, Any] | None = None
    boot_number: int = 0
    #: The guest runs the Heartbeat service once it is up (derived from the configuration).
    has_heartbeat: bool = False
    #: Integration components the guest runs once it is up (each a VMBus channel).
    ic_channels: int = 0

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def name(self) -> str:
        return self.config.name

    def uptime_us(self, now_us: int) -> int:
        if self.running_since_us is None:
            return self.uptime_base_us
        return self.uptime_base_us + now_us - self.running_since_us
