"""Per-VM figures as a structure of arrays, so one tick is a few numpy operations.

Every VM in the lab owns a slot (row) for its lifetime; slots of deleted VMs are reused.
A tick reads the guest phase, workload and CPU-control columns, asks each VM's guest what it
wants (CPU, disk, network, memory), runs the scheduler per host, and writes what each VM got.
Nothing here loops over VMs in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hvlab.engine.guest import PHASE_CPU, PHASE_MEMORY, GuestPhase
from hvlab.engine.sim import noise
from hvlab.engine.sim.columns import ColumnTable
from hvlab.engine.sim.scheduler import schedule

FloatArray = npt.NDArray[np.float64]

_PHASES = len(GuestPhase)
PHASE_CPU_FRACTION = np.array([PHASE_CPU[GuestPhase(i)][0] for i in range(_PHASES)])
PHASE_CPU_ALL_VPS = np.array([PHASE_CPU[GuestPhase(i)][1] for i in range(_PHASES)])
PHASE_MEMORY_SHARE = np.array([PHASE_MEMORY[GuestPhase(i)] for i in range(_PHASES)])
READY = int(GuestPhase.READY)

#: Root partition CPU in logical processors: the management OS, plus each running VM's
#: worker process.  Device emulation adds to it (devices issue).
ROOT_BASE_LP = 0.03
ROOT_PER_VM_LP = 0.004
#: The root partition has one virtual processor per logical processor, at most 64 (the
#: 2008-era root limit); its CPU use never exceeds them.
ROOT_MAX_VPS = 64
#: Each root VP carries the default relative weight when root-side work competes with guests.
ROOT_VP_WEIGHT = 100.0
#: The hypervisor's own run time per LP (scheduler, timers), whatever the load.
HV_BASE_PER_LP = 0.002
#: Share of a VP's run time spent in the hypervisor handling its intercepts and hypercalls.
#: Enlightened guests ask the hypervisor (hypercalls) instead of trapping (intercepts).
HV_SHARE_ENLIGHTENED = 0.03
HV_SHARE_UNENLIGHTENED = 0.09
#: Rates per logical processor of guest run time.
HYPERCALLS_PER_LP_S = 8000.0
INTERCEPTS_PER_LP_S_ENLIGHTENED = 2500.0
INTERCEPTS_PER_LP_S_UNENLIGHTENED = 12000.0


def root_vps(lps: FloatArray) -> FloatArray:
    """The root partition's virtual processors on hosts with ``lps`` logical processors."""
    out: FloatArray = np.minimum(lps, ROOT_MAX_VPS)
    return out


@dataclass(frozen=True)
class HostTick:
    """What one host's processors did in the last tick (logical processors, averaged)."""

    guest_lp: float
    hypervisor_lp: float
    root_lp: float
    #: Of ``root_lp``, what the root-side load (a trainer's load, a backup) got.
    root_load_lp: float = 0.0


