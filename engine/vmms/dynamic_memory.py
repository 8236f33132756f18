"""The Dynamic Memory balancer: moves RAM toward each VM's demand, never overcommits.
"""

from __future__ import annotations

from hvlab.engine.guest import GuestPhase
from hvlab.engine.lifecycle import VmState
from hvlab.engine.sim.memory import pages_mb
from hvlab.engine.vmms.host import Host


def balance_memory(host: Host) -> None:
    """Dynamic Memory balancer: move RAM toward each VM's demand plus buffer.

    Runs only for running VMs whose guest has integration services up (the balloon
    driver).  Grows only into free memory: never overcommits.  Higher memory weight
    goes first when memory is short.
    """
    hv = host.hypervisor
    if hv is None:
        return
    t = host.lab.sim.table
    candidates = [
        v for v in host.vms.values()
        if v.config.dynamic_memory_enabled and v.state is VmState.RUNNING
        and v.partition_id is not None and v.phase is GuestPhase.READY
        and v.config.guest_is_installed
    ]
    candidates.sort(key=lambda v: (-v.config.memory_weight, v.config.name))
    for vm in candidates:
        cfg = vm.config
        # The balancer acts on smoothed pressure, not on one tick's demand.
        demand = float(t.memory_demand_avg_mb[vm.slot])
        target = pages_mb(int(demand * (1 + cfg.memory_buffer_pct / 100)))
        target = max(cfg.memory_minimum_mb, min(cfg.memory_maximum_mb, target))
        assigned = int(t.memory_assigned_mb[vm.slot])
        # Hysteresis, as the real balancer has: small swings of demand move nothing.
        slack = max(64, assigned // 10)
        below_minimum = target > assigned and assigned < cfg.memory_minimum_mb
        if target > assigned + slack or below_minimum:
            grow = min(target - assigned, host.memory_available_mb())
            grow -= grow % 2
            if grow > 0 and hv.hypercall(hv.ROOT_ID, "HvMapGpaPages", vm.partition_id,
                                         mb=grow, spanning=host.numa_spanning).ok:
                t.memory_assigned_mb[vm.slot] = assigned + grow
        elif target < assigned - 2 * slack:
            shrink = min(assigned - target, max(64, (assigned - target) // 4))
            shrink -= shrink % 2
            freed = hv.hypercall(hv.ROOT_ID, "HvUnmapGpaPages", vm.partition_id,
                                 mb=shrink).value
            t.memory_assigned_mb[vm.slot] = assigned - freed
