"""The Performance Monitor window, in the manner of Windows' perfmon line graph.

- **Add Counters…** (Ctrl+I, :mod:`hvlab.gui.graphs.add_counters`) and **Delete** (Del).
- A line graph, vertical scale 0-100 as perfmon's default; each counter is drawn as
  value × its **scale** (powers of ten; Scale Selected Counters picks the one that fits
  the counter's peak into 0-100, as perfmon's command does).
- The legend below lists Show, Color, Scale, Counter, Instance, Object and Computer; the
  value bar shows Last, Average, Minimum, Maximum over the visible Duration for the
  selected counter (unscaled).
- **Highlight** (Ctrl+H) draws the selected counter thick and on top; **Freeze Display**
  (Ctrl+F) stops reading new samples; **Duration** 100 or 600 seconds.
- **Save Data As…** (Ctrl+S) writes the samples the graph holds (all of them, up to the
  engine's 600 s, not just the visible window) as PDH-CSV 4.0 (:mod:`hvlab.gui.graphs.pdh`).

Samples come from ``ManagementApi.counter_history``, the engine's 1 s history, so the graph
starts full and the export equals the engine's figures exactly. Importing this module
imports pyqtgraph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QCloseEvent, QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import ids
from hvlab.gui.bars import fill_toolbar, toolbar_field
from hvlab.gui.forms import Selection, flat_list
from hvlab.gui.graphs import colours, pdh, style
from hvlab.gui.graphs.add_counters import AddCountersDialog
from hvlab.gui.graphs.pdh import CounterPath

if TYPE_CHECKING:
    from hvlab.engine.api import VmTableSnapshot
    from hvlab.gui.bridge import Bridge

DURATIONS = (100, 600)
DEFAULT_DURATION = 100
#: perfmon's scale choices.
SCALES = tuple(10.0 ** p for p in range(7, -8, -1))
_COL_SHOW, _COL_COLOUR, _COL_SCALE, _COL_COUNTER, _COL_INSTANCE, _COL_OBJECT, _COL_COMPUTER = (
    range(7))


def scale_text(scale: float) -> str:
    return f"{scale:.7f}".rstrip("0").rstrip(".") if scale < 1 else f"{scale:.0f}"


def fitting_scale(peak: float) -> float:
    """The largest power of ten that keeps ``peak`` × scale within 0-100 (1 for zero)."""
    if not math.isfinite(peak) or peak <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(100.0 / peak))
    return min(max(scale, SCALES[-1]), SCALES[0])


@dataclass
class Trace:
    """One counter in the graph."""

    path: CounterPath
    colour: str
    scale: float
    curve: Any
    item: QTreeWidgetItem
    visible: bool = True
    available: bool = True
    times: Any = field(default_factory=lambda: np.zeros(0))
    values: Any = field(default_factory=lambda: np.zeros(0))


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(22, 10)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class PerformanceMonitor(QMainWindow):
    """The window. ``on_tick`` is connected to the bridge's tick by the console."""

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.PERFMON_WINDOW)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setWindowTitle("Performance Monitor — hvlab")
        self._bridge = bridge
        self.traces: list[Trace] = []
        self._duration = DEFAULT_DURATION
        self._drawn_second: int | None = None
        self._next_colour = 0
        self._add_dialog: AddCountersDialog | None = None
        self.redraws = 0

        self.graph = style.new_plot(ids.PERFMON_GRAPH, y_range=(0, 100), axis="clock",
                                    x_range=(0, DEFAULT_DURATION))
        self.graph.setMinimumSize(400, 200)
        self.values_bar = self._make_values_bar()
        # Show, Color, Scale, Counter, Instance, Object, Computer (_COL_* in that order).
        self.legend = flat_list(QTreeWidget(), ids.PERFMON_LEGEND,
                                ["Show", "Color", "Scale", "Counter", "Instance", "Object",
                                 "Computer"], (48, 48, 70, 170, 170, 250),
                                Selection.ExtendedSelection)
        self._make_actions()
        self._make_toolbar()

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(4, 4, 4, 0)
        top_layout.setSpacing(2)
        top_layout.addWidget(self.graph, 1)
        top_layout.addWidget(self.values_bar)
        split = QSplitter(Qt.Orientation.Vertical)
        ids.apply(split, ids.PERFMON_SPLIT)
        split.addWidget(top)
        split.addWidget(self.legend)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.setCentralWidget(split)
        self.resize(980, 640)
        split.setSizes([440, 160])

        self.legend.itemSelectionChanged.connect(self._on_selection)
        self.legend.itemChanged.connect(self._on_item_changed)
        self._on_selection()

    # -- construction -------------------------------------------------------------------------
    def _action(self, name: ids.UiName, text: str, shortcut: str, tip: str,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setIconText(text.replace("&", ""))  # keep the "…" on toolbar buttons
        ids.apply(action, name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        return action

    def _make_actions(self) -> None:
        self.add_action = self._action(ids.PERFMON_ADD, "&Add Counters…", "Ctrl+I",
                                       "Add counters to the graph.")
        self.add_action.triggered.connect(self.open_add_counters)
        self.delete_action = self._action(ids.PERFMON_DELETE, "&Delete", "Del",
                                          "Remove the selected counters from the graph.")
        self.delete_action.triggered.connect(self.delete_selected)
        self.highlight_action = self._action(ids.PERFMON_HIGHLIGHT, "&Highlight", "Ctrl+H",
                                             "Draw the selected counter thick and on top.",
                                             checkable=True)
        self.highlight_action.toggled.connect(lambda _on: self._apply_pens())
        self.freeze_action = self._action(ids.PERFMON_FREEZE, "&Freeze Display", "Ctrl+F",
                                          "Pause the graph: stop reading new samples.",
                                          checkable=True)
        self.freeze_action.toggled.connect(self._on_freeze)
        self.scale_selected_action = self._action(
            ids.PERFMON_SCALE_SELECTED, "Scale Selected Coun&ters", "",
            "Choose each selected counter's scale so its peak fits the graph.")
        self.scale_selected_action.triggered.connect(self.scale_selected)
        self.save_action = self._action(ids.PERFMON_SAVE, "&Save Data As…", "Ctrl+S",
                                        "Save the graph's samples as a PDH-CSV 4.0 log.")
        self.save_action.triggered.connect(self._save_dialog)

    def _make_toolbar(self) -> None:
        bar = QToolBar("Performance Monitor toolbar", self)
        ids.apply(bar, ids.PERFMON_TOOLBAR)
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.add_action, self.delete_action, None, self.highlight_action,
                       self.freeze_action, self.scale_selected_action, None):
            if action is None:
                bar.addSeparator()
            else:
                bar.addAction(action)
        self.duration_box = QComboBox()
        ids.apply(self.duration_box, ids.PERFMON_DURATION)
        for seconds in DURATIONS:
            self.duration_box.addItem(f"{seconds} seconds", seconds)
        self.duration_box.setCurrentIndex(DURATIONS.index(DEFAULT_DURATION))
        self.duration_box.currentIndexChanged.connect(
            lambda _i: self.set_duration(int(self.duration_box.currentData())))
        self.scale_box = QComboBox()
        ids.apply(self.scale_box, ids.PERFMON_SCALE)
        for s in SCALES:
            self.scale_box.addItem(scale_text(s), s)
        self.scale_box.activated.connect(
            lambda _i: self.set_scale_selected(float(self.scale_box.currentData())))
        for box, name, text in ((self.duration_box, ids.PERFMON_DURATION_ACTION, "D&uration:"),
                                (self.scale_box, ids.PERFMON_SCALE_ACTION, "Scal&e:")):
            toolbar_field(bar, text, box, name, margins=(8, 0, 0, 0))
        fill_toolbar(bar, [None, self.save_action])
        ids.apply(bar.toggleViewAction(), ids.PERFMON_SHOW_TOOLBAR)
        self.addToolBar(bar)
        self.toolbar = bar

    def _make_values_bar(self) -> QWidget:
        bar = QWidget()
        ids.apply(bar, ids.PERFMON_VALUES)
        grid = QGridLayout(bar)
        grid.setContentsMargins(4, 2, 4, 2)
        grid.setHorizontalSpacing(6)
        self.value_labels: dict[str, QLabel] = {}
        for col, name in enumerate(("Last", "Average", "Minimum", "Maximum", "Duration")):
            caption = QLabel(f"{name}:")
            value = QLabel("-----")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setMinimumWidth(value.fontMetrics().horizontalAdvance("000,000,000.000"))
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(caption, 0, 2 * col)
            grid.addWidget(value, 0, 2 * col + 1)
            self.value_labels[name] = value
        grid.setColumnStretch(9, 1)
        return bar

    # -- counters -----------------------------------------------------------------------------
    def default_host(self) -> str:
        return self._bridge.api.host().name

    def add_counter(self, path: CounterPath | str, scale: float | None = None) -> Trace | None:
        """Add one counter (a path or its text); None when it is already in the graph."""
        if isinstance(path, str):
            path = CounterPath.parse(path)
        if any(t.path == path for t in self.traces):
            return None
        colour = colours.series(self._next_colour)
        self._next_colour += 1
        curve = style.curve(self.graph, colour, windowed=True)
        item = QTreeWidgetItem(["", "", "", path.counter, path.instance or "—",
                                path.counter_set, f"\\\\{path.computer}"])
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(_COL_SHOW, Qt.CheckState.Checked)
        item.setIcon(_COL_COLOUR, _swatch(colour))
        item.setToolTip(_COL_COUNTER, str(path))
        trace = Trace(path, colour, 1.0, curve, item)
        self._pull(trace)
        trace.scale = scale if scale is not None else self._default_scale(trace)
        item.setText(_COL_SCALE, scale_text(trace.scale))
        self.legend.blockSignals(True)
        self.legend.addTopLevelItem(item)
        self.legend.blockSignals(False)
        self.traces.append(trace)
        self._draw_trace(trace)
        if len(self.traces) == 1:
            self.legend.setCurrentItem(item)
        self._update_range()
        self._apply_pens()
        return trace

    def remove_counter(self, path: CounterPath | str) -> bool:
        if isinstance(path, str):
            path = CounterPath.parse(path)
        for trace in self.traces:
            if trace.path == path:
                self.traces.remove(trace)
                self.graph.removeItem(trace.curve)
                self.legend.takeTopLevelItem(self.legend.indexOfTopLevelItem(trace.item))
                self._on_selection()
                return True
        return False

    def delete_selected(self) -> None:
        for trace in self.selected_traces():
            self.remove_counter(trace.path)

    def set_counters(self, paths: list[CounterPath]) -> None:
        """Make the graph show exactly ``paths`` (the Add Counters dialog's result)."""
        for trace in list(self.traces):
            if trace.path not in paths:
                self.remove_counter(trace.path)
        for path in paths:
            self.add_counter(path)

    def paths(self) -> list[CounterPath]:
        return [t.path for t in self.traces]

    def trace(self, path: CounterPath | str) -> Trace:
        if isinstance(path, str):
            path = CounterPath.parse(path)
        return next(t for t in self.traces if t.path == path)

    def open_add_counters(self) -> AddCountersDialog:
        if self._add_dialog is not None:
            self._add_dialog.raise_()
            return self._add_dialog
        host = self.traces[-1].path.computer if self.traces else self.default_host()
        dialog = AddCountersDialog(self._bridge, self.paths(), host, self)
        self._add_dialog = dialog

        def done(result: int) -> None:
            self._add_dialog = None
            if result == AddCountersDialog.DialogCode.Accepted:
                self.set_counters(dialog.counters())
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()
        return dialog

    # -- selection, highlight, scale --------------------------------------------------------------
    def selected_traces(self) -> list[Trace]:
        chosen = {id(i) for i in self.legend.selectedItems()}
        return [t for t in self.traces if id(t.item) in chosen]

    def current_trace(self) -> Trace | None:
        item = self.legend.currentItem()
        selected = self.selected_traces()
        for t in selected:
            if t.item is item:
                return t
        return selected[0] if selected else None

    def select(self, path: CounterPath | str) -> None:
        self.legend.setCurrentItem(self.trace(path).item)

    def _on_selection(self) -> None:
        has = bool(self.selected_traces())
        for action in (self.delete_action, self.scale_selected_action):
            action.setEnabled(has)
        self.scale_box.setEnabled(has)
        current = self.current_trace()
        if current is not None:
            self.scale_box.setCurrentIndex(self._scale_index(current.scale))
        self._apply_pens()
        self._update_values()

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != _COL_SHOW:
            return
        for t in self.traces:
            if t.item is item:
                t.visible = item.checkState(_COL_SHOW) == Qt.CheckState.Checked
                t.curve.setVisible(t.visible)

    def set_visible(self, path: CounterPath | str, visible: bool) -> None:
        self.trace(path).item.setCheckState(
            _COL_SHOW, Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)

    def highlighted(self) -> Trace | None:
        return self.current_trace() if self.highlight_action.isChecked() else None

    def _apply_pens(self) -> None:
        lit = self.highlighted()
        for t in self.traces:
            if t is lit:
                t.curve.setPen(pg.mkPen(QColor(t.colour).lighter(115), width=3))
                t.curve.setZValue(10)
            else:
                t.curve.setPen(pg.mkPen(t.colour, width=1))
                t.curve.setZValue(0)

    def _scale_index(self, scale: float) -> int:
        return min(range(len(SCALES)), key=lambda i: abs(math.log10(SCALES[i] / scale)))

    def set_scale(self, path: CounterPath | str, scale: float) -> None:
        trace = self.trace(path)
        trace.scale = scale
        trace.item.setText(_COL_SCALE, scale_text(scale))
        self._draw_trace(trace)
        if trace is self.current_trace():
            self.scale_box.setCurrentIndex(self._scale_index(scale))

    def set_scale_selected(self, scale: float) -> None:
        for trace in self.selected_traces():
            self.set_scale(trace.path, scale)

    def scale_selected(self) -> None:
        for trace in self.selected_traces():
            peak = float(np.max(trace.values)) if len(trace.values) else 0.0
            self.set_scale(trace.path, fitting_scale(peak))

    def _default_scale(self, trace: Trace) -> float:
        if trace.path.counter.startswith("%"):
            return 1.0
        return fitting_scale(float(np.max(trace.values)) if len(trace.values) else 0.0)

    # -- time ---------------------------------------------------------------------------------
    def set_duration(self, seconds: int) -> None:
        self._duration = seconds
        index = DURATIONS.index(seconds)
        if self.duration_box.currentIndex() != index:
            self.duration_box.setCurrentIndex(index)
        self._update_range()
        self._update_values()

    @property
    def frozen(self) -> bool:
        return self.freeze_action.isChecked()

    def _on_freeze(self, frozen: bool) -> None:
        if not frozen:
            self.refresh(force=True)

    def on_tick(self, _snap: VmTableSnapshot | None = None) -> None:
        if self.isVisible() and not self.frozen:
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Read every counter's history if a new second has been sampled."""
        second = self._bridge.api.now_us // 1_000_000
        if not force and second == self._drawn_second:
            return
        self._drawn_second = second
        self.redraws += 1
        for trace in self.traces:
            self._pull(trace)
            self._draw_trace(trace)
        self._update_range()
        self._update_values()

    def _pull(self, trace: Trace) -> None:
        p = trace.path
        try:
            times, values = self._bridge.api.counter_history(p.counter_set, p.counter, p.instance,
                                                      p.computer)
        except HvError:
            # The instance is gone (its VM stopped): perfmon leaves the line where it ended.
            if trace.available:
                trace.available = False
                trace.item.setToolTip(_COL_INSTANCE, "This instance does not exist now.")
            return
        if not trace.available:
            trace.available = True
            trace.item.setToolTip(_COL_INSTANCE, "")
        trace.times = np.asarray(times, dtype=np.float64)
        trace.values = np.asarray(values, dtype=np.float64)

    def _draw_trace(self, trace: Trace) -> None:
        trace.curve.setData(trace.times, trace.values * trace.scale)

    def _newest(self) -> float:
        ends = [float(t.times[-1]) for t in self.traces if len(t.times)]
        return max(ends) if ends else self._bridge.api.now_seconds

    def _update_range(self) -> None:
        end = self._newest()
        self.graph.setXRange(end - self._duration, end, padding=0)

    def _update_values(self) -> None:
        trace = self.current_trace()
        labels = self.value_labels
        minutes, seconds = divmod(self._duration, 60)
        labels["Duration"].setText(f"{minutes}:{seconds:02d}")
        if trace is None or not len(trace.times):
            for name in ("Last", "Average", "Minimum", "Maximum"):
                labels[name].setText("-----")
            return
        shown = trace.values[trace.times > trace.times[-1] - self._duration]
        for name, value in (("Last", trace.values[-1]), ("Average", shown.mean()),
                            ("Minimum", shown.min()), ("Maximum", shown.max())):
            labels[name].setText(f"{float(value):,.3f}")

    # -- export -------------------------------------------------------------------------------
    def export_columns(self) -> tuple[list[CounterPath], list[float], list[list[float]]]:
        """(paths, sample times, one column per path; NaN where a counter has no sample)."""
        times = sorted({float(t) for trace in self.traces for t in trace.times})
        index = {t: i for i, t in enumerate(times)}
        columns = []
        for trace in self.traces:
            col = [math.nan] * len(times)
            for t, v in zip(trace.times.tolist(), trace.values.tolist(), strict=True):
                col[index[t]] = v
            columns.append(col)
        return self.paths(), times, columns

    def save_csv(self, path: str | Path) -> int:
        """Write the graph's samples as PDH-CSV 4.0; returns the number of rows."""
        paths, times, columns = self.export_columns()
        pdh.write_file(path, paths, times, columns)
        return len(times)

    def _save_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save Data As", "hvlab-perfmon.csv",
                                              "Comma Separated (*.csv)")
        if name:
            rows = self.save_csv(name)
            self.statusBar().showMessage(f"Saved {rows} samples of {len(self.traces)} "
                                         f"counters to {name}.", 8000)

    # -- Qt -------------------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.frozen:
            self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            style.on_palette_change(self, lambda: [self.graph])

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._add_dialog is not None:
            self._add_dialog.reject()
        super().closeEvent(event)
