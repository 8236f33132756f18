"""Export the architecture scene as PNG (raster, for slides) or SVG (vector, for print).

Both render the same QGraphicsScene the window shows; SVG goes through Qt's QSvgGenerator
(PySide6.QtSvg, part of PySide6-Essentials), imported only when an SVG is written.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QRectF, QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene

#: PNG pixels per scene unit: sharp on slides and HiDPI screens.
PNG_SCALE = 2.0


def export_png(scene: QGraphicsScene, path: str | Path, scale: float = PNG_SCALE) -> Path:
    """Write the whole scene to ``path`` as a PNG; raises OSError when it cannot."""
    rect = scene.sceneRect()
    image = QImage(max(1, round(rect.width() * scale)), max(1, round(rect.height() * scale)),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(scene.backgroundBrush().color() if scene.backgroundBrush().style()
               else QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, QRectF(image.rect()), rect)
    painter.end()
    out = Path(path)
    # PySide6's stubs declare the format as bytes; at run time it takes only str.
    if not image.save(str(out), "PNG"):  # type: ignore[call-overload]
        raise OSError(f"The picture could not be saved to '{out}'.")
    return out


def export_svg(scene: QGraphicsScene, path: str | Path, title: str = "",
               description: str = "") -> Path:
    """Write the whole scene to ``path`` as SVG 1.2 Tiny (what QSvgGenerator writes)."""
    from PySide6.QtSvg import QSvgGenerator

    rect = scene.sceneRect()
    w, h = max(1, round(rect.width())), max(1, round(rect.height()))
    out = Path(path)
    generator = QSvgGenerator()
    generator.setFileName(str(out))
    generator.setSize(QSize(w, h))
    generator.setViewBox(QRect(0, 0, w, h))
    generator.setTitle(title)
    generator.setDescription(description)
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError(f"The drawing could not be saved to '{out}'.")
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillRect(QRectF(0, 0, w, h), scene.backgroundBrush())
    scene.render(painter, QRectF(0, 0, w, h), rect)
    painter.end()
    if not out.exists() or out.stat().st_size == 0:
        raise OSError(f"The drawing could not be saved to '{out}'.")
    return out
