"""Graph benchmarks: the per-VM graph redraw, and the GUI process's CPU with the
host dashboard open.

Run with the project venv, under Xvfb for figures comparable to a desktop:

    xvfb-run -a -s '-screen 0 1280x800x24' .venv/bin/python tests/bench/graphs.py

Without a display it falls back to Qt's offscreen platform (software raster either way).
A script, not a test: tests/conftest.py keeps pytest out of tests/bench.

What is measured:

1. **Per-VM graph redraw, 16 curves x 600 points** (target <= 10 ms, docs/performance.md): the
   details pane's Performance tab for a 16-VP VM with a full 600 s history. "CPU graph" is
   ``setData`` on the 16 virtual-processor curves plus the synchronous repaint of that plot;
   "whole tab" is one refresh as the console does it each second (16 counter_history reads,
   one vm_history, 20 curves in 4 plots) plus the repaint of all four plots. For contrast,
   the CPU graph is also timed with pyqtgraph's defaults where the research says they cost
   (antialias on, autorange, finite check).
2. **GUI process CPU, 64 running VMs, clock at 1x** (realtime, the bridge's 500 ms timer):
   process CPU seconds over wall seconds while the event loop runs, with the dashboard
   closed, with it open, and with everything open (dashboard, Performance tab, Performance
   Monitor with 8 counters, CPU History column). The engine runs in the same process; its
   share (``api.advance``) is reported separately.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REDRAWS = 60
RUN_SECONDS = float(os.environ.get("HVLAB_BENCH_SECONDS", "20"))
WORKLOADS = ("web", "database", "file-server", "idle", "memory-writer", "web", "idle",
             "cpu-burner")


def _app() -> Any:
    from PySide6.QtWidgets import QApplication

    from hvlab.gui.theme import Theme, apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app, Theme.LIGHT)
    return app


def _ms(samples: list[tuple[float, float]]) -> str:
    """Wall median and p95, and the GUI thread's CPU median (steady under machine load)."""
    wall = [w for w, _ in samples]
    cpu = [c for _, c in samples]
    q = statistics.quantiles(wall, n=20)
    return (f"wall median {statistics.median(wall) * 1e3:5.2f} ms, p95 {q[-1] * 1e3:5.2f} ms; "
            f"thread CPU median {statistics.median(cpu) * 1e3:5.2f} ms")


def _timed(work: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    work()
    return time.perf_counter() - wall, time.thread_time() - cpu


# -- 1. per-VM graph redraw ----------------------------------------------------------------------
def redraw_figures() -> None:
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtWidgets import QWidget

    from hvlab.engine.api import ManagementApi
    from hvlab.engine.config import HardDrive
    from hvlab.gui.bridge import Bridge
    from hvlab.gui.graphs.vm_performance import VmPerformanceView

    app = _app()
    api = ManagementApi(seed=6)
    api.add_host("BENCH-16", "ws2012r2", ram_gb=64, sockets=2, cores_per_socket=8,
                 threads_per_core=2)
    vm = api.create_vm("WIDE-16", cpu_count=16, memory_startup_mb=4096, guest_os="ws2008-x64",
                       workload="database",
                       hard_drives=[HardDrive("IDE", 0, 0, "WIDE-16.vhd", bootable=True)])
    api.start(vm.id)
    api.advance(620)  # a full 600-sample history
    info = api.vm(vm.id)

    holder = QWidget()
    holder.resize(1040, 230)  # the details pane's size in a 1280x800 window
    view = VmPerformanceView(Bridge(api, clock="manual"), holder)
    view.resize(1040, 230)
    holder.show()
    view.show_vm(info)
    for _ in range(5):
        app.processEvents()
    view.refresh(force=True)
    cpu = view.cpu.plot
    curves = view.vp_curves
    assert len(curves) == 16
    series = view.vp_series(info)
    assert series is not None and all(len(s) == 600 for s in series)
    times = api.vm_history(vm.id)["times"]
    x = np.asarray(times - times[-1], dtype=np.float64)
    data = [np.asarray(s, dtype=np.float64) for s in series]

    def cpu_graph(shift: int) -> tuple[float, float]:
        rolled = [np.roll(y, shift) for y in data]

        def work() -> None:
            for c, y in zip(curves, rolled, strict=True):
                c.setData(x, y)
            cpu.viewport().repaint()

        return _timed(work)

    for i in range(5):
        cpu_graph(i)
    cpu_times = [cpu_graph(i) for i in range(REDRAWS)]

    def whole_tab() -> tuple[float, float]:
        def work() -> None:
            view.refresh(force=True)
            for plot in view.plots():
                plot.viewport().repaint()

        return _timed(work)

    for _ in range(3):
        whole_tab()
    tab_times = [whole_tab() for _ in range(REDRAWS)]

    # The same 16 curves with the defaults the research warns about.
    naive = pg.PlotWidget(holder)
    naive.setGeometry(cpu.geometry())
    naive.show()
    naive_curves = [naive.plot(pen=pg.mkPen(i, width=1), antialias=True) for i in range(16)]
    naive.showGrid(x=True, y=True, alpha=0.25)
    naive.enableAutoRange()

    def naive_graph(shift: int) -> tuple[float, float]:
        rolled = [np.roll(y, shift) for y in data]

        def work() -> None:
            for c, y in zip(naive_curves, rolled, strict=True):
                c.setData(x, y)
            naive.viewport().repaint()

        return _timed(work)

    for i in range(5):
        naive_graph(i)
    naive_times = [naive_graph(i) for i in range(REDRAWS)]
    naive.hide()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"platform: {app.platformName()}, pyqtgraph {pg.__version__}, "
          f"plot {cpu.width()}x{cpu.height()} px, {os.cpu_count()} CPUs, load {load:.2f}")
    print("1. per-VM graph redraw, 16 curves x 600 points (target <= 10 ms)")
    print(f"   CPU graph, setData x16 + repaint:        {_ms(cpu_times)}")
    print(f"   whole Performance tab, 4 plots, 20 curves, API reads included:\n"
          f"                                           {_ms(tab_times)}")
    print(f"   CPU graph with pyqtgraph's defaults (PlotDataItem, antialias, autorange,\n"
          f"   finite check, minor grid):              {_ms(naive_times)}")
    holder.close()


