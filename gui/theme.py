"""Light and dark themes: Fusion style with our palettes and a small stylesheet.

"Follow System" reads Qt's colour scheme hint (GNOME, KDE, Windows and macOS report it) and
re-applies when the desktop switches.  Everything else takes colours from the palette, so
widgets never hard-code a colour that breaks in the other theme.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QPalette
from PySide6.QtWidgets import QApplication

from hvlab.engine.api import resources_dir
from hvlab.gui import ids


class Theme(enum.StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


#: Each colour role as (light, dark).
_ROLES = {
    "window": ("#f3f4f6", "#1e1f22"), "base": ("#ffffff", "#26282c"),
    "alt": ("#f6f8fa", "#2b2d32"), "text": ("#1f2328", "#e6e7e9"),
    "button": ("#fbfbfc", "#303237"), "highlight": ("#0a64c2", "#2f6fb8"),
    "hltext": ("#ffffff", "#ffffff"), "mid": ("#c9ced6", "#45484e"),
    "dark": ("#9aa3ad", "#111214"), "light": ("#ffffff", "#4a4d53"),
    "disabled": ("#8c959f", "#80858d"), "link": ("#0a64c2", "#8ab4f8"),
    "tip": ("#ffffff", "#2b2d31"), "placeholder": ("#8c959f", "#80868b"),
    "indicator": ("#8c959f", "#9aa0a8"), "header_top": ("#eef2f7", "#2c3038"),
    "header_bottom": ("#dfe6ee", "#262a31"), "header_text": ("#1b3a5c", "#cfe0f5"),
    "section": ("#e7ecf2", "#272a30"), "console_bg": ("#0c0c0c", "#050505"),
    "console_fg": ("#d0d0d0", "#cfcfcf"),
}
_LIGHT = {role: pair[0] for role, pair in _ROLES.items()}
_DARK = {role: pair[1] for role, pair in _ROLES.items()}


def colours(dark: bool) -> dict[str, str]:
    """The colour table of a theme (views that paint, e.g. the console, read it)."""
    return _DARK if dark else _LIGHT


def system_prefers_dark(app: QApplication) -> bool:
    return bool(app.styleHints().colorScheme() == Qt.ColorScheme.Dark)


def is_dark(app: QApplication, choice: Theme) -> bool:
    if choice is Theme.SYSTEM:
        return system_prefers_dark(app)
    return choice is Theme.DARK


def _palette(c: dict[str, str]) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    for r, key in (
        (role.Window, "window"), (role.WindowText, "text"), (role.Base, "base"),
        (role.AlternateBase, "alt"), (role.Text, "text"), (role.Button, "button"),
        (role.ButtonText, "text"), (role.Highlight, "highlight"),
        (role.HighlightedText, "hltext"), (role.Mid, "mid"), (role.Dark, "dark"),
        (role.Light, "light"), (role.Midlight, "mid"), (role.Shadow, "dark"),
        (role.Link, "link"), (role.ToolTipBase, "tip"), (role.ToolTipText, "text"),
        (role.PlaceholderText, "placeholder"), (role.BrightText, "hltext"),
    ):
        p.setColor(r, QColor(c[key]))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor(c["disabled"]))
    p.setColor(group.Inactive, role.Highlight, QColor(c["highlight"]))
    p.setColor(group.Inactive, role.HighlightedText, QColor(c["hltext"]))
    return p


def _stylesheet(c: dict[str, str]) -> str:
    # Fusion draws check box frames a shade darker than the window, which vanishes on a
    # dark window; these indicators read on both themes.
    check = (resources_dir() / "icons" / "check.svg").as_posix()
    return f"""
