"""pyqtgraph set up the cheap way (docs/performance.md), shared by every graph.

Importing this module imports pyqtgraph; only the graph views import it, when first shown.

- antialias off, pen width 1 (highlight is the one exception), no OpenGL;
- ``skipFiniteCheck=True`` (the engine's history never holds NaN);
- fixed axis ranges set by us, never pyqtgraph's autorange (2.5x the cost);
- ``clipToView`` and ``autoDownsample`` (peak) for 600-sample histories, float64 x;
- mouse interaction, the context menu and the "A" button off: these are read-only
  monitors, and pyqtgraph's menus are neither Hyper-V-like nor named for automation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette, QShowEvent
from PySide6.QtWidgets import QApplication, QWidget

from hvlab.gui import ids
from hvlab.gui.graphs.pdh import sim_datetime

pg.setConfigOptions(antialias=False, useOpenGL=False, enableExperimental=False,
                    mouseRateLimit=30)

#: Tick spacings (seconds) that read well on a clock: 10 s, 1 min, 5 min…
_SPACINGS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400,
             21600, 43200, 86400)


def _spacing(span: float, pixels: float, min_px: float) -> float:
    for step in _SPACINGS:
        if step * pixels / max(span, 1e-9) >= min_px:
            return float(step)
    return float(_SPACINGS[-1])


class ValueAxis(pg.AxisItem):  # type: ignore[misc]
    """A value axis with one level of ticks. pyqtgraph's minor levels each add a set of
    grid lines; drawing them was over half of an empty plot's repaint here (1 ms of 2)."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        levels: list[tuple[float, float]] = super().tickSpacing(minVal, maxVal, size)
        return levels[:1]


class _TimeAxis(pg.AxisItem):  # type: ignore[misc]
    """A bottom axis in seconds with minute-friendly ticks (one level, as ValueAxis);
    subclasses label them."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        return [(_spacing(maxVal - minVal, size, 70.0), 0.0)]


class AgoAxis(_TimeAxis):
    """x = seconds relative to the newest sample (<= 0): "now", "-30 s", "-5 min"."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        out = []
        for v in values:
            ago = -round(v)
            if ago == 0:
                out.append("now")
            elif ago % 60 == 0:
                out.append(f"-{ago // 60} min")
            else:
                out.append(f"-{ago} s")
        return out


class ClockAxis(_TimeAxis):
    """x = simulated seconds, labelled with the clock time perfmon would show."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        # Before the lab's first second there is no clock time (and no sample): no label.
        return [sim_datetime(v).strftime("%H:%M:%S") if v >= 0 else "" for v in values]


def theme_colours(widget: QWidget | None = None) -> tuple[QColor, QColor, QColor]:
    """(background, text, grid) from the current palette, so graphs follow the theme."""
    app = QApplication.instance()
    palette = widget.palette() if widget is not None else (
        app.palette() if isinstance(app, QApplication) else QPalette())
    return (palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text),
            palette.color(QPalette.ColorRole.Mid))


def new_plot(name: ids.UiName, *, y_range: tuple[float, float] = (0.0, 100.0),
             x_range: tuple[float, float] = (-600.0, 0.0), axis: str = "ago",
             left_label: str = "", parent: QWidget | None = None) -> pg.PlotWidget:
    """A read-only plot with fixed ranges and the theme's colours."""
    bottom = AgoAxis(orientation="bottom") if axis == "ago" else ClockAxis(orientation="bottom")
    plot = pg.PlotWidget(parent=parent, axisItems={"bottom": bottom,
                                                   "left": ValueAxis(orientation="left")},
                         enableMenu=False)
    ids.apply(plot, name)
    # The scene's "Export..." context-menu action: no menu is shown, so drop it (it would
    # be an unnamed action under the window for automation).
    scene = plot.scene()
    for action in scene.contextMenu:
        action.setParent(None)
    scene.contextMenu = []
    plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    item.setMouseEnabled(x=False, y=False)
    item.vb.disableAutoRange()
    item.showGrid(x=True, y=True, alpha=0.25)
    item.setClipToView(True)
    item.setDownsampling(auto=True, mode="peak")
    if left_label:
        item.setLabel("left", left_label)
    item.getAxis("left").setWidth(44)
    plot.setXRange(*x_range, padding=0)
    set_y_range(plot, *y_range)
    restyle(plot)
    return plot


