"""View ▸ Architecture: the live architecture diagram of one host, in its own window.

The window follows the bridge's tick: each tick (only while it is shown) it reads the host
through the API (:func:`~hvlab.gui.architecture.model.read_host`), lays it out and lets the scene
update its items. Clicking a child partition emits :attr:`ArchitectureWindow.vm_selected`;
the main window selects that VM. File ▸ Export as PNG… / SVG… write the diagram.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGraphicsView,
    QMainWindow,
    QToolBar,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.architecture.export import export_png, export_svg
from hvlab.gui.architecture.model import Diagram, layout, read_host
from hvlab.gui.architecture.scene import ArchitectureScene
from hvlab.gui.bars import fill_toolbar, toolbar_field
from hvlab.gui.icons import icon

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge

#: States without a partition: their VMs are not read at all.
_NO_PARTITION = ("Off", "Saved")


class ArchitectureView(QGraphicsView):
    """The diagram, fitted to the window until the user zooms.

    Signals:
        vm_clicked(str vm_id)
    """

    vm_clicked = Signal(str)

    def __init__(self, scene: ArchitectureScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        ids.apply(self, ids.ARCH_VIEW)
        self.arch_scene = scene
        self.fit = True
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMouseTracking(True)

    def fit_to_window(self) -> None:
        self.fit = True
        self.refit()

    def refit(self) -> None:
        if self.fit and not self.sceneRect().isEmpty():
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def zoom(self, factor: float) -> None:
        self.fit = False
        self.scale(factor, factor)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.refit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
            event.accept()
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            vm = self.arch_scene.vm_at(self.mapToScene(event.position().toPoint()))
            if vm:
                self.vm_clicked.emit(vm)
                event.accept()
                return
        super().mousePressEvent(event)


class ArchitectureWindow(QMainWindow):
    """The architecture view of one host.

    Signals:
        vm_selected(str vm_id): the user clicked this VM's child partition.
    """

    vm_selected = Signal(str)

    def __init__(self, bridge: Bridge, host_id: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        dialogs.dress(self, ids.ARCH_WINDOW, "view")
        self.bridge = bridge
        self.host_id = bridge.api.host(host_id).id
        self.diagram: Diagram | None = None
        self.scene = ArchitectureScene()
        self.scene.setParent(self)
        self.view = ArchitectureView(self.scene, self)
        self.view.vm_clicked.connect(self._on_vm_clicked)
        self.setCentralWidget(self.view)

        def action(name: ids.UiName, text: str, icon_name: str, shortcut: str,
                   tip: str) -> QAction:
            a = QAction(icon(icon_name), text, self)
            ids.apply(a, name)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            a.setToolTip(tip)
            a.setStatusTip(tip)
            return a

        self.export_png_action = action(ids.ARCH_EXPORT_PNG, "Export as &PNG…", "save",
                                        "Ctrl+E", "Save the diagram as a PNG picture.")
        self.export_svg_action = action(ids.ARCH_EXPORT_SVG, "Export as &SVG…", "save",
                                        "Ctrl+Shift+E", "Save the diagram as an SVG drawing.")
        self.close_action = action(ids.ARCH_CLOSE, "&Close", "exit", "Ctrl+W",
                                   "Close the architecture view.")
        self.fit_action = action(ids.ARCH_FIT, "&Fit to Window", "view", "Ctrl+0",
                                 "Show the whole diagram.")
        self.zoom_in_action = action(ids.ARCH_ZOOM_IN, "Zoom &In", "zoom-in",
                                     QKeySequence(QKeySequence.StandardKey.ZoomIn).toString(),
                                     "Zoom in (Ctrl+wheel).")
        self.zoom_out_action = action(ids.ARCH_ZOOM_OUT, "Zoom &Out", "zoom-out",
                                      QKeySequence(QKeySequence.StandardKey.ZoomOut).toString(),
                                      "Zoom out (Ctrl+wheel).")
        self.export_png_action.triggered.connect(lambda: self._ask_export("png"))
        self.export_svg_action.triggered.connect(lambda: self._ask_export("svg"))
        self.close_action.triggered.connect(self.close)
        self.fit_action.triggered.connect(self.view.fit_to_window)
        self.zoom_in_action.triggered.connect(lambda: self.view.zoom(1.25))
        self.zoom_out_action.triggered.connect(lambda: self.view.zoom(0.8))

        bar = self.menuBar()
        ids.apply(bar, ids.ARCH_MENU_BAR)
        file_menu = bar.addMenu("&File")
        ids.apply(file_menu, ids.ARCH_MENU_FILE)
        ids.apply(file_menu.menuAction(), ids.ARCH_MENU_FILE_ACTION)
        for a in (self.export_png_action, self.export_svg_action, None, self.close_action):
            if a is None:
                file_menu.addSeparator()
            else:
                file_menu.addAction(a)
        view_menu = bar.addMenu("&View")
        ids.apply(view_menu, ids.ARCH_MENU_VIEW)
        ids.apply(view_menu.menuAction(), ids.ARCH_MENU_VIEW_ACTION)
        for a in (self.fit_action, self.zoom_in_action, self.zoom_out_action):
            view_menu.addAction(a)

        tb = QToolBar("Architecture toolbar", self)
        ids.apply(tb, ids.ARCH_TOOLBAR)
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.host_combo = QComboBox()
        ids.apply(self.host_combo, ids.ARCH_HOST)
        for h in bridge.api.hosts():
            self.host_combo.addItem(h.name, h.id)
        self.host_combo.setCurrentIndex(max(self.host_combo.findData(self.host_id), 0))
        self.host_combo.currentIndexChanged.connect(self._on_host_chosen)
        toolbar_field(tb, "&Host:", self.host_combo,
                      ids.UiName(f"{ids.ARCH_HOST.object_name}Action",
                                 ids.ARCH_HOST.accessible_name))
        fill_toolbar(tb, [None, self.export_png_action, self.export_svg_action, None,
                          self.fit_action, self.zoom_in_action, self.zoom_out_action])
        self.addToolBar(tb)
        tb.toggleViewAction().setText("&Toolbar")
        ids.apply(tb.toggleViewAction(), ids.ARCH_SHOW_TOOLBAR)
        view_menu.addSeparator()
        view_menu.addAction(tb.toggleViewAction())
        self.statusBar().showMessage("Click a child partition to select its virtual machine "
                                     "in Hyper-V Manager.")

        self.resize(1240, 620)
        self._update_title()
        bridge.tick.connect(self._on_tick)
        self.refresh(animate=False)

    # -- following the engine -------------------------------------------------------------------
    def _on_tick(self, _snap: object) -> None:
        if self.isVisible() and not self.isMinimized():
            self.refresh()

    def refresh(self, animate: bool = True) -> None:
        """Read the host, lay it out and update the scene (one redraw)."""
        snap = self.bridge.snapshot
        candidates = [vm for vm, host, state in zip(snap.ids, snap.host_ids, snap.states,
                                                    strict=True)
                      if host == self.host_id and state not in _NO_PARTITION]
        try:
            state = read_host(self.bridge.api, self.host_id, candidates)
        except HvError:
            return
        self.diagram = layout(state)
        old = self.scene.sceneRect()
        self.scene.show_diagram(self.diagram, animate=animate)
        if self.scene.sceneRect() != old:
            self.view.refit()

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.host_combo.currentText()} - Hyper-V Architecture")

    def _on_host_chosen(self, index: int) -> None:
        host = self.host_combo.itemData(index)
        if isinstance(host, str) and host != self.host_id:
            self.host_id = host
            self._update_title()
            self.refresh(animate=False)
            self.view.fit_to_window()

    def _on_vm_clicked(self, vm_id: str) -> None:
        self.vm_selected.emit(vm_id)
        with contextlib.suppress(HvError):
            name = self.bridge.api.vm(vm_id).name
            self.statusBar().showMessage(f"{name} is selected in Hyper-V Manager.", 5000)

    # -- exports --------------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> Path:
        return export_png(self.scene, path)

    def export_svg(self, path: str | Path) -> Path:
        return export_svg(self.scene, path, title=self.windowTitle(),
                          description="hvlab: live architecture of a simulated Hyper-V host")

    def _ask_export(self, kind: str) -> None:
        dialog = QFileDialog(self, f"Export as {kind.upper()}")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("PNG pictures (*.png)" if kind == "png" else
                             "SVG drawings (*.svg)")
        dialog.setDefaultSuffix(kind)
        dialog.selectFile(f"{self.host_combo.currentText()}-architecture.{kind}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self._export(kind, path))
        dialog.open()

    def _export(self, kind: str, path: str) -> None:
        try:
            out = self.export_png(path) if kind == "png" else self.export_svg(path)
        except OSError as err:
            dialogs.show_error(self, str(err))
            return
        self.statusBar().showMessage(f"Saved {out}.", 6000)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            self.refresh(animate=False)
        return super().event(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            self.bridge.tick.disconnect(self._on_tick)
        super().closeEvent(event)
