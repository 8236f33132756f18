"""The I/O model: what each virtual disk and network adapter moves, and what it costs.

Per request, CPU cost follows ``C = E × (C_exit + C_handler) + C_copy`` (perf-fidelity §4):

* **emulated** (IDE without integration services, the legacy DEC 21140): each request traps
  E ≈ 5–6 times; every intercept is a hypervisor exit and a trip to the VM's worker process
  in the root partition;
* **synthetic** (VMBus): requests are batched in the ring buffer; one intercept and one
  interrupt per batch, handled by the VSP in the root kernel.

Cycle counts come from the host profile (``io_costs``: they differ by CPU generation), so the
gap between the paths emerges from the model.  Throughput is bounded by the device (the
legacy adapter's 100 Mbit/s link), by QoS (minimum/maximum IOPS per drive, Mbit/s per
adapter), and by what the host has (storage bandwidth, the NIC behind an external switch),
shared with the scheduler's water-fill so minimums hold under contention.

Both paths are served in the root partition, so both are bounded by its CPU (the root
has one virtual processor per logical processor).  The management OS and the VSPs, in the
root kernel, are served first.  The worker processes come next: their emulation takes the
root time that is left, shared between them when they want more, so enough emulated VMs
saturate the root by themselves.  And an emulated request is synchronous: the virtual
processor waits at each intercept until the VM's worker process has run on a root VP.  When
the root is busy with other work (a root-side load, a backup), the worker waits for a root
VP, in proportion to how busy the root is; emulated throughput falls accordingly, while
synthetic requests, batched in the ring buffer and handled in the kernel, do not wait.

Rows are per device; this module never loops over devices in Python, only over contention
domains (one per host for storage, one per virtual switch for network).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hvlab.engine.profiles import IoCosts
from hvlab.engine.sim.columns import ColumnTable
from hvlab.engine.sim.scheduler import schedule, water_fill
from hvlab.engine.sim.vmtable import READY, VmTable

FloatArray = npt.NDArray[np.float64]

IDE_DISK, SCSI_DISK, LEGACY_NIC, SYNTHETIC_NIC = 0, 1, 2, 3
LEGACY_LINK_MBIT = 100.0
#: One synthetic adapter's traffic is served by one root core (VMQ) in these releases.
SYNTHETIC_NIC_MBIT = 4000.0
DISK_REQUEST_KB = 8.0  # normalized IOPS
PACKET_KB = 1.5
UNLIMITED = 1e12
#: Requests an emulated device has in flight: the emulated IDE controller and the DEC
#: 21140 driver wait for each request to complete (no command queueing).
EMULATED_OUTSTANDING = 1.0
#: Time for the root to wake the VM's worker process at each intercept on an idle root
#: (intercept message, context switch into the worker), seconds.
DISPATCH_S = 10e-6
#: When other root work holds every root VP, a worker still gets a VP at this rate of an
#: idle root's: the wait per intercept is DISPATCH_S / max(idle share, this floor).
DISPATCH_FLOOR = 0.05


@dataclass(frozen=True)
class RootCpu:
    """What the I/O step needs of each host's root partition this tick (in LPs, per host)."""

    vps: FloatArray  # the root's virtual processors: its CPU ceiling
    base_lp: FloatArray  # management OS and idle worker processes (served first)
    load_lp: FloatArray  # root-side load (a trainer's load, a backup) as scheduled

    @staticmethod
    def unbounded(hosts: int) -> RootCpu:
        return RootCpu(np.full(hosts, 64.0), np.zeros(hosts), np.zeros(hosts))


@dataclass(frozen=True)
class IoTick:
    """What one host's I/O cost in one tick (logical processors)."""

    root_lp: float
    hypervisor_lp: float


