"""Presenter mode: one switch for a projector.

Type at least 1.6 times its normal size in every window (the application font, and every
widget that set a font of its own), an optional high-contrast theme, the architecture view
on the whole screen with its I/O paths animated, the current lesson step as a caption under
a lesson window, and clicker keys in a lesson window: Page Down moves on (or does the
learner's part), Page Up goes back, B blanks the screen. The mode belongs to
the application: every window's View ▸ Presenter Mode shows and changes the same state.

Signals (of :class:`PresenterMode`):
    changed(bool on): presenter mode was switched.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QApplication, QWidget

from hvlab.gui import ids
from hvlab.gui.lab_part import LabPart
from hvlab.gui.theme import apply_high_contrast, apply_theme, current_choice

#: How much larger presenter mode makes all type.
SCALE = 1.6
_ORIGINAL = "hvlabPresenterFont"  # a widget's own font before presenter mode scaled it


def _scaled(font: QFont, factor: float) -> QFont:
    bigger = QFont(font)
    if font.pointSizeF() > 0:
        bigger.setPointSizeF(font.pointSizeF() * factor)
    else:
        bigger.setPixelSize(round(font.pixelSize() * factor))
    return bigger


class PresenterMode(QObject):
    """The application's presenter mode (one per application: :meth:`of`)."""

    changed = Signal(bool)

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        self.on = False
        self.high_contrast = False
        self._base_font = QFont(app.font())
        self._rescale_pending = False

    @staticmethod
    def of(app: QApplication) -> PresenterMode:
        found = app.findChild(PresenterMode)
        return found if isinstance(found, PresenterMode) else PresenterMode(app)

    def set_on(self, on: bool) -> None:
        if on == self.on:
            return
        self.on = on
        if on:
            self._base_font = QFont(self._app.font())
            self._app.setFont(_scaled(self._base_font, SCALE))
            # A style sheet gives a widget it styles the font of the moment it is polished,
            # and puts back the font a widget set itself: watch for restyles (a theme
            # switch) and scale those again.
            self._app.installEventFilter(self)
        else:
            self._app.removeEventFilter(self)
            self._app.setFont(self._base_font)
            for widget in self._window_widgets():
                original = widget.property(_ORIGINAL)
                if isinstance(original, QFont):
                    widget.setFont(original)
                    widget.setProperty(_ORIGINAL, None)
        self._apply_contrast()  # re-polishes: styled widgets take the new size
        self.scale_own_fonts()
        self.changed.emit(on)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.StyleChange and not self._rescale_pending:
            self._rescale_pending = True
            QTimer.singleShot(0, self, self._rescale)
        return False

    def _rescale(self) -> None:
        self._rescale_pending = False
        self.scale_own_fonts()

    def _window_widgets(self) -> list[QWidget]:
        """The widgets of the open windows.  Not ``allWidgets()``: it also hands out widgets
        whose deletion is under way (a closed window's), and touching those crashes."""
        out: list[QWidget] = []
        for top in self._app.topLevelWidgets():
            if shiboken6.isValid(top) and top.isVisible():
                out.append(top)
                out.extend(w for w in top.findChildren(QWidget) if shiboken6.isValid(w))
        return out

    def scale_own_fonts(self) -> None:
        """Scale the widgets that set a font of their own (the app font reaches the rest);
        called again for windows opened while presenting."""
        if not self.on:
            return
        for widget in self._window_widgets():
            if not widget.testAttribute(Qt.WidgetAttribute.WA_SetFont):
                continue
            original = widget.property(_ORIGINAL)
            if isinstance(original, QFont):
                # Already scaled, unless a restyle put its own font back.
                if widget.font().pointSizeF() < original.pointSizeF() * SCALE - 0.01:
                    widget.setFont(_scaled(original, SCALE))
            elif widget.font() != self._app.font():
                widget.setProperty(_ORIGINAL, QFont(widget.font()))
                widget.setFont(_scaled(widget.font(), SCALE))

    def set_high_contrast(self, on: bool) -> None:
        self.high_contrast = on
        self._apply_contrast()
        self.changed.emit(self.on)

    def _apply_contrast(self) -> None:
        if self.on and self.high_contrast:
            apply_high_contrast(self._app)
        else:
            apply_theme(self._app, current_choice(self._app))


class PresenterActions(LabPart, QObject):
    """View ▸ Presenter Mode, View ▸ High Contrast and View ▸ Architecture, Full Screen of
    one window (``open_architecture`` opens that window's architecture view), bound to the
    application's :class:`PresenterMode`."""

    def __init__(self, window: QWidget, open_architecture: Callable[[], QWidget]) -> None:
        super().__init__(window)
        self._open_architecture = open_architecture
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.mode = PresenterMode.of(app)
        self.presenter_action = QAction("&Presenter Mode", window)
        ids.apply(self.presenter_action, ids.ACT_PRESENTER)
        self.presenter_action.setCheckable(True)
        self.presenter_action.setStatusTip(
            "Large type in every window, the lesson step as a caption, and clicker keys "
            "(Page Down, Page Up, B) in a lesson window.")
        self.presenter_action.toggled.connect(self.mode.set_on)
        self.contrast_action = QAction("&High Contrast", window)
        ids.apply(self.contrast_action, ids.ACT_HIGH_CONTRAST)
        self.contrast_action.setCheckable(True)
        self.contrast_action.setStatusTip("White on black in presenter mode, for a projector.")
        self.contrast_action.toggled.connect(self.mode.set_high_contrast)
        self.architecture_action = QAction("Architecture, &Full Screen", window)
        ids.apply(self.architecture_action, ids.ACT_ARCH_FULL_SCREEN)
        self.architecture_action.setStatusTip(
            "The live architecture view on the whole screen: each I/O path animated, an "
            "emulated request through the root partition, a synthetic one over VMBus.")
        self.architecture_action.triggered.connect(self.show_architecture)
        self.wait_for_lab([self.architecture_action])
        self.mode.changed.connect(self._sync)
        self._sync()

    def show_architecture(self) -> QWidget:
        view = self._open_architecture()
        view.showFullScreen()
        return view

    def _sync(self, *_: object) -> None:
        for action, value in ((self.presenter_action, self.mode.on),
                              (self.contrast_action, self.mode.high_contrast)):
            action.blockSignals(True)
            action.setChecked(value)
            action.blockSignals(False)
