"""Scale benchmark: what a lab of 1,024 or 8,000 VMs costs outside the console, each figure
printed against its target (docs/performance.md, "Simulating at scale").

Run: ``.venv/bin/python tests/bench/scale.py [--quick]`` (``--quick`` skips the 8,000-VM
figures, which take about a minute to build).  The libraries are built once under
``build/bench-scale/`` and reused; delete the folder to rebuild them.

What is measured:

- ``hvctl vm list`` on the demo lab and on 8,000 VMs: wall time of the whole process (median
  of 5 runs) and its peak RSS; on the demo lab also without the list the last close kept
  (``vm-list.cache``), which opens the whole lab.
- Opening and closing a library of 1,024 running VMs in one process (``open_library`` and
  ``close`` after one simulated second, so the close has something to save).
- ``hvctl clock advance 60`` with 1,024 running VMs (the whole process), and 60 simulated
  seconds in one process on that library and in memory: simulated over wall time.
- Creating a VM at 1,024 and at 8,000 VMs (the last 32 created), and the VM-table snapshot
  (``vm_table``) per VM at both sizes.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from hvlab.engine.api import HardDrive, ManagementApi, open_library
from hvlab.engine.api.library import create_library
from hvlab.engine.library.listing import LISTING_FILE

ROOT = Path(__file__).resolve().parents[2]

WORK = ROOT / "build" / "bench-scale"
HVCTL = [sys.executable, "-m", "hvlab.hvctl"]
DISK = (HardDrive("IDE", 0, 0, "boot.vhd", True),)
OS_CYCLE = ("ws2008-x64", "ws2019-x64", "sles10-x64", "ws2003sp2-x86")
TIMED_CREATES = 32


def _report(label: str, value: float, unit: str, target: str) -> None:
    print(f"  {label:<58} {value:10.3f} {unit:<5} (target {target})")


def big_host(vms: int, seed: int = 1) -> ManagementApi:
    api = ManagementApi(seed=seed)
    api.add_host("BENCH", "ws2019", sockets=8, cores_per_socket=32, threads_per_core=2,
                 ram_gb=4096)
    return api


def create_vms(api: ManagementApi, first: int, last: int, *, start: bool) -> list[float]:
    """Create VMs ``first`` .. ``last - 1``; returns the seconds each create took."""
    took = []
    for i in range(first, last):
        name = f"vm{i:04d}"
        t0 = time.perf_counter()
        api.create_vm(name, memory_startup_mb=1024 if start else 512, cpu_count=1 + i % 2,
                      guest_os=OS_CYCLE[i % len(OS_CYCLE)], hard_drives=DISK if start else (),
                      guest_is_installed=i % 4 != 3, dynamic_memory_enabled=i % 8 == 0,
                      memory_minimum_mb=512, memory_maximum_mb=2048)
        took.append(time.perf_counter() - t0)
        if start:
            api.start(name)
    return took


def snapshot_us_per_vm(api: ManagementApi, vms: int) -> float:
    api.vm_table()
    runs = []
    for _ in range(20):
        t0 = time.perf_counter()
        api.vm_table()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs) / vms * 1e6


def running_library(vms: int) -> Path:
    """A library of ``vms`` running VMs, built once."""
    path = WORK / f"running-{vms}"
    if (path / "state.json").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    api = big_host(vms)
    create_vms(api, 0, vms, start=True)
    api.advance(120.0)
    create_library(path, api.lab, program="bench").close()
    return path


def off_library(vms: int) -> tuple[Path, list[float], float]:
    """A library of ``vms`` VMs that are off; with the create cost of the last ones and the
    snapshot cost per VM (measured while building)."""
    path = WORK / f"off-{vms}"
    api = big_host(vms)
    create_vms(api, 0, vms - TIMED_CREATES, start=False)
    took = create_vms(api, vms - TIMED_CREATES, vms, start=False)
    per_vm = snapshot_us_per_vm(api, vms)
    if not (path / "state.json").exists():
        shutil.rmtree(path, ignore_errors=True)
        create_library(path, api.lab, program="bench").close()
    return path, took, per_vm


def run_hvctl(args: list[str], runs: int = 5,
              before: Callable[[], None] | None = None) -> tuple[float, float]:
    """Median wall seconds of ``hvctl args`` and its peak RSS (MB, one more run);
    ``before`` runs before each (outside the time).  Also prints the median CPU seconds
    (user + system), which a busy machine inflates far less than the wall time."""
    walls, cpus = [], []
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for _ in range(runs):
        if before is not None:
            before()
        t0 = time.perf_counter()
        proc = subprocess.Popen([*HVCTL, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - t0)
        cpus.append(usage.ru_utime + usage.ru_stime)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"hvctl {' '.join(args)} failed with exit code {proc.returncode}")
    print(f"  (hvctl {' '.join(args[2:])}: CPU median {statistics.median(cpus):.3f} s)")
    if before is not None:
        before()
    return statistics.median(walls), hvctl_peak_mb(args)


#: hvctl with its own peak RSS (VmHWM, which starts afresh at exec) printed at exit: Linux
#: carries ``ru_maxrss`` over an exec, so the figure wait4 gives for a child of this big
#: process is this process's peak.
_HVCTL_RSS = ("import atexit, sys\n"
              "def hwm():\n"
              "    for line in open('/proc/self/status'):\n"
              "        if line.startswith('VmHWM:'):\n"
              "            sys.stderr.write('VMHWM ' + line.split()[1] + '\\n')\n"
              "atexit.register(hwm)\n"
              "from hvlab.hvctl import main\n"
              "raise SystemExit(main(sys.argv[1:]))\n")


def hvctl_peak_mb(args: list[str]) -> float:
    """The peak RSS (MB) of one ``hvctl args`` run (not timed)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    err = subprocess.run([sys.executable, "-c", _HVCTL_RSS, *args], cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         check=True).stderr
    return int(next(ln for ln in err.splitlines() if ln.startswith("VMHWM ")).split()[1]) / 1024


