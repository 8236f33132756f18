"""Guest workloads: what a running guest asks of its processors, disks, network and memory.

Each kind is a small statistical profile (mean CPU per virtual processor, swing, period,
bursts, disk IOPS, network Mbit/s, dirty pages/s, working-set factor).  ``custom`` takes its
numbers from the VM's configuration.  The vectorised columns live in
:mod:`hvlab.engine.sim.vmtable`; noise is the VM's own counter-based stream, so a workload
is reproducible from the seed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkloadKind:
    id: str
    name: str
    cpu: float  # mean fraction of each virtual processor
    swing: float  # amplitude of the slow periodic swing (fraction of a VP)
    period_s: float  # period of the swing (0: none)
    burst: float  # probability per second of a burst to full CPU
    disk_iops: float  # normalized IOPS (8 KB)
    net_mbit: float  # Mbit/s
    dirty_pages: float  # pages written per second (memory dirtying, for migration)
    working_set: float  # multiple of the OS working set
    jitter: float  # tick-to-tick noise, as a fraction of the mean CPU (0: steady)
    #: Writable working set, in percent of the VM's memory: the pages it rewrites so often
    #: that a live migration's pre-copy cannot get ahead of them (Clark et al. 2005).
    wws_pct: float = 2.0


WORKLOADS: dict[str, WorkloadKind] = {
    w.id: w
    for w in (
        WorkloadKind("idle", "Idle", 0.03, 0.01, 0.0, 0.0, 2, 0.05, 50, 1.0, 0.5, 1.0),
        # Dirtying like Clark 2005's SPECweb99 run (its last pre-copy rounds near 450 Mbit/s).
        WorkloadKind("web", "Web server", 0.22, 0.12, 300.0, 0.01, 60, 40.0, 12000, 1.3, 0.2,
                     3.0),
        WorkloadKind(
            "database", "Database server", 0.40, 0.08, 900.0, 0.03, 450, 6.0, 3000, 2.0, 0.15,
            10.0),
        WorkloadKind(
            "file-server", "File server", 0.07, 0.03, 600.0, 0.0, 900, 120.0, 400, 1.2, 0.3, 1.0
        ),
        # A small game server (Clark 2005's Quake 3 run): a hot set rewritten every frame.
        WorkloadKind(
            "game-server", "Game server", 0.35, 0.05, 0.0, 0.0, 5, 2.0, 12000, 1.1, 0.2, 5.0
        ),
        WorkloadKind("cpu-burner", "CPU burner", 1.0, 0.0, 0.0, 0.0, 0, 0.0, 100, 1.0, 0.0),
        WorkloadKind(
            "memory-writer", "Memory writer", 0.30, 0.05, 0.0, 0.0, 5, 0.1, 250000, 2.5, 0.1,
            50.0),
        WorkloadKind("custom", "Custom", 0.0, 0.0, 0.0, 0.0, 0, 0.0, 0, 1.0, 0.1, 5.0),
    )
}