class DeviceTable(ColumnTable):
    """One row per virtual disk and network adapter in the lab."""

    used: npt.NDArray[np.bool_]
    vm_slot: npt.NDArray[np.int64]
    host: npt.NDArray[np.int32]
    cls: npt.NDArray[np.int8]
    min: FloatArray
    max: FloatArray
    switch: npt.NDArray[np.int32]
    vlan: npt.NDArray[np.int32]
    rate: FloatArray  # IOPS for disks, Mbit/s for adapters
    emulated: npt.NDArray[np.bool_]
    carrying: npt.NDArray[np.bool_]
    root_lp: FloatArray
    hv_lp: FloatArray
    intercepts_s: FloatArray
    interrupts_s: FloatArray
    # Static per row, set by sync_vm: QoS and link limits, contention domain, costs.
    limit: FloatArray
    reserve: FloatArray
    domain: npt.NDArray[np.int64]  # host index (storage) or -(switch + 1) (network)
    requests_per_unit: FloatArray  # requests per IOPS or per Mbit/s
    emu_root_cycles: FloatArray  # per request
    emu_hv_cycles: FloatArray
    syn_root_cycles: FloatArray
    syn_hv_cycles: FloatArray
    emu_exits: FloatArray
    syn_exits: FloatArray
    inv_hz: FloatArray

    def __init__(self, capacity: int = 64) -> None:
        self.rows: dict[tuple[str, str], int] = {}  # (vm id, device key) -> row
        #: Called with a row number when a row is given to a new device (history reset).
        self.on_new_row: Callable[[int], None] | None = None
        #: Intercepts the last step's I/O caused, per VM slot (added to the VMs' counters).
        self.vm_intercepts_s: FloatArray = np.zeros(0)
        #: VMBus signals (one per batch) of the last step, per VM slot.
        self.vm_interrupts_s: FloatArray = np.zeros(0)
        super().__init__(capacity)

    def sync_vm(
        self,
        vm_id: str,
        vm_slot: int,
        host: int,
        devices: list[tuple[str, int, float, float, int, int]],
        cpu_ghz: float,
        costs: IoCosts,
    ) -> None:
        """Make the VM's rows match ``devices``: (key, class, min, max, switch, vlan)."""
        wanted = {d[0] for d in devices}
        for key in [k for k in self.rows if k[0] == vm_id and k[1] not in wanted]:
            self._remove(self.rows.pop(key))
        for dkey, cls, lo, hi, switch, vlan in devices:
            row = self.rows.get((vm_id, dkey))
            if row is None:
                row = self._allocate()
                self.rows[(vm_id, dkey)] = row
                if self.on_new_row is not None:
                    self.on_new_row(row)
            self.used[row] = True
            self.vm_slot[row] = vm_slot
            self.host[row] = host
            self.cls[row] = cls
            self.min[row] = lo
            self.max[row] = hi if hi > 0 else UNLIMITED
            self.switch[row] = switch
            self.vlan[row] = vlan
            nic = cls >= LEGACY_NIC
            link = (
                LEGACY_LINK_MBIT
                if cls == LEGACY_NIC
                else SYNTHETIC_NIC_MBIT
                if cls == SYNTHETIC_NIC
                else UNLIMITED
            )
            self.limit[row] = min(self.max[row], link)
            self.reserve[row] = min(lo, self.limit[row])
            self.domain[row] = -(switch + 1) if nic else host
            kb = PACKET_KB if nic else DISK_REQUEST_KB
            self.requests_per_unit[row] = 1e6 / 8 / (kb * 1024) if nic else 1.0
            exits = (
                costs.emulated_exits_per_packet if nic else costs.emulated_exits_per_disk_request
            )
            copy = costs.copy_cycles_per_kb * kb
            self.emu_exits[row] = exits
            self.emu_root_cycles[row] = exits * costs.worker_cycles_per_exit + copy
            self.emu_hv_cycles[row] = exits * costs.exit_cycles
            self.syn_exits[row] = 1.0 / costs.synthetic_batch
            self.syn_root_cycles[row] = costs.vsp_cycles_per_request + copy
            self.syn_hv_cycles[row] = costs.exit_cycles / costs.synthetic_batch
            self.inv_hz[row] = 1.0 / (cpu_ghz * 1e9)

    def remove_vm(self, vm_id: str) -> None:
        for key in [k for k in self.rows if k[0] == vm_id]:
            self._remove(self.rows.pop(key))

    def _remove(self, row: int) -> None:
        self.used[row] = False
        self.carrying[row] = False
        self.rate[row] = 0.0
        self._release(row)

    def row(self, vm_id: str, key: str) -> int | None:
        return self.rows.get((vm_id, key))


