"""The details pane's Performance tab: one VM's CPU per virtual processor, memory, disk and
network over the last 10 minutes.

- **CPU**: ``\\Hyper-V Hypervisor Virtual Processor(<VM>:Hv VP n)\\% Total Run Time`` for
  each VP, in % of one logical processor (the physical time the VP got; in-guest CPU figures
  would mislead, as the guest does not see the time the hypervisor gives to others). Fixed
  range 0-100 %.
- **Memory**: assigned and demand (MB); the range is the VM's maximum (or startup) memory.
- **Disk**: normalized IOPS (8 KB); **Network**: Mbit/s. Their ranges step through
  1-2-5 ceilings of the data instead of autoranging every second.

Redrawn once per new simulated second while the tab is visible. Importing this module imports
pyqtgraph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from hvlab.engine.api import SET_VP, HvError
from hvlab.gui import ids
from hvlab.gui.graphs import colours, style
from hvlab.gui.graphs.dashboard import swatch

if TYPE_CHECKING:
    import pyqtgraph as pg

    from hvlab.engine.api import VmInfo
    from hvlab.gui.bridge import Bridge

WINDOW_S = 600
#: Up to this many VPs the CPU title names each VP with its value.
_LEGEND_VPS = 4


def vp_instance(vm_name: str, vp: int) -> str:
    """The counter instance of a VM's virtual processor, as perfmon lists it."""
    return f"{vm_name}:Hv VP {vp}"


def _small(html: str) -> str:
    """A legend line a little smaller than the title, so four graphs fit the pane."""
    return f"<span style='font-size:small'>{html}</span>"


class _Panel(QWidget):
    """A title line over one plot."""

    def __init__(self, name: ids.UiName, title: str, y_range: tuple[float, float]) -> None:
        super().__init__()
        self.title = QLabel(title)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setMinimumWidth(10)
        self.plot = style.new_plot(name, y_range=y_range, x_range=(-WINDOW_S, 0))
        self.plot.setMinimumSize(150, 90)
        self.top = y_range[1]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)

    def set_top(self, top: float) -> None:
        if top != self.top:
            self.top = top
            style.set_y_range(self.plot, 0, top)

    def set_title(self, text: str) -> None:
        if self.title.text() != text:
            self.title.setText(text)