# -- 2. GUI process CPU ---------------------------------------------------------------------------
def _lab_64() -> Any:
    from hvlab.engine.api import ManagementApi
    from hvlab.engine.config import HardDrive

    api = ManagementApi(seed=64)
    api.add_host("BENCH-64", "ws2012r2", ram_gb=256, sockets=2, cores_per_socket=8,
                 threads_per_core=2)
    for i in range(64):
        name = f"VM-{i:02d}"
        api.create_vm(name, cpu_count=1 + i % 2, memory_startup_mb=1024, guest_os="ws2008-x64",
                      workload=WORKLOADS[i % len(WORKLOADS)],
                      hard_drives=[HardDrive("IDE", 0, 0, f"{name}.vhd", bootable=True)])
        api.start(name)
    api.advance(180)
    assert api.host().running_vms == 64
    return api


def cpu_figures() -> None:
    from PySide6.QtCore import QTimer

    from hvlab.engine.sim.counters import SET_DM_VM, SET_HYPERVISOR, SET_LP, SET_VP
    from hvlab.gui.app import create_main_window
    from hvlab.gui.graphs.pdh import CounterPath
    from hvlab.gui.theme import Theme

    app = _app()
    print(f"2. GUI process CPU, 64 running VMs, clock 1x, {RUN_SECONDS:.0f} s wall per case")

    def run(label: str, setup: Any) -> None:
        api = _lab_64()
        engine_s = [0.0]
        advance = api.advance

        def timed_advance(seconds: float) -> None:
            start = time.process_time()
            advance(seconds)
            engine_s[0] += time.process_time() - start

        api.advance = timed_advance  # type: ignore[method-assign]
        window = create_main_window(api, clock="manual", theme=Theme.LIGHT)
        window.resize(1280, 800)
        window.show()
        window.vm_list.select_ids([window.model.vm_id_at(0)])
        setup(window)
        for _ in range(10):
            app.processEvents()
        window.bridge.set_mode("realtime")
        window.bridge.set_speed(1.0)
        engine_s[0] = 0.0
        wall0, cpu0 = time.perf_counter(), time.process_time()
        QTimer.singleShot(int(RUN_SECONDS * 1000), app.quit)
        app.exec()
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        window.bridge.close()
        gui = cpu - engine_s[0]
        print(f"   {label:<44} process {100 * cpu / wall:5.1f} % of one core "
              f"(engine {100 * engine_s[0] / wall:4.1f} %, GUI {100 * gui / wall:4.1f} %)")
        window.close()
        window.deleteLater()
        app.processEvents()

    def nothing(_w: Any) -> None:
        pass

    def dashboard(w: Any) -> None:
        w.performance.show_dashboard()

    def everything(w: Any) -> None:
        w.performance.show_dashboard()
        w.details.tabs.setCurrentWidget(w.details.performance)
        w.column_actions["cpu_history"].setChecked(True)
        perfmon = w.performance.open_perfmon()
        host = w.bridge.api.host().name
        for path in (CounterPath(host, SET_LP, "% Guest Run Time", "_Total"),
                     CounterPath(host, SET_LP, "% Hypervisor Run Time", "_Total"),
                     CounterPath(host, SET_HYPERVISOR, "Hypercalls/sec"),
                     CounterPath(host, SET_HYPERVISOR, "Total Intercepts/sec"),
                     CounterPath(host, SET_VP, "% Total Run Time", "VM-00:Hv VP 0"),
                     CounterPath(host, SET_VP, "% Total Run Time", "VM-01:Hv VP 1"),
                     CounterPath(host, SET_DM_VM, "Physical Memory", "VM-02")):
            perfmon.add_counter(path)

    run("main window only (dashboard closed)", nothing)
    run("dashboard open", dashboard)
    run("everything: dashboard, Performance tab,\n"
        "     perfmon (8 counters), CPU History column", everything)


def main() -> int:
    redraw_figures()
    cpu_figures()
    return 0


if __name__ == "__main__":
    sys.exit(main())
