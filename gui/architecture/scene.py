"""Draws a :class:`~hvlab.gui.architecture.model.Diagram` in a QGraphicsScene, reusing its items.

Each box, wire and label of the diagram keeps one graphics item under its key for as long as
it exists: a tick changes the geometry or text of the items whose data changed, moves the
I/O dots one step along their wires, and deletes the items of partitions that went away.
Nothing is rebuilt per tick, and nothing is drawn between ticks.

Colours come from two fixed tables (light and dark, picked from the application palette),
so the exported PNG and SVG look like the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QPainterPath,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPolygonItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
)

from hvlab.gui.architecture.model import Box, Diagram, Label, Wire

#: Item data role holding the VM id of a child partition's items.
VM_ROLE = 0
SYNTHETIC = "#1f6fd1"
EMULATED = "#d9730d"


@dataclass(frozen=True)
class Colours:
    background: str
    text: str
    muted: str
    fills: dict[str, tuple[str, str]]  # style → (fill, border); #AARRGGBB where translucent
    synthetic: str = SYNTHETIC  # wires and labels of the two I/O paths
    emulated: str = EMULATED


_LIGHT = Colours("#ffffff", "#1f2328", "#5f6b7a", {
    "root": ("#eef4fb", "#6d8fb5"), "child": ("#eef7ea", "#6f9a52"),
    "child-legacy": ("#fbf3ea", "#b8895a"), "mode": ("#ffffff", "#c9d3de"),
    "process": ("#f2f2f7", "#7d7d9c"), "worker": ("#fdf1e6", "#c98a50"),
    "worker-busy": ("#fcd9b6", EMULATED), "driver": ("#eeeeee", "#707070"),
    "vsp": ("#dbe9fb", SYNTHETIC), "vsc": ("#dbe9fb", SYNTHETIC),
    "emulated": ("#fde9d6", EMULATED), "warning": ("#fff4ce", "#b89000"),
    "enlightened": ("#e3f1dc", "#5f8f43"), "muted-box": ("#f4f4f4", "#b0b0b0"),
    "apps": ("#ffffff", "#9aa6b2"), "vmbus": ("#1a1f6fd1", SYNTHETIC),
    "hypervisor": ("#e2e6f0", "#5b6a8a"), "hardware": ("#ececec", "#8a8a8a"),
    "chip-hardware": ("#ffffff", "#8a8a8a"), "placeholder": ("#fafafa", "#c0c0c0"),
})
_DARK = Colours("#1e1f22", "#e6e7e9", "#a0a7b0", {
    "root": ("#1f2a38", "#5f86b3"), "child": ("#1f2e22", "#6f9a52"),
    "child-legacy": ("#33291f", "#b8895a"), "mode": ("#26282c", "#45484e"),
    "process": ("#2b2b36", "#8a8aaa"), "worker": ("#3a2c20", "#c98a50"),
    "worker-busy": ("#5a3514", EMULATED), "driver": ("#303237", "#8a8a8a"),
    "vsp": ("#1b3453", "#4f93e6"), "vsc": ("#1b3453", "#4f93e6"),
    "emulated": ("#4a3018", EMULATED), "warning": ("#4a3f10", "#d6b000"),
    "enlightened": ("#243a1c", "#6f9a52"), "muted-box": ("#2b2d32", "#55585e"),
    "apps": ("#26282c", "#5a6068"), "vmbus": ("#264f93e6", "#4f93e6"),
    "hypervisor": ("#262c3a", "#7283a8"), "hardware": ("#2b2b2b", "#777777"),
    "chip-hardware": ("#1e1f22", "#777777"), "placeholder": ("#232427", "#45484e"),
}, synthetic="#5aa2f2", emulated="#f0923a")

#: Stacking: regions under the VMBus band, wires under the chips (a path enters a VSP or a
#: worker process and comes out of it), dots just above the wires, labels on top.
_Z = {"hardware": 0, "hypervisor": 0, "root": 0, "child": 0, "child-legacy": 0,
      "placeholder": 0, "mode": 1, "vmbus": 2, "apps": 3, "enlightened": 3, "muted-box": 3}
Z_WIRE, Z_IO_WIRE, Z_DOT, Z_CHIP, Z_LABEL = 2.4, 2.5, 2.6, 3.0, 7.0
_PARTITIONS = ("root", "child", "child-legacy", "placeholder")
_BANDS = ("hypervisor", "hardware")


def _colours() -> Colours:
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication) and app.palette().window().color().lightness() < 128:
        return _DARK
    return _LIGHT


def _font(size_delta: float = 0, bold: bool = False, italic: bool = False) -> QFont:
    font = QFont(QGuiApplication.font())
    font.setPointSizeF(max(font.pointSizeF(), 9.0) + size_delta)
    font.setBold(bold)
    font.setItalic(italic)
    return font


def _elide(text: str, font: QFont, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, max(width, 10))


def _discard(item: QGraphicsItem) -> None:
    """Take a child item away from its parent and its scene."""
    scene = item.scene()
    if scene is not None:
        scene.removeItem(item)  # also detaches it from its parent
    else:
        item.setVisible(False)


class BoxItem(QGraphicsPathItem):
    """A box: partition, mode region, band, process or chip, with its title and text."""

    def __init__(self) -> None:
        super().__init__()
        self.box: Box | None = None
        self.title = QGraphicsSimpleTextItem(self)
        self.lines: list[QGraphicsSimpleTextItem] = []

    def set_box(self, box: Box, colours: Colours) -> None:
        if box == self.box:
            return
        self.box = box
        fill, border = colours.fills.get(box.style, colours.fills["mode"])
        rect = QRectF(0, 0, box.w, box.h)
        path = QPainterPath()
        radius = 8.0 if box.style in _PARTITIONS else 4.0
        path.addRoundedRect(rect, radius, radius)
        self.setPath(path)
        self.setPos(box.x, box.y)
        self.setBrush(QBrush(QColor(fill)))
        pen = QPen(QColor(border), 1.6 if box.style in _PARTITIONS + _BANDS else 1.0)
        if box.style in ("vmbus", "mode"):
            pen.setStyle(Qt.PenStyle.DashLine if box.style == "vmbus" else Qt.PenStyle.SolidLine)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setZValue(_Z.get(box.style, Z_CHIP))
        self.setToolTip(box.tooltip)
        self.setData(VM_ROLE, box.vm_id)
        if box.vm_id:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        # Text: partition and band titles larger; mode regions small and italic.
        if box.style in _PARTITIONS + _BANDS:
            title_font = _font(1, bold=True)
        elif box.style == "mode":
            title_font = _font(-1.5, italic=True)
        else:
            title_font = _font(-0.5, bold=True)
        self.title.setFont(title_font)
        self.title.setBrush(QColor(colours.muted if box.style == "mode" else colours.text))
        self.title.setText(_elide(box.title, title_font, box.w - 12))
        self.title.setPos(6, 3)
        body_font = _font(-1.5)
        while len(self.lines) < len(box.body):
            self.lines.append(QGraphicsSimpleTextItem(self))
        while len(self.lines) > len(box.body):
            _discard(self.lines.pop())
        line_h = QFontMetricsF(body_font).height()
        top = 3 + QFontMetricsF(title_font).height() + 1
        inline = box.style in _BANDS + _PARTITIONS  # their text goes beside the title
        for i, (item, text) in enumerate(zip(self.lines, box.body, strict=True)):
            item.setFont(body_font)
            item.setBrush(QColor(colours.text if box.style in ("warning", "hardware")
                                 else colours.muted))
            if inline:
                x = 14 + QFontMetricsF(title_font).horizontalAdvance(self.title.text())
                item.setText(_elide(text, body_font, box.w - x - 8))
                item.setPos(x, 3 + (QFontMetricsF(title_font).ascent()
                                    - QFontMetricsF(body_font).ascent()) + i * line_h)
            else:
                item.setText(_elide(text, body_font, box.w - 12))
                item.setPos(6, top + i * line_h)


class WireItem(QGraphicsPathItem):
    """A wire with an arrowhead at its end, and the dots that move along it."""

    def __init__(self) -> None:
        super().__init__()
        self.wire: Wire | None = None
        self.head = QGraphicsPolygonItem(self)
        self.dots: list[QGraphicsEllipseItem] = []
        self.phase = 0.0
        self._lengths: list[float] = []

    def set_wire(self, wire: Wire, colours: Colours) -> None:
        if wire == self.wire:
            return
        self.wire = wire
        path = QPainterPath(QPointF(*wire.points[0]))
        for p in wire.points[1:]:
            path.lineTo(QPointF(*p))
        self.setPath(path)
        self._lengths = [math.dist(a, b) for a, b in zip(wire.points, wire.points[1:],
                                                         strict=False)]
        colour, width, style = {
            "synthetic": (colours.synthetic, wire.width, Qt.PenStyle.SolidLine),
            "emulated": (colours.emulated, wire.width, Qt.PenStyle.SolidLine),
            "channel-open": (colours.synthetic, 1.0, Qt.PenStyle.SolidLine),
            "channel-offered": (colours.muted, 1.0, Qt.PenStyle.DashLine),
            "hardware": (colours.muted, 2.0, Qt.PenStyle.SolidLine),
        }.get(wire.style, (colours.muted, 1.0, Qt.PenStyle.DotLine))
        pen = QPen(QColor(colour), width, style, Qt.PenCapStyle.FlatCap,
                   Qt.PenJoinStyle.MiterJoin)
        self.setPen(pen)
        self.setZValue(Z_IO_WIRE if wire.style in ("synthetic", "emulated") else Z_WIRE)
        self.setToolTip(wire.tooltip)
        (x1, y1), (x2, y2) = wire.points[-2], wire.points[-1]
        angle = math.atan2(y2 - y1, x2 - x1)
        size = 4 + width * 1.5
        head = QPolygonF([QPointF(x2, y2),
                          QPointF(x2 - size * math.cos(angle - 0.45),
                                  y2 - size * math.sin(angle - 0.45)),
                          QPointF(x2 - size * math.cos(angle + 0.45),
                                  y2 - size * math.sin(angle + 0.45))])
        self.head.setPolygon(head)
        self.head.setBrush(QColor(colour))
        self.head.setPen(QPen(Qt.PenStyle.NoPen))
        self.head.setVisible(wire.style != "channel-offered")
        while len(self.dots) < wire.dots:
            dot = QGraphicsEllipseItem(-3.2, -3.2, 6.4, 6.4, self)
            dot.setZValue(Z_DOT - Z_IO_WIRE)
            self.dots.append(dot)
        while len(self.dots) > wire.dots:
            _discard(self.dots.pop())
        for dot in self.dots:
            dot.setBrush(QColor(colour))
            dot.setPen(QPen(QColor(colours.background), 1.2))
        self._place_dots()

    def step(self) -> None:
        """One tick of animation: the dots move ``speed`` of the wire's length."""
        if self.wire is None or not self.dots:
            return
        self.phase = (self.phase + self.wire.speed) % 1.0
        self._place_dots()

    def _place_dots(self) -> None:
        total = sum(self._lengths)
        if self.wire is None or not self.dots or total <= 0:
            return
        for i, dot in enumerate(self.dots):
            dot.setPos(self._point_at(((self.phase + i / len(self.dots)) % 1.0) * total))

    def _point_at(self, distance: float) -> QPointF:
        assert self.wire is not None
        for (a, b), length in zip(zip(self.wire.points, self.wire.points[1:], strict=False),
                                  self._lengths, strict=True):
            if distance <= length and length > 0:
                t = distance / length
                return QPointF(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
            distance -= length
        return QPointF(*self.wire.points[-1])


class LabelItem(QGraphicsRectItem):
    """A line of text on a small opaque pill (rates), or a legend entry with its sample."""

    def __init__(self) -> None:
        super().__init__()
        self.label: Label | None = None
        self.text = QGraphicsSimpleTextItem(self)
        self.sample = QGraphicsPathItem(self)
        self.setZValue(Z_LABEL)

    def set_label(self, label: Label, colours: Colours) -> None:
        if label == self.label:
            return
        self.label = label
        style = label.style
        font = _font(2, bold=True) if style == "title" else _font(-1, bold=style in (
            "synthetic", "emulated"))
        colour = {"synthetic": colours.synthetic, "emulated": colours.emulated,
                  "title": colours.text,
                  "warning": colours.text}.get(style, colours.text if style.startswith(
                      "legend") else colours.muted)
        self.text.setFont(font)
        self.text.setBrush(QColor(colour))
        self.text.setText(label.text)
        metrics = QFontMetricsF(font)
        w, h = metrics.horizontalAdvance(label.text), metrics.height()
        legend = style.startswith("legend")
        sample_w = 34.0 if legend else 0.0
        pad = 3.0 if style in ("synthetic", "emulated") else 0.0
        total = w + sample_w + 2 * pad
        x = {"left": label.x, "right": label.x - total, "center": label.x - total / 2}[
            label.align]
        self.setPos(x, label.y)
        self.setRect(QRectF(0, 0, total, h + 2 * pad * 0.5))
        if pad:
            self.setBrush(QColor(colours.background))
            self.setPen(QPen(QColor(colour), 0.8))
        else:
            self.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            self.setPen(QPen(Qt.PenStyle.NoPen))
        self.text.setPos(pad + sample_w, pad * 0.5)
        self.sample.setVisible(legend)
        if legend:
            line = QPainterPath(QPointF(2, h / 2))
            line.lineTo(QPointF(sample_w - 8, h / 2))
            kind = style.removeprefix("legend-")
            pen_colour = {"synthetic": colours.synthetic, "emulated": colours.emulated}.get(
                kind, colours.muted)
            pen = QPen(QColor(pen_colour), 1.0 if kind == "offered" else 2.4,
                       Qt.PenStyle.DashLine if kind == "offered" else Qt.PenStyle.SolidLine)
            self.sample.setPath(line)
            self.sample.setPen(pen)


class ArchitectureScene(QGraphicsScene):
    """The diagram's scene. Call :meth:`show_diagram` once per tick.

    Signals:
        vm_clicked(str vm_id): a child partition (or its worker process) was clicked.
    """

    vm_clicked = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.diagram: Diagram | None = None
        self.colours = _colours()
        self.setBackgroundBrush(QColor(self.colours.background))
        self._boxes: dict[str, BoxItem] = {}
        self._wires: dict[str, WireItem] = {}
        self._labels: dict[str, LabelItem] = {}

    def show_diagram(self, diagram: Diagram, *, animate: bool = True) -> None:
        """Make the scene show ``diagram``; with ``animate`` the dots take one step."""
        colours = _colours()
        if colours is not self.colours:  # the theme changed: restyle everything
            self.colours = colours
            self.setBackgroundBrush(QColor(colours.background))
            for item in (*self._boxes.values(), *self._wires.values(), *self._labels.values()):
                self.removeItem(item)
            self._boxes, self._wires, self._labels = {}, {}, {}
        self.diagram = diagram
        self._sync(self._boxes, {b.key: b for b in diagram.boxes}, BoxItem, "set_box")
        self._sync(self._wires, {w.key: w for w in diagram.wires}, WireItem, "set_wire")
        self._sync(self._labels, {lb.key: lb for lb in diagram.labels}, LabelItem, "set_label")
        if animate:
            for wire in self._wires.values():
                wire.step()
        rect = QRectF(0, 0, diagram.width, diagram.height)
        if self.sceneRect() != rect:
            self.setSceneRect(rect)

    def _sync(self, items: dict[str, Any], wanted: dict[str, Any], cls: type[Any],
              setter: str) -> None:
        for key in [k for k in items if k not in wanted]:
            self.removeItem(items.pop(key))
        for key, data in wanted.items():
            item = items.get(key)
            if item is None:
                item = cls()
                items[key] = item
                self.addItem(item)
            getattr(item, setter)(data, self.colours)

    # -- what tests and the window read -------------------------------------------------------
    def box_item(self, key: str) -> BoxItem | None:
        return self._boxes.get(key)

    def wire_item(self, key: str) -> WireItem | None:
        return self._wires.get(key)

    def label_item(self, key: str) -> LabelItem | None:
        return self._labels.get(key)

    def partition_keys(self) -> list[str]:
        return [k for k, item in self._boxes.items()
                if item.box is not None and item.box.style in ("child", "child-legacy")]

    def vm_at(self, pos: QPointF) -> str:
        """The VM of the topmost child-partition item at scene position ``pos`` ("" if none)."""
        for item in self.items(pos):
            owner: QGraphicsItem | None = item
            while owner is not None:
                vm = owner.data(VM_ROLE)
                if isinstance(vm, str) and vm:
                    return vm
                owner = owner.parentItem()
        return ""
