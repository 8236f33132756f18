"""Remote benchmark: 30 consoles watching one lab of 128 running VMs at 1x over the network
(docs/remote.md, "What a server costs").

Run: ``.venv/bin/python tests/bench/remote.py [--clients N] [--seconds S]``.  The library is
built once under ``build/bench-remote/`` and reused.  The server runs as ``hvctl serve`` in
its own process (TLS on the loopback); the clients run in this process, each as a console
does: a connection with events and clock ticks subscribed and the host's and one VM's
history streamed.

Printed: the server's CPU (process time over wall time, from /proc) with no client and with
the clients; per client, the ticks received per second; the delay of each tick from the
server's send to the client's sink (median, 95th percentile, worst), on one machine's clock;
and each client's own median delay (the best, median and worst client).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hvlab.engine.api import ApiProxy, HardDrive, ManagementApi
from hvlab.engine.api.library import create_library
from hvlab.engine.remote import KnownServers, RemoteEngine

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "build" / "bench-remote"
VMS = 128
DISK = (HardDrive("IDE", 0, 0, "boot.vhd", True),)


def library() -> Path:
    path = WORK / f"running-{VMS}"
    if path.exists():
        return path
    api = ManagementApi(seed=1)
    api.add_host("BENCH", "ws2019", sockets=4, cores_per_socket=16, threads_per_core=2,
                 ram_gb=1024)
    for i in range(VMS):
        name = f"vm{i:03d}"
        api.create_vm(name, memory_startup_mb=1024, cpu_count=1 + i % 2, guest_os="ws2019-x64",
                      hard_drives=DISK, workload="web" if i % 2 else "idle")
        api.start(name)
    api.advance(120)
    create_library(path, api.lab, program="bench").close()
    return path


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_percent(pid: int, seconds: float) -> float:
    c0, w0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100.0 * (cpu_seconds(pid) - c0) / (time.monotonic() - w0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    lib = library()
    env = dict(os.environ, HVLAB_CONFIG=str(WORK / "config"))
    process = subprocess.Popen(
        [sys.executable, "-m", "hvlab.hvctl", "serve", "--library", str(lib), "--listen",
         "127.0.0.1", "--port", "0", "--speed", "1", "--new-tokens"],
        stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    text = ""
    for line in process.stdout:
        text += line
        if line.startswith("Press Ctrl+C"):
            break
    found = re.search(r"address: (\S+)", text)
    tokens = dict(re.findall(r"(read-write|read-only):\s+(\S+)", text))
    assert found and tokens, text
    url = found.group(1)
    clients: list[RemoteEngine] = []
    try:
        time.sleep(2)
        idle = cpu_percent(process.pid, args.seconds / 2)
        delays: list[float] = []
        per_client_delays: list[list[float]] = [[] for _ in range(args.clients)]
        counts = [0] * args.clients
        lock = threading.Lock()
        for i in range(args.clients):
            engine = RemoteEngine(url, tokens["read-only"],
                                  known=KnownServers(WORK / "client"))

            def on_tick(_tick: Any, engine: RemoteEngine = engine, i: int = i) -> None:
                delay = time.time() - engine.tick_sent
                with lock:
                    delays.append(delay)
                    per_client_delays[i].append(delay)
                    counts[i] += 1

            engine.listen(lambda _event: None)
            engine.listen_ticks(on_tick)
            api = ApiProxy(engine)
            api.host_history()
            api.vm_history(f"vm{i % VMS:03d}")
            clients.append(engine)
        time.sleep(2)
        with lock:
            delays.clear()
            for own in per_client_delays:
                own.clear()
            counts[:] = [0] * args.clients
        busy = cpu_percent(process.pid, args.seconds)
        with lock:
            taken, per_client = sorted(delays), list(counts)
            medians = sorted(statistics.median(own) for own in per_client_delays if own)
    finally:
        for engine in clients:
            engine.close()
        process.terminate()
        process.wait()
        process.stdout.close()
    cores = os.cpu_count() or 1
    print(f"hvlab server, {VMS} running VMs at 1x, {args.clients} clients, "
          f"{args.seconds:g} s ({cores} cores; 100 % = one core)")
    print(f"  server CPU, no client                       {idle:8.1f} %")
    print(f"  server CPU, {args.clients:2d} clients                       {busy:8.1f} %")
    rates = [n / args.seconds for n in per_client]
    print(f"  ticks per client per second (min / median)  {min(rates):8.1f} / "
          f"{statistics.median(rates):.1f}")
    if taken:
        p95 = taken[int(0.95 * (len(taken) - 1))]
        print(f"  tick delay, server send to client sink      median "
              f"{1000 * statistics.median(taken):.1f} ms, 95th {1000 * p95:.1f} ms, "
              f"worst {1000 * taken[-1]:.1f} ms ({len(taken)} ticks)")
        print(f"  each client's median tick delay             best {1000 * medians[0]:.1f} ms, "
              f"median {1000 * statistics.median(medians):.1f} ms, worst "
              f"{1000 * medians[-1]:.1f} ms")


if __name__ == "__main__":
    main()
