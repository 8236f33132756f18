"""The host dashboard: where the host's processors and memory go, over time.

- **Logical processors**, stacked: guest (VM) run time, hypervisor run time and root
  partition run time, as % of the host's LP capacity, from ``ManagementApi.host_history``
  (the same figures as ``\\Hyper-V Hypervisor Logical Processor(_Total)\\% Guest Run Time`` /
  ``% Hypervisor Run Time`` and the root VPs' run time).
- **Memory map** by owner, per NUMA node (:mod:`hvlab.gui.graphs.memory_map`).
- **Running virtual machines** now and over time.

Pulled on the bridge's tick, redrawn once per new simulated second, and not at all while
hidden. Importing this module imports pyqtgraph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import ids
from hvlab.gui.forms import caption
from hvlab.gui.graphs import colours, style
from hvlab.gui.graphs.memory_map import Extent, MemoryMapBar

if TYPE_CHECKING:
    import pyqtgraph as pg

    from hvlab.engine.api import VmTableSnapshot
    from hvlab.gui.bridge import Bridge

#: (label, seconds) of the time window choices.
WINDOWS = (("Last 100 seconds", 100), ("Last 10 minutes", 600))
DEFAULT_WINDOW = 600
_MAX_LEGEND_VMS = 6


def swatch(colour: str, text: str) -> str:
    """Rich text: a coloured square and its label (for legends in QLabels)."""
    if not colour:
        return f"&#9633;&nbsp;{text}"
    return f"<span style='color:{colour}'>&#9632;</span>&nbsp;{text}"


def stacked_percent(history: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    """(x, guest, guest+hypervisor, guest+hypervisor+root) in % of LP capacity, x in
    seconds relative to the newest sample."""
    times = history["times"]
    if len(times) == 0 or len(history["lps"]) != len(times):
        empty = np.zeros(0)
        return empty, empty, empty, empty
    lps = np.maximum(history["lps"], 1.0)
    guest = history["guest_lp"] / lps * 100.0
    hv = guest + history["hypervisor_lp"] / lps * 100.0
    root = hv + history["root_lp"] / lps * 100.0
    x = np.asarray(times, dtype=np.float64) - float(times[-1])
    return x, guest, hv, root


class HostDashboard(style.LiveGraphs, QWidget):
    """The dashboard for one host at a time (the Host box picks it)."""

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.HOST_PERF)
        self._bridge = bridge
        self._host_id = ""
        self._window = DEFAULT_WINDOW
        self._drawn_key: tuple[object, ...] | None = None
        self._snap: VmTableSnapshot | None = None
        self.redraws = 0

        self.host_box = QComboBox()
        ids.apply(self.host_box, ids.HOST_PERF_HOST)
        self.host_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.window_box = QComboBox()
        ids.apply(self.window_box, ids.HOST_PERF_WINDOW)
        for label, seconds in WINDOWS:
            self.window_box.addItem(label, seconds)
        self.window_box.setCurrentIndex([s for _, s in WINDOWS].index(DEFAULT_WINDOW))
        self.summary = QLabel("")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(caption("&Host:", self.host_box))
        top.addWidget(self.host_box)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        top.addWidget(caption("&Show:", self.window_box))
        top.addWidget(self.window_box)

        # Logical processors, stacked.
        self.cpu_title = QLabel("<b>Logical processors</b> — % of host capacity")
        self.cpu_legend = QLabel("")
        self.cpu_legend.setTextFormat(Qt.TextFormat.RichText)
        self.cpu_plot = style.new_plot(ids.HOST_PERF_CPU, y_range=(0, 100),
                                       x_range=(-self._window, 0))
        self.cpu_plot.setMinimumSize(260, 120)
        # Added top of the stack first: each lower band paints over the one above it.
        self.root_curve = style.curve(self.cpu_plot, colours.ROOT,
                                      fill=QColor(colours.ROOT).lighter(135))
        self.hv_curve = style.curve(self.cpu_plot, colours.HYPERVISOR,
                                    fill=QColor(colours.HYPERVISOR).lighter(135))
        self.guest_curve = style.curve(self.cpu_plot, colours.GUEST,
                                       fill=QColor(colours.GUEST).lighter(150))

        # Memory map.
        self.memory_title = QLabel("<b>Memory</b> — by owner")
        self.memory_map = MemoryMapBar()
        self.memory_legend = QLabel("")
        self.memory_legend.setTextFormat(Qt.TextFormat.RichText)
        self.memory_legend.setWordWrap(True)
        self.memory_legend.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        # Running VMs.
        self.running_title = QLabel("<b>Running virtual machines</b>")
        self.running_plot = style.new_plot(ids.HOST_PERF_RUNNING, y_range=(0, 10),
                                           x_range=(-self._window, 0))
        self.running_plot.setMinimumSize(200, 56)
        # Same time window as the LP graph beside it; its time labels would not fit.
        self.running_plot.getPlotItem().getAxis("bottom").setStyle(showValues=False)
        self.running_plot.getPlotItem().getAxis("bottom").setHeight(4)
        self.running_curve = style.curve(self.running_plot, colours.RUNNING,
                                         fill=colours.RUNNING, fill_alpha=60)
        self._running_top = 0.0

        left = QVBoxLayout()
        left.setSpacing(2)
        title_row = QHBoxLayout()
        title_row.addWidget(self.cpu_title)
        title_row.addStretch(1)
        title_row.addWidget(self.cpu_legend)
        left.addLayout(title_row)
        left.addWidget(self.cpu_plot, 1)
        right = QGridLayout()
        right.setVerticalSpacing(2)
        right.addWidget(self.memory_title, 0, 0)
        right.addWidget(self.memory_map, 1, 0)
        right.addWidget(self.memory_legend, 2, 0)
        right.addWidget(self.running_title, 3, 0)
        right.addWidget(self.running_plot, 4, 0)
        right.setRowStretch(4, 1)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self.reload_hosts()
        self.host_box.currentIndexChanged.connect(self._on_host_picked)
        self.window_box.currentIndexChanged.connect(self._on_window_picked)

    # -- what the console calls -------------------------------------------------------------
    @property
    def host_id(self) -> str:
        return self._host_id

    def reload_hosts(self) -> None:
        """Re-read the host list (a host was added, removed or renamed)."""
        hosts = self._bridge.api.hosts()
        current = self._host_id
        self.host_box.blockSignals(True)
        self.host_box.clear()
        for h in hosts:
            self.host_box.addItem(h.name, h.id)
        index = max(self.host_box.findData(current), 0) if current else 0
        self.host_box.setCurrentIndex(index if hosts else -1)
        self.host_box.blockSignals(False)
        self._host_id = str(self.host_box.currentData() or "")
        self._drawn_key = None

    def set_host(self, host_id: str) -> None:
        index = self.host_box.findData(host_id)
        if index < 0:
            self.reload_hosts()
            index = self.host_box.findData(host_id)
        if index >= 0:
            self.host_box.setCurrentIndex(index)

    def set_window(self, seconds: int) -> None:
        self.window_box.setCurrentIndex([s for _, s in WINDOWS].index(seconds))

    def on_tick(self, snap: VmTableSnapshot) -> None:
        self._snap = snap
        if self.isVisible():
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw if a new history sample (or another host or window) is due."""
        snap = self._snap
        now_us = snap.time_us if snap is not None else self._bridge.api.now_us
        second = now_us // 1_000_000
        key = (self._host_id, second, self._window, snap.version if snap is not None else -1)
        if not force and key == self._drawn_key:
            return
        self._drawn_key = key
        if not self._host_id:
            return
        try:
            history = self._bridge.api.host_history(self._host_id)
            host = self._bridge.api.host(self._host_id)
            extents = self._bridge.api.memory_map(self._host_id)
        except HvError:  # the host was removed since the last tick
            self.reload_hosts()
            return
        self.redraws += 1
        self._draw_cpu(history, host.logical_processors)
        self._draw_memory(extents, host.memory_total_mb)
        self._draw_running(history, host.running_vms, host.vm_count)
        self.summary.setText(
            f"{host.logical_processors} logical processors · "
            f"{host.memory_available_mb:,} MB available for virtual machines")

    # -- drawing ----------------------------------------------------------------------------
    def _draw_cpu(self, history: dict[str, Any], lps: int) -> None:
        x, guest, hv, root = stacked_percent(history)
        self.guest_curve.setData(x, guest)
        self.hv_curve.setData(x, hv)
        self.root_curve.setData(x, root)
        if len(x):
            g, h, r = float(guest[-1]), float(hv[-1] - guest[-1]), float(root[-1] - hv[-1])
        else:
            g = h = r = 0.0
        self.cpu_legend.setText("&nbsp;&nbsp;".join((
            swatch(colours.GUEST, f"Guest {g:.1f} %"),
            swatch(colours.HYPERVISOR, f"Hypervisor {h:.1f} %"),
            swatch(colours.ROOT, f"Root {r:.1f} %"),
            f"Total <b>{g + h + r:.1f} %</b> of {lps} LP{'s' if lps != 1 else ''}")))

    def _draw_memory(self, extents: list[Any], total_mb: int) -> None:
        snap = self._snap
        names = ([n for n, h in zip(snap.names, snap.host_ids, strict=True)
                  if h == self._host_id] if snap is not None else [])
        changed = self.memory_map.set_map(
            [Extent(e.node, e.start_mb, e.size_mb, e.owner) for e in extents], names)
        if not changed and self.memory_legend.text():
            return
        self.memory_title.setText(f"<b>Memory</b> — {total_mb:,} MB by owner")
        totals = self.memory_map.totals()
        vms = [t for t in totals if t.owner not in ("hypervisor", "root", "free")]
        shown = [t for t in totals if t.owner in ("hypervisor", "root")]
        shown += vms[:_MAX_LEGEND_VMS]
        parts = [swatch(t.colour, f"{t.label} {t.mb:,} MB") for t in shown]
        if len(vms) > _MAX_LEGEND_VMS:
            rest = vms[_MAX_LEGEND_VMS:]
            parts.append(f"{len(rest)} more VMs {sum(t.mb for t in rest):,} MB")
        parts += [swatch(t.colour, f"{t.label} {t.mb:,} MB") for t in totals
                  if t.owner == "free"]
        self.memory_legend.setText("&nbsp;&nbsp; ".join(parts))

    def _draw_running(self, history: dict[str, Any], running: int, vm_count: int) -> None:
        times = history["times"]
        series = history["running_vms"]
        if len(times) and len(series) == len(times):
            x = np.asarray(times, dtype=np.float64) - float(times[-1])
            self.running_curve.setData(x, series)
            peak = float(series.max())
        else:
            self.running_curve.setData([], [])
            peak = 0.0
        top = style.nice_ceiling(max(peak, vm_count, 1) * 1.1, 2.0)
        if top != self._running_top:
            self._running_top = top
            style.set_y_range(self.running_plot, 0, top)
            # One or two whole-number labels inside the range: the plot is only a few
            # lines high, and labels on its edges are clipped.
            step = style.nice_ceiling(top * 0.4, 1.0)
            self.running_plot.getPlotItem().getAxis("left").setTickSpacing(step, step)
        self.running_title.setText(
            f"<b>Running virtual machines</b> — {running} of {vm_count}")

    # -- reactions --------------------------------------------------------------------------
    def _on_host_picked(self, _index: int) -> None:
        self._host_id = str(self.host_box.currentData() or "")
        self.refresh(force=True)

    def _on_window_picked(self, _index: int) -> None:
        self._window = int(self.window_box.currentData())
        for plot in (self.cpu_plot, self.running_plot):
            plot.setXRange(-self._window, 0, padding=0)
        self.refresh(force=True)

    def plots(self) -> list[pg.PlotWidget]:
        return [self.cpu_plot, self.running_plot]
