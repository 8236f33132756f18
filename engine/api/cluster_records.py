"""The records the cluster part of the facade hands to clients (plain, immutable data)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NetworkInfo:
    """A network joining hosts: its kind ("1gbe", "10gbe"), rate and the hosts on it."""

    name: str
    kind: str
    kind_name: str
    payload_mb_s: float
    latency_ms: float
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class SharedStorageInfo:
    """Shared storage: its path, kind, spindles, the rate of its path and who reaches it."""

    name: str
    kind: str
    kind_name: str
    spindles: int
    path: str
    rate_mb_s: float
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class ClusterNodeInfo:
    id: str
    name: str
    state: str  # "Up", "Down" (removed from the membership) or "Failed" (not yet noticed)
    max_live_migrations: int


@dataclass(frozen=True)
class ClusterInfo:
    name: str
    nodes: tuple[ClusterNodeInfo, ...]
    quorum: str
    witness: str | None
    votes_present: int
    votes_total: int
    has_quorum: bool
    cluster_shared_volumes: bool
    #: Highly available VMs: (VM id, VM name, priority, owner node id).
    roles: tuple[tuple[str, str, str, str], ...]


@dataclass(frozen=True)
class MigrationInfo:
    """A migration in flight or finished: its phase and, for a live migration, each
    pre-copy pass (MB sent and seconds), the final copy and the measured downtime."""

    job_id: int
    vm_id: str
    vm_name: str
    source: str
    target: str
    live: bool
    phase: str
    pass_number: int
    pages_left: int
    pass_mb: tuple[float, ...]
    pass_seconds: tuple[float, ...]
    residual_mb: float
    sent_mb: float
    memory_mb: float
    downtime_s: float
    rate_mb_s: float
    started_s: float
    finished_s: float | None
    outcome: str
