"""Move Virtual Machine: pick a node, then follow the live or quick migration's job.

The node list shows every other node of the cluster; a node that cannot take the VM is
listed disabled with the engine's reason (``ManagementApi.migration_blockers``, the same
rule the command enforces). Once the move starts the dialog follows its job at each clock
tick: the phase (setup, pass n with the pages left, blackout; or saving, moving the disk,
restoring), a progress bar and Cancel while the job can still be cancelled. When it ends it
shows a chart of the memory sent in each pre-copy pass and the measured downtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError, JobState
from hvlab.gui import dialogs, ids

if TYPE_CHECKING:
    from hvlab.engine.api import MigrationInfo
    from hvlab.gui.bridge import Bridge

PAGES_PER_MB = 256


def phase_text(m: MigrationInfo) -> str:
    """The phase as the dialog shows it ("Pass 3: 1,234 pages left", "Blackout" …)."""
    if m.phase == "setup":
        return "Setting up the virtual machine on the destination node"
    if m.phase == "copy":
        return f"Pass {m.pass_number}: {m.pages_left:,} pages left to copy"
    if m.phase == "blackout":
        return (f"Blackout: the virtual machine is paused while the last "
                f"{m.pages_left:,} pages are copied")
    if m.phase == "save":
        return f"Saving the virtual machine: {m.pages_left:,} pages left to write"
    if m.phase == "move":
        return "Moving the disk's ownership to the destination node"
    if m.phase == "restore":
        return f"Restoring the virtual machine: {m.pages_left:,} pages left to read"
    return {"completed": "Completed", "cancelled": "Cancelled"}.get(m.outcome, "Failed")


class MigrationDialog(QDialog):
    def __init__(self, bridge: Bridge, vm_id: str, live: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.MIGRATE_DIALOG)
        self._bridge = bridge
        self._vm_id = vm_id
        self._live = live
        self.job_id: int | None = None
        api = bridge.api
        vm = api.vm(vm_id)
        kind = "Live Migrate" if live else "Quick Migrate"
        self.setWindowTitle(f"{kind} '{vm.name}'")
        layout = self._layout = QVBoxLayout(self)
        intro = QLabel(
            f"Move '{vm.name}' to another node of the cluster. " + (
                "Live migration copies its memory while it runs; it pauses only for the "
                "last pages." if live else
                "Quick migration saves it, moves its disk to the node and restores it there; "
                "it is unreachable for the whole move."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.target = QComboBox()
        ids.apply(self.target, ids.MIGRATE_TARGET)
        self.reason = QLabel()
        ids.apply(self.reason, ids.MIGRATE_REASON)
        self.reason.setWordWrap(True)
        form.addRow("&Move to node:", self.target)
        form.addRow("", self.reason)
        layout.addLayout(form)
        self.phase = QLabel("")
        ids.apply(self.phase, ids.MIGRATE_PHASE)
        self.progress = QProgressBar()
        ids.apply(self.progress, ids.MIGRATE_PROGRESS)
        self.outcome_label = QLabel("")
        ids.apply(self.outcome_label, ids.MIGRATE_RESULT)
        self.outcome_label.setWordWrap(True)
        for w in (self.phase, self.progress, self.outcome_label):
            layout.addWidget(w)
            w.hide()
        self.chart: QWidget | None = None
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.start_button = QPushButton("&Move")
        ids.apply(self.start_button, ids.MIGRATE_START)
        self.cancel_button = QPushButton("&Cancel")
        ids.apply(self.cancel_button, ids.MIGRATE_CANCEL)
        self.close_button = QPushButton("C&lose")
        ids.apply(self.close_button, ids.MIGRATE_CLOSE)
        for b in (self.start_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        self.cancel_button.hide()
        layout.addLayout(buttons)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.reject)
        self.target.currentIndexChanged.connect(self._show_reason)
        self._fill_targets(vm.host_id)
        bridge.tick.connect(self._on_tick)

    # -- choosing the node ----------------------------------------------------------------
    def _fill_targets(self, owner: str) -> None:
        api = self._bridge.api
        cluster = api.cluster()
        model = QStandardItemModel(self.target)
        self._reasons: list[str] = []
        for node in cluster.nodes if cluster else ():
            if node.id == owner:
                continue
            why = api.migration_blockers(self._vm_id, node.id, live=self._live)
            item = QStandardItem(node.name if not why else f"{node.name} (unavailable)")
            item.setData(node.id, Qt.ItemDataRole.UserRole)
            item.setEnabled(not why)
            model.appendRow(item)
            self._reasons.append(" ".join(why))
        self.target.setModel(model)
        first_free = next((i for i, r in enumerate(self._reasons) if not r), 0)
        self.target.setCurrentIndex(first_free)
        self._show_reason()

    def _show_reason(self) -> None:
        i = self.target.currentIndex()
        why = self._reasons[i] if 0 <= i < len(self._reasons) else \
            "The cluster has no other node."
        self.reason.setText(why)
        self.reason.setVisible(bool(why))
        self.start_button.setEnabled(not why and self.job_id is None)

    def target_node_id(self) -> str:
        return str(self.target.currentData(Qt.ItemDataRole.UserRole) or "")

    # -- following the job -----------------------------------------------------------------
    def start(self) -> None:
        try:
            job = self._bridge.call(self._bridge.api.migrate_vm, self._vm_id,
                                    self.target_node_id(), live=self._live)
        except HvError as err:
            dialogs.show_error(self, err)
            return
        self.job_id = job.id
        self.target.setEnabled(False)
        self.start_button.setEnabled(False)
        self.cancel_button.show()
        for w in (self.phase, self.progress):
            w.show()
        self._update()

    def cancel(self) -> None:
        if self.job_id is None:
            return
        try:
            self._bridge.call(self._bridge.api.cancel_job, self.job_id)
        except HvError as err:
            dialogs.show_error(self, err)

    def _on_tick(self, _snapshot: object) -> None:
        if self.job_id is not None:
            self._update()

    def _update(self) -> None:
        assert self.job_id is not None
        api = self._bridge.api
        job = api.job(self.job_id)
        m = api.migration(self.job_id)
        self.phase.setText(phase_text(m))
        self.progress.setValue(job.percent)
        self.cancel_button.setEnabled(job.cancellable and job.state is JobState.RUNNING)
        if job.state.finished and not self.outcome_label.isVisible():
            self._finished(m, job.error)

    def _finished(self, m: MigrationInfo, error: str | None) -> None:
        self.cancel_button.hide()
        total = (m.finished_s or m.started_s) - m.started_s
        if m.outcome == "completed":
            text = (f"Moved in {total:.1f} s; the virtual machine was unreachable for "
                    f"{m.downtime_s * 1000:,.0f} ms. {m.sent_mb:,.0f} MB sent for "
                    f"{m.memory_mb:,.0f} MB of memory")
            text += f" in {len(m.pass_mb)} passes." if m.live else "."
        else:
            text = error or "The migration did not complete; the virtual machine stayed."
        self.outcome_label.setText(text)
        self.outcome_label.show()
        if m.live and m.pass_mb:
            self.chart = _pass_chart(m)
            self._layout.insertWidget(self._layout.indexOf(self.outcome_label) + 1, self.chart)


def _pass_chart(m: MigrationInfo) -> QWidget:
    """Bars of pages sent per pre-copy pass; the last (red) bar is the final copy made
    during the blackout."""
    import pyqtgraph as pg

    from hvlab.gui.graphs.style import ValueAxis, restyle

    plot = pg.PlotWidget(axisItems={"left": ValueAxis(orientation="left")}, enableMenu=False)
    ids.apply(plot, ids.MIGRATE_CHART)
    scene = plot.scene()
    for action in scene.contextMenu:  # no menu is shown: no unnamed action either
        action.setParent(None)
    scene.contextMenu = []
    plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    item.setMouseEnabled(x=False, y=False)
    pages = [mb * PAGES_PER_MB for mb in (*m.pass_mb, m.residual_mb)]
    xs = list(range(1, len(pages) + 1))
    plot.addItem(pg.BarGraphItem(x=xs[:-1], height=pages[:-1], width=0.7, brush="#3a78c3"))
    plot.addItem(pg.BarGraphItem(x=xs[-1:], height=pages[-1:], width=0.7, brush="#c33a3a"))
    item.setLabel("left", "Pages sent")
    item.setLabel("bottom", "Pass (red: the final copy, during the blackout)")
    item.getAxis("bottom").setTicks([[(x, str(x)) for x in xs]])
    plot.setXRange(0.4, len(pages) + 0.6, padding=0)
    plot.setYRange(0, max(pages) * 1.1, padding=0)
    restyle(plot)
    plot.setMinimumHeight(180)
    widget: QWidget = plot
    return widget
