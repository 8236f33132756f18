"""packaging/ is current with its sources: the manual pages with the parsers behind --help,
the hicolor PNGs with resources/icons/hvlab.svg, and the desktop entry, AppStream metadata
and icons name one another.  (`make dist-check` runs the freedesktop validators on them.)"""

from __future__ import annotations

import configparser
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.layout import REPO, load_script

manpages = load_script("packaging/manpages.py")
render_icons = load_script("packaging/render_icons.py")

PACKAGING = REPO / "packaging"
APP_ID = render_icons.APP_ID


@pytest.mark.parametrize("program", sorted(manpages.PAGES))
def test_manual_pages_are_current(program: str) -> None:
    assert (PACKAGING / "man" / f"{program}.1").read_text(encoding="utf-8") == \
        manpages.page(program), "run `make manpages` and commit packaging/man"


def _pixels(png: bytes) -> list[int]:
    image = QImage.fromData(png).convertToFormat(QImage.Format.Format_ARGB32)
    return [image.pixel(x, y) for y in range(image.height()) for x in range(image.width())]


@pytest.mark.parametrize("size", render_icons.SIZES)
def test_each_hicolor_png_is_the_svg_at_its_size(size: int, qapp: object) -> None:
    # ``qapp`` first: render_icons makes a bare QGuiApplication when none exists, and a
    # GUI test that later shares this xdist worker would find no QApplication.
    checked_in = PACKAGING / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    image = QImage(str(checked_in))
    assert (image.width(), image.height()) == (size, size)
    # Channel by channel within 2 levels: another Qt may antialias an edge a little
    # differently, but a stale icon differs by far more.
    fresh, kept = _pixels(render_icons.render(size)), _pixels(checked_in.read_bytes())
    worst = max(abs(((a >> s) & 255) - ((b >> s) & 255))
                for a, b in zip(fresh, kept, strict=True) for s in (0, 8, 16, 24))
    assert worst <= 2, "run `make icons` and commit packaging/icons"


def test_the_scalable_icon_is_the_application_svg() -> None:
    scalable = PACKAGING / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    assert scalable.read_bytes() == render_icons.SOURCE.read_bytes()


def test_desktop_entry_metainfo_and_icons_name_one_another() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(PACKAGING / f"{APP_ID}.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["scripts"]
    assert desktop["Icon"] == APP_ID
    assert desktop["Exec"].split()[0] in scripts

    component = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml").getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == f"{APP_ID}.desktop"
    assert sorted(b.text or "" for b in component.iter("binary")) == sorted(scripts)
    shots = [Path(image.text or "").name for image in component.iter("image")]
    assert shots, "AppStream metadata without screenshots"
    for name in shots:
        assert (REPO / "docs" / "img" / name).is_file(), name
