"""The hypervisor's CPU scheduler: reserve, limit and relative weight, vectorised.

Semantics are Hyper-V's, and all three apply per virtual processor (the hypervisor's CPU
Reserve, CPU Cap and CPU Weight partition properties; see docs/engine.md for the sources):

* **limit** caps each virtual processor at that percent of one logical processor, always,
  even on an idle host: a VM gets at most limit × VPs;
* **reserve** guarantees that percent of one LP per VP whenever the VM wants it (admission
  makes sure the reserves of running VMs fit on the host): reserve × VPs;
* **relative weight** (1..10000) is carried by each of the VM's virtual processors and
  shares what is left only under contention, so a VM's share is weight × its runnable VPs;
  an uncontended host is work-conserving: every VM gets all it asks for within its limit.

The model is fluid: each tick, CPU time is divided exactly (no timeslices), so accounting is
by actual time and no tick-granularity trick can take more than a fair share.  The root
partition's work (management OS, worker processes, device emulation) is served first, then
the hypervisor's own run time; guests share the rest.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def water_fill(need: FloatArray, weight: FloatArray, capacity: float) -> FloatArray:
    """Share ``capacity`` in proportion to ``weight``, never giving anyone more than ``need``.

    Returns the allocation; it sums to min(capacity, need.sum()).  The level λ is found
    exactly: VMs whose need/weight is below λ are satisfied, the rest get λ × weight.
    """
    total = float(need.sum())
    if total <= capacity:
        return need.copy()
    if capacity <= 0:
        return np.zeros_like(need)
    thresholds = need / weight
    order = np.argsort(thresholds, kind="stable")
    t_sorted = thresholds[order]
    n_sorted = need[order]
    w_sorted = weight[order]
    prefix_need = np.concatenate(([0.0], np.cumsum(n_sorted)))
    prefix_w = np.concatenate(([0.0], np.cumsum(w_sorted)))
    w_total = prefix_w[-1]
    # Allocation if the level were t_j: the first j entries saturated, the rest at t_j * w.
    at_level = prefix_need[:-1] + t_sorted * (w_total - prefix_w[:-1])
    j = int(np.searchsorted(at_level, capacity, side="left"))
    level = (capacity - prefix_need[j]) / (w_total - prefix_w[j])
    alloc: FloatArray = np.minimum(need, level * weight)
    return alloc


def schedule(
    demand: FloatArray,
    vps: npt.NDArray[np.int32],
    reserve: FloatArray,
    limit: FloatArray,
    weight: FloatArray,
    capacity: float,
    runnable: npt.NDArray[np.int32] | None = None,
) -> FloatArray:
    """CPU (in logical processors) each VM gets this tick on one host.

    ``demand`` is in LPs (≤ vps); ``reserve`` and ``limit`` are fractions of one LP per VP;
    ``weight`` is each VP's relative weight; ``runnable`` is how many of the VM's VPs its
    demand is spread over (all of them unless given: a guest booting on its first processor
    has one); ``capacity`` is what is left for guests after the root and the hypervisor.
    """
    capped = np.minimum(demand, limit * vps)
    guaranteed = np.minimum(capped, reserve * vps)
    g_total = float(guaranteed.sum())
    if g_total >= capacity:
        # Only possible if the root or hypervisor ate into reserved time: scale reserves.
        return guaranteed * (capacity / g_total) if g_total > 0 else guaranteed
    per_vp = vps if runnable is None else runnable
    extra = water_fill(capped - guaranteed, weight * np.maximum(per_vp, 1), capacity - g_total)
    result: FloatArray = guaranteed + extra
    return result