class VmTable(ColumnTable):
    """Columns indexed by slot.  ``active`` marks VMs whose virtual processors run."""

    key: npt.NDArray[np.uint64]
    host: npt.NDArray[np.int32]
    used: npt.NDArray[np.bool_]
    active: npt.NDArray[np.bool_]
    phase: npt.NDArray[np.int8]
    vps: npt.NDArray[np.int32]
    enlightened: npt.NDArray[np.bool_]
    vsc: npt.NDArray[np.bool_]  # the guest has its VMBus drivers (integration services)
    ic_channels: npt.NDArray[np.int32]  # integration components running once the guest is up
    vmbus_signals: FloatArray  # HvSignalEvent issued since the partition was created
    vmbus_messages: FloatArray  # HvPostMessage issued since the partition was created
    working_set_mb: FloatArray
    reserve: FloatArray
    limit: FloatArray
    weight: FloatArray
    wl_cpu: FloatArray
    wl_swing: FloatArray
    wl_period: FloatArray
    wl_burst: FloatArray
    wl_disk: FloatArray
    wl_net: FloatArray
    wl_dirty: FloatArray
    wl_ws: FloatArray
    wl_jitter: FloatArray
    cpu_demand_lp: FloatArray
    cpu_usage_lp: FloatArray
    cpu_hv_lp: FloatArray
    bsp_share: FloatArray
    memory_assigned_mb: npt.NDArray[np.int64]
    memory_demand_mb: FloatArray
    memory_demand_avg_mb: FloatArray  # exponentially smoothed (about 2 s), for the balancer
    disk_iops: FloatArray
    net_mbit: FloatArray
    dirty_pages: FloatArray
    hypercalls_s: FloatArray
    intercepts_s: FloatArray

    def add(self, key: int, host: int) -> int:
        slot = self._allocate()
        self.key[slot] = np.uint64(key)
        self.host[slot] = host
        self.used[slot] = True
        self.weight[slot] = 100.0
        self.limit[slot] = 1.0
        self.wl_ws[slot] = 1.0
        return slot

    def remove(self, slot: int) -> None:
        self.used[slot] = False
        self.active[slot] = False
        self._release(slot)

    def root_base_lp(self, hosts: int) -> FloatArray:
        """The management OS and the running VMs' worker processes, per host (LPs)."""
        n = self.size
        running = np.bincount(self.host[:n], weights=self.active[:n], minlength=hosts)
        base: FloatArray = (ROOT_BASE_LP + ROOT_PER_VM_LP * running[:hosts]).astype(np.float64)
        return base

    def step(
        self,
        step_index: int,
        dt_s: float,
        host_lps: FloatArray,
        root_extra_lp: FloatArray | None = None,
        hv_extra_lp: FloatArray | None = None,
        root_load_lp: FloatArray | None = None,
    ) -> list[HostTick]:
        """Advance every VM by one tick of ``dt_s`` seconds; returns what each host did.

        ``root_extra_lp`` (the last tick's device work) is served first with the management
        OS; ``root_load_lp`` (other root-side work) competes with the guests for the rest,
        as a partition whose VPs carry the default weight, within the root's VPs."""
        n = self.size
        act = self.active[:n]
        phase = self.phase[:n]
        vps = self.vps[:n]
        key = self.key[:n]
        u = noise.uniform(key, step_index)
        u2 = noise.uniform(key, step_index, stream=1)
        ready = (phase == READY) & act

        # Boot and shutdown phases: the phase table.  Ready: the workload.
        frac = PHASE_CPU_FRACTION[phase]
        all_vps = PHASE_CPU_ALL_VPS[phase]
        boot_demand = np.where(all_vps, frac * vps, frac) * (0.75 + 0.5 * u)
        t = step_index * dt_s
        period = self.wl_period[:n]
        offset = (key % np.uint64(1000)).astype(np.float64) / 1000.0
        with np.errstate(divide="ignore", invalid="ignore"):
            wave = np.where(period > 0, np.sin(2 * np.pi * (t / period + offset)), 0.0)
        wl_cpu = self.wl_cpu[:n]
        work = wl_cpu * (1.0 + (u - 0.5) * 2.0 * self.wl_jitter[:n]) + self.wl_swing[:n] * wave
        burst = u2 < self.wl_burst[:n] * dt_s
        work = np.where(burst, 1.0, np.clip(work, 0.0, 1.0))
        demand = np.minimum(np.where(ready, work * vps, boot_demand), vps) * act
        self.cpu_demand_lp[:n] = demand
        self.bsp_share[:n] = np.where(all_vps, 1.0 / np.maximum(vps, 1), 1.0)

        hosts = len(host_lps)
        hidx = self.host[:n]
        root_cap = root_vps(host_lps)
        root = self.root_base_lp(hosts)
        if root_extra_lp is not None:
            root = root + root_extra_lp
        root = np.minimum(root, root_cap)
        hv_base = HV_BASE_PER_LP * host_lps
        if hv_extra_lp is not None:
            hv_base = np.minimum(hv_base + hv_extra_lp, np.maximum(host_lps - root, 0.0))
        capacity = np.maximum(host_lps - root - hv_base, 0.0)
        load_want = np.zeros(hosts)
        if root_load_lp is not None:
            load_want = np.maximum(np.minimum(root_load_lp, root_cap - root), 0.0)
        load_got = np.zeros(hosts)
        usage = self.cpu_usage_lp
        usage[:n] = 0.0
        runnable = np.where(all_vps | ready, vps, 1).astype(np.int32)
        for h in range(hosts):
            idx = np.flatnonzero(act & (hidx == h)) if hosts > 1 else np.flatnonzero(act)
            if load_want[h] > 0:
                # The root-side load competes as one more partition with the root's VPs.
                r_vps = max(int(root_cap[h]), 1)
                got = schedule(
                    np.append(demand[idx], load_want[h]),
                    np.append(vps[idx], r_vps).astype(np.int32),
                    np.append(self.reserve[idx], 0.0),
                    np.append(self.limit[idx], 1.0),
                    np.append(self.weight[idx], ROOT_VP_WEIGHT),
                    float(capacity[h]),
                    np.append(runnable[idx], r_vps).astype(np.int32),
                )
                usage[idx] = got[:-1]
                load_got[h] = got[-1]
            elif idx.size:
                usage[idx] = schedule(
                    demand[idx],
                    vps[idx],
                    self.reserve[idx],
                    self.limit[idx],
                    self.weight[idx],
                    float(capacity[h]),
                    runnable[idx],
                )
        use = usage[:n]
        enl = self.enlightened[:n]
        hv = use * np.where(enl, HV_SHARE_ENLIGHTENED, HV_SHARE_UNENLIGHTENED)
        self.cpu_hv_lp[:n] = hv
        self.hypercalls_s[:n] = np.where(enl, use * HYPERCALLS_PER_LP_S, 0.0)
        self.intercepts_s[:n] = use * np.where(
            enl, INTERCEPTS_PER_LP_S_ENLIGHTENED, INTERCEPTS_PER_LP_S_UNENLIGHTENED
        )

        self.vmbus_messages[:n] += self.ic_channels[:n] * ready * dt_s
        share = np.where(ready, self.wl_ws[:n], PHASE_MEMORY_SHARE[phase])

        demand_mb = self.working_set_mb[:n] * share * (0.95 + 0.1 * u2) * act
        self.memory_demand_mb[:n] = demand_mb
        avg = self.memory_demand_avg_mb[:n]
        avg += (demand_mb - avg) * (dt_s / 2.0)
        avg *= act
        jitter = (0.7 + 0.6 * u2) * ready
        self.disk_iops[:n] = self.wl_disk[:n] * jitter
        self.net_mbit[:n] = self.wl_net[:n] * jitter
        self.dirty_pages[:n] = self.wl_dirty[:n] * jitter

        guest = np.bincount(hidx, weights=use - hv, minlength=hosts)
        hv_total = hv_base + np.bincount(hidx, weights=hv, minlength=hosts)
        return [HostTick(float(guest[h]), float(hv_total[h]), float(root[h] + load_got[h]),
                         float(load_got[h])) for h in range(hosts)]
