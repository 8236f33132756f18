"""The GUI thread while the clock runs on the engine thread: how busy it is and how long an
input event waits, at the fastest clock speed (120x), with the demo lab and every graph window
open, and with 1,024 running VMs; with the process's peak RSS.

Run: ``xvfb-run -a -s '-screen 0 1280x800x24' .venv/bin/python tests/bench/gui_thread.py``
(without a display it uses Qt's offscreen platform).  ``HVLAB_BENCH_SECONDS`` sets how long
each case runs (default 15).

- busy: the GUI thread's CPU seconds (``time.thread_time`` read on that thread) over wall
  seconds while the event loop runs (targets: <= 10 % demo lab, <= 25 % at 1,024 VMs);
- input wait: a timer posts an event every 20 ms stamped with the time it was posted; the
  figure is the longest time one waited before the GUI thread handled it (target <= 50 ms);
- speed: the simulated seconds per wall second the clock achieved;
- peak RSS: of this process, and of a process of its own running 1,024 VMs at 60x (target
  <= 250 MB).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from typing import Any

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from hvlab.engine.api import EngineThread, HardDrive, InMemory, ManagementApi, populate_demo
from hvlab.gui.bridge import Bridge
from hvlab.gui.main_window import MainWindow
from hvlab.gui.theme import Theme, apply_theme

SECONDS = float(os.environ.get("HVLAB_BENCH_SECONDS", "15"))
SPEED = 120.0
_PROBE = QEvent.Type(QEvent.registerEventType())


class _Probe(QEvent):
    def __init__(self) -> None:
        super().__init__(_PROBE)
        self.posted = time.perf_counter()


class _InputWait(QObject):
    """Posts a probe event every 20 ms and keeps the longest wait before it was handled."""

    def __init__(self) -> None:
        super().__init__()
        self.longest = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(20)
        self.timer.timeout.connect(lambda: QCoreApplication.postEvent(self, _Probe()))

    def event(self, event: QEvent) -> bool:
        if isinstance(event, _Probe):
            self.longest = max(self.longest, time.perf_counter() - event.posted)
            return True
        return super().event(event)


def demo() -> InMemory:
    api = ManagementApi(seed=0)
    populate_demo(api)
    return InMemory(api)


def running_1024() -> InMemory:
    api = ManagementApi(seed=1)
    api.add_host("BENCH", "ws2019", sockets=8, cores_per_socket=32, threads_per_core=2,
                 ram_gb=4096)
    for i in range(1024):
        api.create_vm(f"vm{i:04d}", memory_startup_mb=1024, cpu_count=1 + i % 2,
                      guest_os="ws2008-x64", hard_drives=(HardDrive("IDE", 0, 0, "boot.vhd"),),
                      guest_is_installed=True)
        api.start(f"vm{i:04d}")
    api.advance(120.0)
    return InMemory(api)


def measure(app: QApplication, owner: Any, graphs: bool, speed: float = SPEED
            ) -> dict[str, float]:
    engine = EngineThread(owner)
    bridge = Bridge(engine=engine, clock="manual")
    window = MainWindow(bridge, theme=Theme.LIGHT)
    bridge.setParent(window)
    window.resize(1280, 800)
    window.show()
    if graphs:
        window.performance.show_dashboard()
        window.performance.open_perfmon()
    for _ in range(10):
        app.processEvents()
    ticks: list[float] = []
    bridge.tick.connect(lambda _snap: ticks.append(time.perf_counter()))
    probe = _InputWait()
    probe.timer.start()
    bridge.set_mode("realtime")
    bridge.set_speed(speed)
    sim0, cpu0, wall0 = bridge.api.now_seconds, time.thread_time(), time.perf_counter()
    QTimer.singleShot(int(SECONDS * 1000), app.quit)
    app.exec()
    cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    bridge.set_speed(0.0)
    sim = bridge.api.now_seconds - sim0
    probe.timer.stop()
    window.bridge.close()
    window.close()
    return {"busy": cpu / wall, "wait": probe.longest, "speed": sim / wall,
            "ticks": len(ticks) / wall}


def rss_at_60x(app: QApplication) -> int:
    """In a process of its own (``--rss-at-60x``): 1,024 running VMs at 60x; prints the
    process's peak RSS."""
    f = measure(app, running_1024, graphs=False, speed=60.0)
    print(f"RSS {peak_rss_mb():.1f} SPEED {f['speed']:.1f}")
    return 0


def peak_rss_mb() -> float:
    """This process's own peak RSS: VmHWM, which starts afresh at exec.  (Linux carries
    ``ru_maxrss`` over an exec, so a child started by this big process would report this
    process's peak as its own.)"""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app, Theme.LIGHT)
    if "--rss-at-60x" in sys.argv[1:]:
        return rss_at_60x(app)
    print(f"GUI thread at {SPEED:g}x for {SECONDS:g} s of wall time ({app.platformName()})")
    for label, owner, busy_target in (("demo lab, dashboard and Performance Monitor open",
                                       demo, 0.10),
                                      ("1,024 running VMs", running_1024, 0.25)):
        f = measure(app, owner, graphs=owner is demo)
        print(f"  {label}:")
        print(f"    GUI thread busy        {100 * f['busy']:6.1f} % of wall time "
              f"(target <= {100 * busy_target:.0f} %)")
        print(f"    longest input wait     {1000 * f['wait']:6.1f} ms (target <= 50 ms)")
        print(f"    ticks shown            {f['ticks']:6.1f} a second")
        print(f"    clock speed achieved   {f['speed']:6.1f}x of {SPEED:g}x (the status bar "
              "says when it cannot keep up)")
    print(f"  peak RSS of this process (both cases at {SPEED:g}x): {peak_rss_mb():.0f} MB")
    child = subprocess.run([sys.executable, __file__, "--rss-at-60x"], capture_output=True,
                           text=True, check=True, timeout=600).stdout.split()
    print(f"  peak RSS, 1,024 running VMs at 60x in a process of their own: "
          f"{float(child[1]):.0f} MB (target <= 250 MB; clock achieved {float(child[3]):.1f}x)")
    load = os.getloadavg()
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
