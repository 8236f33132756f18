"""The user's part of Hyper-V Settings: where Windows key combinations go, the mouse
release key, and the check boxes that hide wizard pages (Reset Check Boxes).

They are the user's, not the host's, so they live with the user's other preferences in
QSettings (``~/.config/hvlab/hvlab.conf`` on Linux), as Hyper-V keeps them in the user's
profile. Virtual Machine Connection reads them when a key is pressed
(:mod:`hvlab.gui.connect_input`).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

SETTINGS_ORGANIZATION = "hvlab"
SETTINGS_APPLICATION = "hvlab"

KEYBOARD_KEY = "hyperVSettings/keyboard"
#: Where Windows key combinations go, as Hyper-V Settings ▸ Keyboard offers it.
KEYBOARD_CHOICES = (
    ("physical", "Use on the physical computer"),
    ("vm", "Use on the virtual machine"),
    ("fullscreen", "Use on the virtual machine only when running full-screen"),
)
KEYBOARD_DEFAULT = "vm"

MOUSE_RELEASE_KEY = "hyperVSettings/mouseReleaseKey"
#: The mouse release keys Hyper-V Settings ▸ Mouse Release Key offers: the text and the
#: key pressed with Ctrl+Alt (Shift: the Shift key itself).
MOUSE_RELEASE_CHOICES = (
    ("left", "CTRL+ALT+LEFT ARROW", Qt.Key.Key_Left),
    ("right", "CTRL+ALT+RIGHT ARROW", Qt.Key.Key_Right),
    ("space", "CTRL+ALT+SPACE", Qt.Key.Key_Space),
    ("shift", "CTRL+ALT+SHIFT", Qt.Key.Key_Shift),
)
MOUSE_RELEASE_DEFAULT = "left"

#: "Do not show this page again" of the New Virtual Machine Wizard.
SKIP_INTRO_KEY = "newVirtualMachineWizard/skipBeforeYouBegin"
#: Every check box that hides a page or a question; Reset Check Boxes clears them.
HIDING_CHECK_BOXES = (SKIP_INTRO_KEY,)


def user_settings() -> QSettings:
    return QSettings(SETTINGS_ORGANIZATION, SETTINGS_APPLICATION)


def _choice(settings: QSettings, key: str, choices: tuple[str, ...], default: str) -> str:
    value = settings.value(key, default)
    return value if isinstance(value, str) and value in choices else default


def keyboard_mode(settings: QSettings | None = None) -> str:
    return _choice(settings or user_settings(), KEYBOARD_KEY,
                   tuple(c for c, _t in KEYBOARD_CHOICES), KEYBOARD_DEFAULT)


def mouse_release(settings: QSettings | None = None) -> tuple[str, str, Qt.Key]:
    """The mouse release key: (choice, text, key pressed with Ctrl+Alt)."""
    chosen = _choice(settings or user_settings(), MOUSE_RELEASE_KEY,
                     tuple(c for c, _t, _k in MOUSE_RELEASE_CHOICES), MOUSE_RELEASE_DEFAULT)
    return next(c for c in MOUSE_RELEASE_CHOICES if c[0] == chosen)


def hidden_check_boxes(settings: QSettings | None = None) -> list[str]:
    """The check boxes now ticked (their keys)."""
    s = settings or user_settings()
    return [k for k in HIDING_CHECK_BOXES if bool(s.value(k, False, type=bool))]


def reset_check_boxes(settings: QSettings | None = None) -> int:
    """Clear every hiding check box; how many were ticked."""
    s = settings or user_settings()
    ticked = hidden_check_boxes(s)
    for key in HIDING_CHECK_BOXES:
        s.remove(key)
    s.sync()
    return len(ticked)