class VmPerformanceView(style.LiveGraphs, QWidget):
    """Four small graphs of one VM; :meth:`show_vm` picks the VM (None: nothing)."""

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._vm: VmInfo | None = None
        self._drawn_key: tuple[object, ...] | None = None
        self.redraws = 0
        self.cpu = _Panel(ids.VM_PERF_CPU, "", (0, 100))
        self.memory = _Panel(ids.VM_PERF_MEMORY, "", (0, 1024))
        self.disk = _Panel(ids.VM_PERF_DISK, "", (0, 10))
        self.network = _Panel(ids.VM_PERF_NETWORK, "", (0, 1))
        self.vp_curves: list[pg.PlotDataItem] = []
        self.assigned_curve = style.curve(self.memory.plot, colours.MEMORY_ASSIGNED,
                                          fill=colours.MEMORY_ASSIGNED, fill_alpha=50)
        self.demand_curve = style.curve(self.memory.plot, colours.MEMORY_DEMAND)
        self.disk_curve = style.curve(self.disk.plot, colours.DISK, fill=colours.DISK,
                                      fill_alpha=50)
        self.network_curve = style.curve(self.network.plot, colours.NETWORK,
                                         fill=colours.NETWORK, fill_alpha=50)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(8)
        for panel in (self.cpu, self.memory, self.disk, self.network):
            layout.addWidget(panel, 1)

    # -- what the details pane calls --------------------------------------------------------
    def show_vm(self, vm: VmInfo | None) -> None:
        self._vm = vm
        if self.isVisible():
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        vm = self._vm
        second = self._bridge.api.now_us // 1_000_000
        key = (vm.id, vm.name, vm.cpu_count, vm.state, second) if vm is not None else None
        if not force and key == self._drawn_key:
            return
        self._drawn_key = key
        if vm is None:
            return
        try:
            history = self._bridge.api.vm_history(vm.id)
        except HvError:  # deleted since the details pane read it
            return
        self.redraws += 1
        times = np.asarray(history["times"], dtype=np.float64)
        x = times - times[-1] if len(times) else times
        self._draw_cpu(vm, x)
        self._draw_memory(vm, x, history)
        self._draw_rates(x, history)

    # -- drawing ----------------------------------------------------------------------------
    def _vp_curves(self, count: int) -> list[pg.PlotDataItem]:
        while len(self.vp_curves) < count:
            self.vp_curves.append(style.curve(self.cpu.plot, colours.series(len(self.vp_curves))))
        while len(self.vp_curves) > count:
            self.cpu.plot.removeItem(self.vp_curves.pop())
        return self.vp_curves

    def vp_series(self, vm: VmInfo) -> list[Any] | None:
        """Each VP's ``% Total Run Time`` history, or None when the VM has no partition."""
        out = []
        for k in range(vm.cpu_count):
            try:
                _, values = self._bridge.api.counter_history(SET_VP, "% Total Run Time",
                                                      vp_instance(vm.name, k), vm.host_id)
            except HvError:
                return None
            out.append(values)
        return out

    def _draw_cpu(self, vm: VmInfo, x: Any) -> None:
        curves = self._vp_curves(vm.cpu_count)
        series = self.vp_series(vm)
        head = "<b>CPU</b> per VP, % of one LP"
        if series is None:
            for c in curves:
                c.setData([], [])
            self.cpu.set_title(f"{head}<br>{_small('Not running: no virtual processors.')}")
            return
        for c, values in zip(curves, series, strict=True):
            c.setData(x, values)
        last = [float(v[-1]) if len(v) else 0.0 for v in series]
        if len(series) <= _LEGEND_VPS:
            legend = "&nbsp;".join(swatch(colours.series(k), f"VP {k} {v:.0f} %")
                                   for k, v in enumerate(last))
        else:
            legend = f"{len(series)} VPs, average {sum(last) / len(last):.0f} %"
        self.cpu.set_title(f"{head}<br>{_small(legend)}")

    def _draw_memory(self, vm: VmInfo, x: Any, history: dict[str, Any]) -> None:
        assigned = history["memory_assigned_mb"]
        demand = history["memory_demand_mb"]
        self.assigned_curve.setData(x, assigned)
        self.demand_curve.setData(x, demand)
        cfg = vm.config
        most = cfg.memory_maximum_mb if cfg.dynamic_memory_enabled else cfg.memory_startup_mb
        peak = max(float(assigned.max()) if len(assigned) else 0.0,
                   float(demand.max()) if len(demand) else 0.0, float(most))
        self.memory.set_top(style.nice_ceiling(peak * 1.05, 64.0))
        a = float(assigned[-1]) if len(assigned) else 0.0
        d = float(demand[-1]) if len(demand) else 0.0
        self.memory.set_title(
            "<b>Memory</b>, MB<br>"
            + _small("&nbsp;".join((swatch(colours.MEMORY_ASSIGNED, f"Assigned {a:,.0f}"),
                                    swatch(colours.MEMORY_DEMAND, f"Demand {d:,.0f}")))))

    def _draw_rates(self, x: Any, history: dict[str, Any]) -> None:
        for panel, curve, name, floor, unit, title in (
            (self.disk, self.disk_curve, "disk_iops", 10.0, "IOPS", "Disk"),
            (self.network, self.network_curve, "net_mbit", 1.0, "Mbit/s", "Network"),
        ):
            values = history[name]
            curve.setData(x, values)
            visible = values[x >= -WINDOW_S] if len(values) else values
            peak = float(visible.max()) if len(visible) else 0.0
            panel.set_top(style.nice_ceiling(peak * 1.1, floor))
            now = float(values[-1]) if len(values) else 0.0
            panel.set_title(f"<b>{title}</b>, {unit}<br>{_small(f'now {now:,.1f}')}")

    def plots(self) -> list[pg.PlotWidget]:
        return [p.plot for p in (self.cpu, self.memory, self.disk, self.network)]
