"""Per-VM figures as a structure of arrays, so one tick is a few numpy operations.

Every VM in the lab owns a slot (row) for its lifetime; slots of deleted VMs are reused.
The per-tick step reads the guest phase and configuration columns and writes CPU usage and
memory demand for all VMs at once; nothing here loops over VMs in Python.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine import noise
from engine.guest import PHASE_CPU, PHASE_MEMORY, GuestPhase

_PHASES = len(GuestPhase)
PHASE_CPU_FRACTION = np.array([PHASE_CPU[GuestPhase(i)][0] for i in range(_PHASES)])
PHASE_CPU_ALL_VPS = np.array([PHASE_CPU[GuestPhase(i)][1] for i in range(_PHASES)])
PHASE_MEMORY_SHARE = np.array([PHASE_MEMORY[GuestPhase(i)] for i in range(_PHASES)])

#: Root partition CPU (in logical processors): the management OS itself, plus each running
#: VM's worker process.  The devices issue adds device emulation on top.
ROOT_BASE_LP = 0.03
ROOT_PER_VM_LP = 0.004


class VmTable:
    """Columns indexed by slot.  ``active`` marks VMs whose virtual processors run."""

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = 0
        self.size = 0
        self._free: list[int] = []
        self.key = np.zeros(0, dtype=np.uint64)
        self.host = np.zeros(0, dtype=np.int32)
        self.used = np.zeros(0, dtype=bool)
        self.active = np.zeros(0, dtype=bool)
        self.phase = np.zeros(0, dtype=np.int8)
        self.vps = np.zeros(0, dtype=np.int32)
        self.working_set_mb = np.zeros(0, dtype=np.float64)
        self.cpu_demand_lp = np.zeros(0, dtype=np.float64)
        self.cpu_usage_lp = np.zeros(0, dtype=np.float64)
        self.memory_assigned_mb = np.zeros(0, dtype=np.int64)
        self.memory_demand_mb = np.zeros(0, dtype=np.float64)
        self._grow(capacity)

    _COLUMNS = (
        "key",
        "host",
        "used",
        "active",
        "phase",
        "vps",
        "working_set_mb",
        "cpu_demand_lp",
        "cpu_usage_lp",
        "memory_assigned_mb",
        "memory_demand_mb",
    )

    def _grow(self, capacity: int) -> None:
        for name in self._COLUMNS:
            old = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        self._free.extend(range(capacity - 1, self.capacity - 1, -1))
        self.capacity = capacity

    def add(self, key: int, host: int) -> int:
        if not self._free:
            self._grow(max(64, self.capacity * 2))
        slot = self._free.pop()
        for name in self._COLUMNS:
            getattr(self, name)[slot] = 0
        self.key[slot] = np.uint64(key)
        self.host[slot] = host
        self.used[slot] = True
        self.size = max(self.size, slot + 1)
        return slot

    def remove(self, slot: int) -> None:
        self.used[slot] = False
        self.active[slot] = False
        self._free.append(slot)
        self._free.sort(reverse=True)

    def step(self, step_index: int, host_lps: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Advance demand and usage by one tick; returns root partition CPU per host (LPs).

        Until the scheduler issue lands, contention is resolved by scaling every VM's demand
        down in proportion on an oversubscribed host (no reserve, limit or weight yet).
        """
        n = self.size
        active = self.active[:n]
        phase = self.phase[:n]
        u = noise.uniform(self.key[:n], step_index)
        vps = self.vps[:n]
        frac = PHASE_CPU_FRACTION[phase]
        base = np.where(PHASE_CPU_ALL_VPS[phase], frac * vps, frac)
        demand = np.minimum(base * (0.75 + 0.5 * u), vps) * active
        self.cpu_demand_lp[:n] = demand
        hosts = len(host_lps)
        hidx = self.host[:n]
        running_count = np.bincount(hidx, weights=active, minlength=hosts)
        root: npt.NDArray[np.float64] = (ROOT_BASE_LP + ROOT_PER_VM_LP * running_count).astype(
            np.float64
        )
        capacity = np.maximum(host_lps - root, 0.0)
        total = np.bincount(hidx, weights=demand, minlength=hosts)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(total > capacity, capacity / total, 1.0)
        self.cpu_usage_lp[:n] = demand * scale[hidx]
        share = PHASE_MEMORY_SHARE[phase]
        u2 = noise.uniform(self.key[:n], step_index, stream=1)
        self.memory_demand_mb[:n] = self.working_set_mb[:n] * share * (0.95 + 0.1 * u2) * active
        return root