@dataclass(frozen=True)
class SwitchInfo:
    """What the I/O step needs of one virtual switch (indexed lab-wide)."""

    host: int
    capacity_mbit: float
    kind: str  # External, Internal, Private
    management_vlan: int


def step(
    dev: DeviceTable, vms: VmTable, storage_iops: FloatArray, switches: list[SwitchInfo],
    root: RootCpu | None = None,
) -> list[IoTick]:
    """Move this tick's I/O; returns the root and hypervisor CPU it cost, per host.

    A function of the VM table, the root's CPU and the device rows: it changes only the
    device rows, so running it again on a reopened lab reproduces the same I/O state.
    """
    hosts = len(storage_iops)
    n = dev.size
    if n == 0:
        return [IoTick(0.0, 0.0) for _ in range(hosts)]
    if root is None:
        root = RootCpu.unbounded(hosts)
    slot = dev.vm_slot[:n]
    cls = dev.cls[:n]
    has_vsc = vms.vsc[slot]
    is_nic = cls >= LEGACY_NIC
    sw = dev.switch[:n]
    connected = sw >= 0
    ready = dev.used[:n] & vms.active[slot] & (vms.phase[slot] == READY)
    # IDE always has a driver; the legacy adapter needs a switch; synthetic devices need
    # the guest's VSC (and adapters a switch).
    carrying = ready & ((cls == IDE_DISK) | has_vsc | (cls == LEGACY_NIC)) & (~is_nic | connected)
    if switches and bool((carrying & is_nic).any()):
        # An adapter carries only if something is at the other end of its switch.
        kinds = np.array([s.kind for s in switches])
        mgmt_vlan = np.array([s.management_vlan for s in switches])
        sw_safe = np.where(connected, sw, 0)
        vlan = dev.vlan[:n]
        _, inverse = np.unique(sw_safe.astype(np.int64) * 4096 + vlan, return_inverse=True)
        peers = np.bincount(inverse, weights=carrying & is_nic)[inverse]
        kind = kinds[sw_safe]
        to_host = (kind == "Internal") & (vlan == mgmt_vlan[sw_safe])
        carrying &= ~is_nic | (kind == "External") | to_host | (peers >= 2)
    dev.carrying[:n] = carrying
    emulated = carrying & ((cls == LEGACY_NIC) | ((cls == IDE_DISK) & ~has_vsc))
    dev.emulated[:n] = emulated
    rate = dev.rate
    rate[:n] = 0.0
    active_rows = np.flatnonzero(carrying)
    if active_rows.size == 0:
        dev.root_lp[:n] = dev.hv_lp[:n] = dev.intercepts_s[:n] = dev.interrupts_s[:n] = 0.0
        dev.vm_intercepts_s = np.zeros(0)
        dev.vm_interrupts_s = np.zeros(0)
        return [IoTick(0.0, 0.0) for _ in range(hosts)]

    # Each VM's demand is spread over the devices that carry it.
    cap = vms.capacity
    a_slot = slot[active_rows]
    a_nic = is_nic[active_rows]
    nic_count = np.bincount(a_slot, weights=a_nic, minlength=cap)
    disk_count = np.bincount(a_slot, weights=~a_nic, minlength=cap)
    demand = np.where(
        a_nic,
        vms.net_mbit[a_slot] / np.maximum(nic_count[a_slot], 1),
        vms.disk_iops[a_slot] / np.maximum(disk_count[a_slot], 1),
    )
    emu = emulated[active_rows]
    hidx = dev.host[active_rows]
    inv_hz = dev.inv_hz[active_rows]
    per_unit = dev.requests_per_unit[active_rows]
    # Emulated requests wait at every intercept for the worker to get a root VP.
    with np.errstate(divide="ignore", invalid="ignore"):
        busy = np.where(root.vps > 0,
                        np.minimum((root.base_lp + root.load_lp) / root.vps, 1.0), 1.0)
    idle = np.maximum(1.0 - busy, DISPATCH_FLOOR)
    emu_exits = dev.emu_exits[active_rows]
    t_request = ((dev.emu_root_cycles[active_rows] + dev.emu_hv_cycles[active_rows]) * inv_hz
                 + emu_exits * DISPATCH_S / idle[hidx])
    emu_ceiling = EMULATED_OUTSTANDING / t_request / per_unit
    limit = np.where(emu, np.minimum(dev.limit[active_rows], emu_ceiling), dev.limit[active_rows])
    reserve = np.minimum(dev.reserve[active_rows], limit)
    domain = dev.domain[active_rows]
    got = np.zeros(active_rows.size)
    for d in np.unique(domain):
        sel = np.flatnonzero(domain == d)
        capacity = float(storage_iops[d]) if d >= 0 else switches[-int(d) - 1].capacity_mbit
        res = reserve[sel]
        total_res = float(res.sum())
        if total_res > capacity:  # minimums oversubscribed: scale them down together
            res = res * (capacity / total_res)
        got[sel] = schedule(
            demand[sel],
            np.ones(sel.size, dtype=np.int32),
            res,
            limit[sel],
            np.ones(sel.size),
            capacity,
        )

    # What it costs: per request, emulated or synthetic, from the profile's cycle counts.
    cycles = np.where(emu, dev.emu_root_cycles[active_rows], dev.syn_root_cycles[active_rows])
    got = _fit_root_cpu(got, got * per_unit * cycles * inv_hz, emu, hidx, root)
    rate[active_rows] = got
    requests = got * per_unit
    hv_cycles = np.where(emu, dev.emu_hv_cycles[active_rows], dev.syn_hv_cycles[active_rows])
    exits = requests * np.where(emu, emu_exits, dev.syn_exits[active_rows])
    dev.root_lp[:n] = dev.hv_lp[:n] = dev.intercepts_s[:n] = dev.interrupts_s[:n] = 0.0
    dev.root_lp[active_rows] = requests * cycles * inv_hz
    dev.hv_lp[active_rows] = requests * hv_cycles * inv_hz
    dev.intercepts_s[active_rows] = exits
    dev.interrupts_s[active_rows] = np.where(emu, 0.0, exits)
    root_io = np.bincount(hidx, weights=dev.root_lp[active_rows], minlength=hosts)
    hv = np.bincount(hidx, weights=dev.hv_lp[active_rows], minlength=hosts)
    per_vm: FloatArray = np.bincount(a_slot, weights=exits, minlength=cap).astype(np.float64)
    dev.vm_intercepts_s = per_vm[: vms.size]
    irq: FloatArray = np.bincount(a_slot, weights=dev.interrupts_s[active_rows],
                                  minlength=cap).astype(np.float64)
    dev.vm_interrupts_s = irq[: vms.size]
    return [IoTick(float(root_io[h]), float(hv[h])) for h in range(hosts)]