QLabel[role="paneHeader"] {{
    background: qlineargradient(x1:0, y1:0, x2:0, y2:1, stop:0 {c['header_top']},
                                stop:1 {c['header_bottom']});
    color: {c['header_text']};
    font-weight: 600;
    padding: 4px 8px;
    border-bottom: 1px solid {c['mid']};
}}
QWidget[role="paneHeaderRow"] {{
    background: qlineargradient(x1:0, y1:0, x2:0, y2:1, stop:0 {c['header_top']},
                                stop:1 {c['header_bottom']});
    border-bottom: 1px solid {c['mid']};
}}
QLabel[role="paneTitle"] {{
    color: {c['header_text']}; font-weight: 600; padding: 2px 8px; background: transparent;
}}
QWidget[role="paneHeaderRow"] QLabel[role="note"] {{ background: transparent; padding: 2px; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QCheckBox::indicator, QGroupBox::indicator {{
    width: 13px; height: 13px; border: 1px solid {c['indicator']}; border-radius: 3px;
    background: {c['base']};
}}
QCheckBox::indicator:checked, QGroupBox::indicator:checked {{
    background: {c['highlight']}; border-color: {c['highlight']}; image: url({check});
}}
QCheckBox::indicator:disabled {{ border-color: {c['mid']}; }}
QLabel[role="sectionHeader"] {{
    background: {c['section']};
    color: {c['header_text']};
    font-weight: 600;
    padding: 3px 8px;
}}
QLabel[role="note"] {{ color: {c['disabled']}; padding: 8px; }}
QWidget[role="pane"] {{ background: {c['base']}; }}
QToolButton[role="paneAction"] {{
    border: none; padding: 3px 8px 3px 14px; text-align: left; background: transparent;
}}
QToolButton[role="paneAction"]:hover {{ background: {c['alt']}; color: {c['link']}; }}
QToolButton[role="paneAction"]:disabled {{ color: {c['disabled']}; }}
QLabel[role="console"] {{ background: {c['console_bg']}; color: {c['console_fg']}; }}
QPlainTextEdit[role="console"] {{
    background: {c['console_bg']}; color: {c['console_fg']}; border: none;
    selection-background-color: {c['highlight']};
}}
QTableView {{ gridline-color: {c['mid']}; }}
QSplitter::handle {{ background: {c['mid']}; }}
"""


#: Presenter mode's high-contrast colours: white on black, yellow selection (a projector
#: washes out the greys of the normal themes).
HIGH_CONTRAST = {
    **_DARK, "window": "#000000", "base": "#000000", "alt": "#141414", "text": "#ffffff",
    "button": "#000000", "highlight": "#ffff00", "hltext": "#000000", "mid": "#ffffff",
    "dark": "#ffffff", "light": "#ffffff", "disabled": "#c0c0c0", "link": "#00ffff",
    "tip": "#000000", "placeholder": "#c0c0c0", "indicator": "#ffffff",
    "header_top": "#000000", "header_bottom": "#000000", "header_text": "#ffff00",
    "section": "#000000",
}


def apply_high_contrast(app: QApplication) -> None:
    """White on black with yellow selection, for a projector (presenter mode); the next
    :func:`apply_theme` replaces it."""
    if app.style().name().casefold() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(_palette(HIGH_CONTRAST))
    app.setStyleSheet(_stylesheet(HIGH_CONTRAST))
    app.setProperty("hvlabDark", None)  # neither theme is applied now


def apply_theme(app: QApplication, choice: Theme) -> bool:
    """Apply ``choice`` to the whole application; returns True when the result is dark."""
    app.setProperty("hvlabThemeChoice", choice.value)
    dark = is_dark(app, choice)
    applied = app.property("hvlabDark")
    if isinstance(applied, bool) and applied == dark and app.style().name().casefold() == "fusion":
        return dark  # already applied: re-polishing every widget again is not free
    c = colours(dark)
    if app.style().name().casefold() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(_palette(c))
    app.setStyleSheet(_stylesheet(c))
    app.setProperty("hvlabDark", dark)
    return dark


def current_choice(app: QApplication) -> Theme:
    """The theme last applied with :func:`apply_theme` (Follow System before any)."""
    value = app.property("hvlabThemeChoice")
    return Theme(value) if isinstance(value, str) else Theme.SYSTEM


def current_is_dark(app: QApplication) -> bool:
    return bool(app.property("hvlabDark"))


def theme_actions(parent: QObject, current: Theme,
                  choose: Callable[[Theme], None]) -> dict[Theme, QAction]:
    """View ▸ Theme's three checkable actions, one group, ``current`` checked; each calls
    ``choose`` with its theme."""
    group = QActionGroup(parent)
    actions: dict[Theme, QAction] = {}
    for choice, name, text in ((Theme.SYSTEM, ids.ACT_THEME_SYSTEM, "Follow &System"),
                               (Theme.LIGHT, ids.ACT_THEME_LIGHT, "&Light"),
                               (Theme.DARK, ids.ACT_THEME_DARK, "&Dark")):
        action = QAction(text, parent)
        ids.apply(action, name)
        action.setCheckable(True)
        action.setChecked(choice is current)
        action.triggered.connect(lambda _=False, c=choice: choose(c))
        group.addAction(action)
        actions[choice] = action
    return actions
