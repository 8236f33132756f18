"""The user's pages of Hyper-V Settings: Keyboard, Mouse Release Key, Reset Check Boxes.

They edit the user's preferences (:mod:`hvlab.gui.user_settings`) with the dialog's OK /
Apply, like its host pages; Reset Check Boxes acts at once, as Hyper-V's button does.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from hvlab.gui import ids
from hvlab.gui import user_settings as us

_KEYBOARD_NAMES = {"physical": ids.HOST_KEYBOARD_PHYSICAL, "vm": ids.HOST_KEYBOARD_VM,
                   "fullscreen": ids.HOST_KEYBOARD_FULL_SCREEN}


def _page(title: str, text: str) -> tuple[QWidget, QVBoxLayout]:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(16, 12, 16, 12)
    heading = QLabel(title)
    heading.setProperty("role", "sectionHeader")
    layout.addWidget(heading)
    body = QLabel(text)
    body.setWordWrap(True)
    layout.addWidget(body)
    return page, layout


class UserPages(QObject):
    """The three pages; ``changed`` when an edit changes what is pending."""

    changed = Signal()
    PAGES = (("keyboard", "Keyboard", "ctrl-alt-del"),
             ("mouse", "Mouse Release Key", "connect"),
             ("reset", "Reset Check Boxes", "check"))

    def __init__(self, parent: QObject, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else us.user_settings()
        self.widgets: dict[str, QWidget] = {}

        page, layout = _page("Keyboard", "Specify where Windows key combinations (such as "
                             "ALT+TAB or the Windows key) are sent when you use Virtual "
                             "Machine Connection.")
        self.keyboard = QButtonGroup(self)
        self.keyboard_buttons: dict[str, QRadioButton] = {}
        for choice, text in us.KEYBOARD_CHOICES:
            button = QRadioButton(text)
            ids.apply(button, _KEYBOARD_NAMES[choice])
            self.keyboard.addButton(button)
            self.keyboard_buttons[choice] = button
            layout.addWidget(button)
            button.toggled.connect(lambda _on: self.changed.emit())
        layout.addStretch(1)
        self.widgets["keyboard"] = page

        page, layout = _page("Mouse Release Key", "When the mouse is captured by a virtual "
                             "machine that has no integration services, press this key "
                             "combination to release it.")
        self.release = QComboBox()
        ids.apply(self.release, ids.HOST_MOUSE_RELEASE_KEY)
        for choice, text, _key in us.MOUSE_RELEASE_CHOICES:
            self.release.addItem(text, choice)
        caption = QLabel("&Release key:")
        caption.setBuddy(self.release)
        layout.addWidget(caption)
        layout.addWidget(self.release)
        layout.addStretch(1)
        self.release.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.widgets["mouse"] = page

        page, layout = _page("Reset Check Boxes", "Some pages and messages can be hidden by "
                             "selecting a check box, such as the New Virtual Machine "
                             "Wizard's \"Do not show this page again\". Reset shows them all "
                             "again.")
        self.reset = QPushButton("&Reset")
        ids.apply(self.reset, ids.HOST_RESET_CHECK_BOXES)
        self.reset.clicked.connect(self.reset_check_boxes)
        self.reset_result = QLabel("")
        self.reset_result.setWordWrap(True)
        layout.addWidget(self.reset)
        layout.addWidget(self.reset_result)
        layout.addStretch(1)
        self.widgets["reset"] = page
        self.load()

    def load(self) -> None:
        """Show the saved preferences (nothing pending)."""
        self.keyboard_buttons[us.keyboard_mode(self.settings)].setChecked(True)
        self.release.setCurrentIndex(self.release.findData(us.mouse_release(self.settings)[0]))
        ticked = us.hidden_check_boxes(self.settings)
        self.reset.setEnabled(bool(ticked))
        self.reset.setToolTip("Show the hidden pages and messages again." if ticked
                              else "No check box hides anything now.")

    def values(self) -> dict[str, str]:
        keyboard = next(c for c, b in self.keyboard_buttons.items() if b.isChecked())
        return {us.KEYBOARD_KEY: keyboard, us.MOUSE_RELEASE_KEY: str(self.release.currentData())}

    def pending(self) -> dict[str, str]:
        saved = {us.KEYBOARD_KEY: us.keyboard_mode(self.settings),
                 us.MOUSE_RELEASE_KEY: us.mouse_release(self.settings)[0]}
        return {k: v for k, v in self.values().items() if saved[k] != v}

    def apply(self) -> None:
        for key, value in self.pending().items():
            self.settings.setValue(key, value)
        self.settings.sync()
        self.changed.emit()

    def reset_check_boxes(self) -> None:
        count = us.reset_check_boxes(self.settings)
        self.reset_result.setText(f"{count} hidden page(s) will be shown again." if count
                                  else "Nothing was hidden.")
        self.load()
