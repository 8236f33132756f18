"""The lesson player: a dock that narrates the current step, highlights the control it is
about, and moves on when the step's condition holds.

Guided, the learner acts and the dock checks the condition after every clock step and
command (the bridge's ``tick``), moving on when it holds; a step that only narrates waits
for **Next** (enabled once its condition holds). **Hint** shows the step's hint and
**Show me** does the learner's part. **Play by itself** runs the lesson unattended for a
projector: each step stays on screen for its dwell time, then the lesson does the learner's
part and moves on when the condition holds. **Back** and **Reset** put the lab back exactly
as it was (in place: the window keeps showing the same lab).

Signals:
    step_changed(int index): a new step is shown (also after Back and Reset).
    finished(): the last step's condition held.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPaintEvent, QPen, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.lessons.presenter import PresenterMode

if TYPE_CHECKING:
    from hvlab.engine.lessons import LessonRun
    from hvlab.gui.bridge import Bridge


class ControlHighlight(QWidget):
    """A frame drawn over the control a step points at; clicks go through to it."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        ids.apply(self, ids.LESSON_HIGHLIGHT)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.target: QWidget | None = None
        self.hide()

    def follow(self, target: QWidget | None) -> None:
        if self.target is not None:
            self.target.removeEventFilter(self)
        self.target = target
        if target is not None:
            target.installEventFilter(self)
        self.place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.target and event.type() in (QEvent.Type.Move, QEvent.Type.Resize,
                                                        QEvent.Type.Show, QEvent.Type.Hide):
            self.place()
        return False

    def place(self) -> None:
        """Frame the target where it is now (its panes may have moved: call after ticks
        and layout changes)."""
        target, window = self.target, self.parentWidget()
        if target is None or window is None or not target.isVisible():
            self.hide()
            return
        # Only the part of the control one can see (a pane may scroll or clip it).
        visible = target.visibleRegion().boundingRect()
        if visible.isEmpty():
            visible = target.rect()
        top_left = target.mapTo(window, visible.topLeft())
        self.setGeometry(top_left.x() - 3, top_left.y() - 3, visible.width() + 6,
                         visible.height() + 6)
        self.show()
        self.raise_()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(QPen(QColor("#ff8c00"), 3))
        painter.drawRect(self.rect().adjusted(1, 1, -2, -2))


def find_control(window: QMainWindow, object_name: str) -> QWidget | None:
    """The visible widget called ``object_name``, or a visible button for the action of
    that name (a toolbar or Actions pane button)."""
    for widget in window.findChildren(QWidget, object_name):
        if widget.isVisible():
            return widget
    for button in window.findChildren(QAbstractButton):
        action = getattr(button, "defaultAction", lambda: None)()
        if action is not None and action.objectName() == object_name and button.isVisible():
            return button
    return None


