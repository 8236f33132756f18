"""Render the application icon (resources/icons/hvlab.svg) into the hicolor theme sizes.

``python packaging/render_icons.py [DIR]`` writes DIR/hicolor/NxN/apps/APP_ID.png for every
size in SIZES and DIR/hicolor/scalable/apps/APP_ID.svg (default DIR: packaging/icons).  Qt's
SVG renderer draws offscreen, so no display is needed; the same Qt draws the same pixels,
and the PNGs carry no time stamp, so a re-run changes no file.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "icons" / "hvlab.svg"
#: The AppStream component id, which is also the desktop entry's and the icon's name.
APP_ID = "org.hvlab.hvlab"
#: The freedesktop hicolor sizes a launcher or software centre asks for.
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def render(size: int, source: Path = SOURCE) -> bytes:
    """The icon at ``size`` x ``size`` pixels, as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise ValueError(f"{source} is not an SVG that Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def write_theme(folder: Path) -> list[Path]:
    """Write the hicolor tree under ``folder``; returns the files written."""
    written = []
    for size in SIZES:
        target = folder / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(render(size))
        written.append(target)
    scalable = folder / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, scalable)
    written.append(scalable)
    return written


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "packaging" / "icons"
    for path in write_theme(out):
        print(path.relative_to(out))