def _fit_root_cpu(rate: FloatArray, need_lp: FloatArray, emu: npt.NDArray[np.bool_],
                  hidx: npt.NDArray[np.int32], root: RootCpu) -> FloatArray:
    """Scale ``rate`` so that each host's I/O fits in its root's CPU: the VSPs (kernel) in
    what the management OS leaves, the worker processes' emulation in what is left after
    the VSPs, shared between the devices by water-fill when they want more."""
    hosts = root.vps.size
    free = np.maximum(root.vps - root.base_lp, 0.0)
    syn_need = np.bincount(hidx, weights=need_lp * ~emu, minlength=hosts)
    emu_need = np.bincount(hidx, weights=need_lp * emu, minlength=hosts)
    emu_free = np.maximum(free - syn_need, 0.0)
    syn_short = syn_need > free
    over = np.flatnonzero(emu_need > emu_free)
    if not syn_short.any() and over.size == 0:
        return rate
    out = rate.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(syn_short, free / syn_need, 1.0)
    out *= np.where(emu, 1.0, scale[hidx])
    for h in over:
        rows = np.flatnonzero((hidx == h) & emu)
        need = need_lp[rows]
        share = water_fill(need, np.ones(rows.size), float(emu_free[h]))
        with np.errstate(divide="ignore", invalid="ignore"):
            out[rows] *= np.where(need > 0, share / need, 0.0)
    return out
