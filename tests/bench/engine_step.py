"""Engine step benchmark: prints advance(0.1) cost for 128 and 1,024 running VMs, and the
wall time of one simulated hour of 128 running VMs in fast-forward.

Targets (docs/engine.md, "Performance"): advance(0.1) <= 2 ms with 1,024 running VMs on this 2-core
machine.  Run: ``.venv/bin/python tests/bench/engine_step.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hvlab.engine.api import ManagementApi
from hvlab.engine.config import HardDrive

DISK = (HardDrive("IDE", 0, 0, "boot.vhd", True),)


def running_lab(vms: int, seed: int = 1) -> ManagementApi:
    """A Windows Server 2019 host big enough for ``vms`` running VMs, all booted."""
    api = ManagementApi(seed=seed)
    api.add_host("BENCH", "ws2019", sockets=8, cores_per_socket=32, threads_per_core=2,
                 ram_gb=4096)
    os_cycle = ["ws2008-x64", "ws2019-x64", "sles10-x64", "ws2003sp2-x86"]
    for i in range(vms):
        name = f"vm{i:04d}"
        api.create_vm(name, memory_startup_mb=1024, cpu_count=1 + i % 2,
                      guest_os=os_cycle[i % len(os_cycle)], hard_drives=DISK,
                      guest_is_installed=i % 4 != 3, dynamic_memory_enabled=i % 8 == 0,
                      memory_minimum_mb=512, memory_maximum_mb=2048)
        api.start(name)
    api.advance(120.0)
    assert sum(1 for v in api.vms() if v.state == "Running") == vms
    return api


def time_steps(api: ManagementApi, count: int = 300) -> list[float]:
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        api.advance(0.1)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def main() -> None:
    for n in (128, 1024):
        api = running_lab(n)
        samples = time_steps(api)
        print(f"advance(0.1) with {n:5d} running VMs: median {statistics.median(samples):.3f} ms, "
              f"p95 {sorted(samples)[int(len(samples) * 0.95)]:.3f} ms (target <= 2 ms at 1,024)")
    api = running_lab(128)
    t0 = time.perf_counter()
    api.advance(3600.0)
    wall = time.perf_counter() - t0
    print(f"one simulated hour, 128 running VMs, fast-forward: {wall:.2f} s wall")


if __name__ == "__main__":
    main()