def set_y_range(plot: pg.PlotWidget, low: float, high: float) -> None:
    """A fixed y range with a little headroom, so the top and bottom tick labels (100 %,
    0) are drawn inside the plot instead of being clipped at its edges."""
    span = high - low
    plot.setYRange(low - 0.015 * span, high + 0.07 * span, padding=0)


def restyle(plot: pg.PlotWidget, owner: QWidget | None = None) -> None:
    """Apply the palette's colours, the plot's own or ``owner``'s (called again when the
    theme changes)."""
    background, text, grid = theme_colours(owner if owner is not None else plot)
    plot.setBackground(background)
    item = plot.getPlotItem()
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen(grid, width=1))
        axis.setTextPen(pg.mkPen(text))


def curve(plot: pg.PlotWidget, colour: str | QColor, *, width: int = 1,
          fill: str | QColor | None = None, fill_alpha: int = 255,
          windowed: bool = False) -> Any:
    """One series: created once, then only ``setData`` each second.

    ``windowed``: the plot shows only part of the data (Performance Monitor's 100 s of a
    600 s history), so use a PlotDataItem with ``clipToView`` and peak ``autoDownsample``.
    Otherwise the whole series is on screen at under one sample per pixel, where clipping
    and downsampling find nothing to drop, and a bare PlotCurveItem costs a fifth as much
    per ``setData`` (about 0.07 ms against 0.36 ms here; tests/bench/graphs.py).
    """
    pen = pg.mkPen(colour, width=width)
    item: Any
    if windowed:
        item = pg.PlotDataItem(pen=pen, skipFiniteCheck=True, clipToView=True,
                               autoDownsample=True, downsampleMethod="peak", antialias=False)
    else:
        item = pg.PlotCurveItem(pen=pen, skipFiniteCheck=True, antialias=False)
    if fill is not None:
        brush = QColor(fill)
        brush.setAlpha(fill_alpha)
        item.setFillLevel(0.0)
        item.setBrush(brush)
    plot.addItem(item)
    return item


def nice_ceiling(value: float, floor: float = 1.0) -> float:
    """The y-axis top for ``value``: 1, 2 or 5 times a power of ten (>= ``floor``), so a
    rate graph's range changes rarely instead of autoranging every second."""
    import math

    value = max(value, floor)
    power = 10.0 ** math.floor(math.log10(value))
    for m in (1.0, 2.0, 5.0, 10.0):
        if value <= m * power:
            return m * power
    return 10.0 * power


def on_palette_change(widget: QWidget, plots: Callable[[], list[pg.PlotWidget]]) -> None:
    """Restyle ``plots()`` in ``widget``'s colours; call from its ``changeEvent`` on
    PaletteChange. Its palette is the new one by then, but a plot's may not be yet: Qt
    updates the widgets in no particular order."""
    for plot in plots():
        restyle(plot, widget)
    widget.update()


# A mixin must not derive from a Qt class (a widget has one Qt base); for type checkers it is
# the QWidget it is mixed into.
if TYPE_CHECKING:
    _Widget = QWidget
else:
    _Widget = object


class LiveGraphs(_Widget):
    """For a widget of graphs (mixed in before QWidget): it draws when shown, as it skips
    drawing while hidden, and restyles its plots when the theme changes the palette. The
    widget has ``refresh()`` and ``plots()``."""

    if TYPE_CHECKING:
        def refresh(self, force: bool = False) -> None: ...
        def plots(self) -> list[pg.PlotWidget]: ...

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            on_palette_change(self, self.plots)