def demo_library() -> Path:
    path = WORK / "demo"
    if not (path / "state.json").exists():
        shutil.rmtree(path, ignore_errors=True)
        open_library(path, program="bench", seed=1).close()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 8,000-VM figures")
    quick = parser.parse_args().quick
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "engine", "hvctl"], cwd=ROOT,
                   check=True)

    print("hvctl start-up")
    demo = demo_library()
    open_library(demo, program="bench").close()  # a close keeps the VM list (vm-list.cache)
    wall, rss = run_hvctl(["--library", str(demo), "vm", "list"])
    _report("hvctl vm list, demo lab: wall", wall, "s", "<= 0.15 s")
    _report("  ... peak RSS", rss, "MB", "none")
    wall, _ = run_hvctl(["--library", str(demo), "vm", "list"],
                        before=lambda: (demo / LISTING_FILE).unlink(missing_ok=True))
    _report("  ... without the kept list (the whole lab opened): wall", wall, "s",
            "none; for comparison")

    print("library of 1,024 running VMs")
    lib_path = running_library(1024)
    opens, closes = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        lib = open_library(lib_path, program="bench")
        t1 = time.perf_counter()
        lib.api.advance(1.0)
        t2 = time.perf_counter()
        lib.close()
        opens.append(t1 - t0)
        closes.append(time.perf_counter() - t2)
    _report("open_library: wall", statistics.median(opens), "s", "open + close <= 0.3 s")
    _report("close after one simulated second: wall", statistics.median(closes), "s",
            "open + close <= 0.3 s")
    wall, rss = run_hvctl(["--library", str(lib_path), "clock", "advance", "60"], runs=3)
    _report("hvctl clock advance 60: times real time", 60 / wall, "x", ">= 100x")
    _report("  ... peak RSS", rss, "MB", "none")
    with open_library(lib_path, program="bench") as lib:
        t0 = time.perf_counter()
        lib.api.advance(60.0)
        in_library = time.perf_counter() - t0
    _report("advance(60) on the open library: times real time", 60 / in_library, "x",
            ">= 100x")
    api = big_host(1024)
    create_vms(api, 0, 1024 - TIMED_CREATES, start=True)
    took = create_vms(api, 1024 - TIMED_CREATES, 1024, start=True)
    api.advance(120.0)
    t0 = time.perf_counter()
    api.advance(60.0)
    _report("advance(60) in memory: times real time", 60 / (time.perf_counter() - t0), "x",
            ">= 500x")
    _report("create_vm at 1,024 VMs (median of the last 32)", statistics.median(took) * 1e3,
            "ms", "<= 2 ms")
    _report("vm_table at 1,024 running VMs, per VM", snapshot_us_per_vm(api, 1024), "us",
            "<= 1 us")
    del api

    if not quick:
        print("8,000 VMs (off)")
        path, took, per_vm = off_library(8000)
        _report("create_vm at 8,000 VMs (median of the last 32)", statistics.median(took) * 1e3,
                "ms", "<= 2 ms")
        _report("vm_table at 8,000 VMs, per VM", per_vm, "us", "<= 1 us")
        wall, rss = run_hvctl(["--library", str(path), "vm", "list"], runs=3)
        _report("hvctl vm list, 8,000 VMs: wall", wall, "s", "<= 1.0 s")
        _report("  ... peak RSS", rss, "MB", "none")

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    print(f"(this process peaked at {own:.0f} MB; load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
