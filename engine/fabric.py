"""What joins the hosts of a lab: simulated networks, shared storage and the arithmetic of
moving a VM over them (quick migration's save-move-restore and live migration's pre-copy).

Everything here is data and pure functions: the management service
(:mod:`hvlab.engine.vmms.migration`) runs migrations on the clock with these figures.  The
sources of each figure are in docs/cluster.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hvlab.engine.errors import ValidationError

PAGE_KB = 4
PAGES_PER_MB = 1024 // PAGE_KB


@dataclass(frozen=True)
class NetworkKind:
    """An Ethernet a live migration can use: its payload rate (MB/s) and latency (ms)."""

    id: str
    name: str
    mbit_s: int
    payload_mb_s: float
    latency_ms: float


@dataclass(frozen=True)
class StorageKind:
    """A path from a node to shared storage.  ``transport_mb_s`` is the link's rate;
    ``spindle_mb_s`` what one disk of that class streams; ``fixed_s`` the cluster's own
    time for a quick migration (the group offline, the disk's ownership moved and
    arbitrated, the group online)."""

    id: str
    name: str
    transport_mb_s: float
    spindle_mb_s: float
    fixed_s: float
    latency_ms: float


#: 1 GbE carries about 119-123 MB/s of live-migration payload at its peak (Finn 2012).
NETWORKS: dict[str, NetworkKind] = {n.id: n for n in (
    NetworkKind("1gbe", "1 GbE", 1000, 122.0, 0.2),
    NetworkKind("10gbe", "10 GbE", 10000, 1220.0, 0.05),
)}

#: The Fibre Channel rates count both directions of the link (calibrated so that the
#: published quick-migration figures hold; see docs/cluster.md).
STORAGE: dict[str, StorageKind] = {s.id: s for s in (
    StorageKind("iscsi-1gbe", "iSCSI over 1 GbE", 122.0, 40.0, 2.0, 0.5),
    StorageKind("fc-2gb", "2 Gb Fibre Channel", 425.0, 100.0, 0.5, 0.1),
    StorageKind("fc-4gb", "4 Gb Fibre Channel", 850.0, 100.0, 0.5, 0.1),
)}

MAX_SPINDLES = 256


def network_kind(kind: str) -> NetworkKind:
    found = NETWORKS.get(kind.casefold())
    if found is None:
        raise ValidationError("kind", f"The network kind must be one of "
                                      f"{', '.join(NETWORKS)}; \"{kind}\" is not one.")
    return found


def storage_kind(kind: str) -> StorageKind:
    found = STORAGE.get(kind.casefold())
    if found is None:
        raise ValidationError("kind", f"The storage kind must be one of "
                                      f"{', '.join(STORAGE)}; \"{kind}\" is not one.")
    return found


def storage_rate_mb_s(kind: StorageKind, spindles: int) -> float:
    """The bottleneck rate of a storage path: the link or the spindles, whichever is less."""
    return min(kind.transport_mb_s, spindles * kind.spindle_mb_s)


def quick_migration_seconds(memory_mb: float, kind: StorageKind, spindles: int) -> float:
    """``T = T_fixed + 2 M / B``: save M to the shared disk, move it, read M back."""
    return kind.fixed_s + 2 * memory_mb / storage_rate_mb_s(kind, spindles)


# -- live migration ------------------------------------------------------------------------

#: Setting up the skeleton VM on the target, reserving its memory and opening the
#: migration connection (calibrated: one 512 MB VM over 1 GbE in about 6 s, Finn 2012).
LIVE_SETUP_S = 1.5
#: The pause beyond the final copy: device state, the storage handle, the unsolicited
#: ARP and the resume (Clark 2005 measured 9-40 ms of restart).
SWITCHOVER_S = 0.03
#: Pre-copy stops once what is left fits in this much (Hyper-V's "a few dirty pages").
RESIDUAL_MB = 1.0
#: Clark's rate-limited pre-copy stops below 50 pages or past 3x memory (Xen's rules).
CLARK_MIN_PAGES = 50
CLARK_MAX_FACTOR = 3.0


@dataclass(frozen=True)
class RateLimit:
    """Clark 2005's dynamic rate limiting: the first pass at ``min_mbit``, each later one
    at the last pass's dirtying rate plus ``step_mbit``, stopping once that would pass
    ``max_mbit``; the final copy runs at ``max_mbit``.  Hyper-V itself uses the whole
    link (no limit)."""

    min_mbit: float
    max_mbit: float
    step_mbit: float = 50.0

    def __post_init__(self) -> None:
        if not 1 <= self.min_mbit <= self.max_mbit <= 100_000:
            raise ValidationError("rate_limit", "The rate limit must be 1 to 100000 Mbit/s "
                                  "with the minimum no more than the maximum.")


def mbit_to_mb_s(mbit: float) -> float:
    return mbit / 8.0


def dirtied_mb(seconds: float, rate_pages_s: float, wws_mb: float) -> float:
    """The distinct memory a workload dirties in ``seconds``: writes at ``rate_pages_s``
    spread over its writable working set of ``wws_mb`` (saturating at the set's size)."""
    if wws_mb <= 0 or rate_pages_s <= 0 or seconds <= 0:
        return 0.0
    rate_mb = rate_pages_s / PAGES_PER_MB
    return wws_mb * (1.0 - math.exp(-rate_mb * seconds / wws_mb))


def wws_mb(memory_mb: float, wws_pct: float) -> float:
    return memory_mb * wws_pct / 100.0