class LessonDock(QDockWidget):
    step_changed = Signal(int)
    finished = Signal()

    def __init__(self, window: QMainWindow, bridge: Bridge, run: LessonRun) -> None:
        super().__init__(f"Lesson: {run.lesson.title}", window)
        ids.apply(self, ids.LESSON_DOCK)
        self._window = window
        self._bridge = bridge
        self.run = run
        self.playing = False
        self.highlight = ControlHighlight(window)
        self._dwell = QTimer(self)
        self._dwell.setSingleShot(True)
        self._dwell.timeout.connect(self._on_dwell_over)

        body = QWidget()
        layout = QVBoxLayout(body)
        self.title = self._label(ids.LESSON_TITLE, f"<b>{run.lesson.title}</b>")
        self.step_label = self._label(ids.LESSON_STEP, "")
        self.narration = QTextBrowser()
        ids.apply(self.narration, ids.LESSON_NARRATION)
        self.narration.setOpenExternalLinks(True)
        self.hint_label = self._label(ids.LESSON_HINT_TEXT, "")
        self.status = self._label(ids.LESSON_STATUS, "")
        self.status.setProperty("role", "note")
        buttons = QHBoxLayout()
        self.back_button = self._button(ids.LESSON_BACK, "&Back", self.back)
        self.hint_button = self._button(ids.LESSON_HINT, "&Hint", self.show_hint)
        self.show_me_button = self._button(ids.LESSON_SHOW_ME, "&Show me", self.show_me)
        self.next_button = self._button(ids.LESSON_NEXT, "&Next", self.next)
        self.reset_button = self._button(ids.LESSON_RESET, "&Reset", self.reset)
        self.play_button = self._button(ids.LESSON_PLAY, "&Play by itself", self.toggle_play)
        self.play_button.setCheckable(True)
        for button in (self.back_button, self.hint_button, self.show_me_button,
                       self.next_button, self.reset_button, self.play_button):
            buttons.addWidget(button)
        for widget in (self.title, self.step_label, self.narration, self.hint_label,
                       self.status):
            layout.addWidget(widget, 1 if widget is self.narration else 0)
        layout.addLayout(buttons)
        self.setWidget(body)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self)
        bridge.tick.connect(self._on_tick)
        self._presenting(window)
        self._show_step()

    # -- presenter mode ------------------------------------------------------------------------
    def _presenting(self, window: QMainWindow) -> None:
        """The caption under the window, the clicker keys and the blank screen."""
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.presenter = PresenterMode.of(app)
        self.caption_bar = QToolBar("Lesson caption", window)
        self.caption_bar.setMovable(False)
        self.caption = QLabel()
        ids.apply(self.caption, ids.PRESENTER_CAPTION)
        font = self.caption.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.caption.setFont(font)
        self.caption.setContentsMargins(12, 6, 12, 6)
        self.caption_bar.addWidget(self.caption)
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.caption_bar)
        self.blank = QWidget(window)
        ids.apply(self.blank, ids.PRESENTER_BLANK)
        self.blank.setStyleSheet("background: black;")
        self.blank.hide()
        # A presentation clicker sends Page Down, Page Up and B.
        self.keys = [QShortcut(QKeySequence(key), window, slot) for key, slot in (
            (Qt.Key.Key_PageDown, self.advance), (Qt.Key.Key_PageUp, self.back),
            (Qt.Key.Key_B, self.toggle_blank))]
        self.presenter.changed.connect(self._on_presenter_changed)
        self._on_presenter_changed(self.presenter.on)

    def _on_presenter_changed(self, on: bool) -> None:
        self.caption_bar.setVisible(on)
        for key in self.keys:
            key.setEnabled(on)
        if not on:
            self.blank.hide()
        self.presenter.scale_own_fonts()
        QTimer.singleShot(0, self, self.highlight.place)  # after the new layout

    def toggle_blank(self) -> None:
        """B: blank the window (again: show it), as a presenter does to talk."""
        if self.blank.isVisible():
            self.blank.hide()
            return
        self.blank.setGeometry(self._window.rect())
        self.blank.show()
        self.blank.raise_()

    @staticmethod
    def _label(name: ids.UiName, text: str) -> QLabel:
        label = QLabel(text)
        ids.apply(label, name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    def _button(self, name: ids.UiName, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        ids.apply(button, name)
        button.clicked.connect(slot)
        return button

    # -- showing the step --------------------------------------------------------------------
    def _show_step(self) -> None:
        run = self.run
        step = run.step
        self.step_label.setText(f"Step {run.index + 1} of {run.step_count}: "
                                f"<b>{step.title}</b>")
        self.caption.setText(f"{run.lesson.title} — step {run.index + 1} of "
                             f"{run.step_count}: {step.title}")
        self.narration.setHtml(step.narration)
        self.hint_label.setText("")
        self.hint_button.setEnabled(bool(step.hint))
        self.show_me_button.setEnabled(bool(step.show_me) and not run.shown)
        self.back_button.setEnabled(run.index > 0)
        refusals = [o.refusal for o in run.outcomes if o.refusal]
        self.status.setText(" ".join(refusals))
        self.highlight.follow(find_control(self._window, step.control) if step.control
                              else None)
        self._update_status()
        self.step_changed.emit(run.index)
        if self.playing:
            self._dwell.start(round(step.dwell_seconds * 1000))

    def _update_status(self) -> None:
        from hvlab.engine.lessons import waiting_for

        verdict = self.run.verdict()
        if self.run.finished:
            self.status.setText("The lesson is complete.")
            self.next_button.setEnabled(False)
        elif verdict is None:
            self.next_button.setEnabled(True)
        else:
            self.next_button.setEnabled(verdict.holds)
            self.status.setText(waiting_for(self.run.step))

    def _on_tick(self, _snapshot: object) -> None:
        if self.run.finished:
            return
        self.highlight.place()
        if self.playing and self._dwell.isActive():
            return  # the projector shows the step for its dwell time first
        # Guided, a step the learner only reads waits for Next; one they act in moves on
        # as soon as what they did shows in the lab.
        if (self.playing or self.run.step.show_me) and self.run.poll():
            self._after_move()
        else:
            self._update_status()

    def _after_move(self) -> None:
        if self.run.finished:
            self.playing = False
            self.play_button.setChecked(False)
            self._update_status()
            self.highlight.follow(None)
            self.caption.setText(f"{self.run.lesson.title} — complete")
            self.finished.emit()
            return
        self._show_step()

    # -- the buttons --------------------------------------------------------------------------
    def _call(self, what: Callable[[], object]) -> None:
        try:
            self._bridge.call(what)
        except HvError as err:  # a lesson that no longer fits its lab: say so
            dialogs.show_error(self._window, err)

    def show_hint(self) -> None:
        self.hint_label.setText(f"<i>Hint:</i> {self.run.step.hint}")

    def show_me(self) -> None:
        self.show_me_button.setEnabled(False)
        self._call(self.run.show_me)

    def next(self) -> None:
        """Move on (the condition held, or the step has none)."""
        verdict = self.run.verdict()
        if verdict is not None and not verdict.holds:
            return
        self.run.next()
        self._bridge.refresh()
        self._after_move()

    def advance(self) -> None:
        """A clicker's Page Down: move on if the step is done, else do the learner's part."""
        verdict = self.run.verdict()
        if verdict is None or verdict.holds:
            self.next()
        elif self.run.step.show_me and not self.run.shown:
            self.show_me()

    def back(self) -> None:
        self._call(self.run.back)
        self._show_step()

    def reset(self) -> None:
        self._call(self.run.reset)
        self._show_step()

    def toggle_play(self) -> None:
        self.playing = self.play_button.isChecked()
        if self.playing:
            self._dwell.start(round(self.run.step.dwell_seconds * 1000))
            if not self._bridge.running:
                self._bridge.set_mode("realtime")
                self._bridge.set_speed(max(self._bridge.speed, 10.0))
        else:
            self._dwell.stop()

    def _on_dwell_over(self) -> None:
        if self.playing and not self.run.shown and self.run.step.show_me:
            self.show_me()
        self._on_tick(None)
