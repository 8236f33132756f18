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
from hvlab.engine.sim.scheduler import schedule
from hvlab.engine.sim.vmtable import READY, VmTable

FloatArray = npt.NDArray[np.float64]

IDE_DISK, SCSI_DISK, LEGACY_NIC, SYNTHETIC_NIC = 0, 1, 2, 3
LEGACY_LINK_MBIT = 100.0
#: One synthetic adapter's traffic is served by one root core (VMQ) in these releases.
SYNTHETIC_NIC_MBIT = 4000.0
DISK_REQUEST_KB = 8.0  # normalized IOPS
PACKET_KB = 1.5
UNLIMITED = 1e12


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
    dev: DeviceTable, vms: VmTable, storage_iops: FloatArray, switches: list[SwitchInfo]
) -> list[IoTick]:
    """Move this tick's I/O; returns the root and hypervisor CPU it cost, per host.

    A pure function of the VM table and the device rows: it changes only the device rows,
    so running it again on a reopened lab reproduces the same I/O state.
    """
    hosts = len(storage_iops)
    n = dev.size
    if n == 0:
        return [IoTick(0.0, 0.0) for _ in range(hosts)]
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
    limit = dev.limit[active_rows]
    reserve = dev.reserve[active_rows]
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
    rate[active_rows] = got

    # What it cost: per request, emulated or synthetic, from the profile's cycle counts.
    emu = emulated[active_rows]
    requests = got * dev.requests_per_unit[active_rows]
    cycles = np.where(emu, dev.emu_root_cycles[active_rows], dev.syn_root_cycles[active_rows])
    hv_cycles = np.where(emu, dev.emu_hv_cycles[active_rows], dev.syn_hv_cycles[active_rows])
    exits = requests * np.where(emu, dev.emu_exits[active_rows], dev.syn_exits[active_rows])
    inv_hz = dev.inv_hz[active_rows]
    dev.root_lp[:n] = dev.hv_lp[:n] = dev.intercepts_s[:n] = dev.interrupts_s[:n] = 0.0
    dev.root_lp[active_rows] = requests * cycles * inv_hz
    dev.hv_lp[active_rows] = requests * hv_cycles * inv_hz
    dev.intercepts_s[active_rows] = exits
    dev.interrupts_s[active_rows] = np.where(emu, 0.0, exits)
    hidx = dev.host[active_rows]
    root = np.bincount(hidx, weights=dev.root_lp[active_rows], minlength=hosts)
    hv = np.bincount(hidx, weights=dev.hv_lp[active_rows], minlength=hosts)
    per_vm: FloatArray = np.bincount(a_slot, weights=exits, minlength=cap).astype(np.float64)
    dev.vm_intercepts_s = per_vm[: vms.size]
    irq: FloatArray = np.bincount(a_slot, weights=dev.interrupts_s[active_rows],
                                  minlength=cap).astype(np.float64)
    dev.vm_interrupts_s = irq[: vms.size]
    return [IoTick(float(root[h]), float(hv[h])) for h in range(hosts)]
