"""Simulated clock controls: Pause, 1x, 10x, 60x, Step, and the simulated time.

In realtime mode the engine thread moves simulated time at the chosen speed. In manual
mode (``--clock manual``, for deterministic tests and step-by-step teaching) time moves only
on Step. Picking a speed in manual mode switches to realtime: that is an explicit request
for time to run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QToolBar, QWidget

from hvlab.gui import format as fmt
from hvlab.gui import ids
from hvlab.gui.icons import icon
from hvlab.gui.lab_part import LabPart

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge

_SPEED_ACTIONS = (
    (0.0, ids.ACT_CLOCK_PAUSE, "clock-pause", "Ctrl+0", "Pause the simulated clock."),
    (1.0, ids.ACT_CLOCK_1X, "clock-1x", "Ctrl+1", "Run the simulated clock in real time."),
    (10.0, ids.ACT_CLOCK_10X, "clock-10x", "Ctrl+2", "Run the simulated clock 10 times faster."),
    (60.0, ids.ACT_CLOCK_60X, "clock-60x", "Ctrl+3",
     "Run the simulated clock 60 times faster: a minute per second."),
)
_TEXTS = {0.0: "&Pause Clock", 1.0: "&1x", 10.0: "1&0x", 60.0: "&60x"}
STEP_SECONDS = 1.0
STEP_MINUTE_SECONDS = 60.0
#: F8 steps, as debuggers step over a line; F10 and Shift+F10 belong to the menu bar and the
#: context menu, as everywhere else on the desktop.
STEP_KEY = "F8"
STEP_MINUTE_KEY = "Shift+F8"


class ClockControls(LabPart, QObject):
    """The clock's actions (for the Clock menu and toolbar) and the time label."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.group = QActionGroup(self)
        # ExclusiveOptional: a --speed outside the buttons leaves none checked.
        self.group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.speed_actions: dict[float, QAction] = {}
        for speed, name, icon_name, shortcut, tip in _SPEED_ACTIONS:
            action = QAction(icon(icon_name), _TEXTS[speed], parent)
            ids.apply(action, name)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(f"{tip} ({shortcut})")
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, s=speed: self.choose_speed(s))
            self.group.addAction(action)
            self.speed_actions[speed] = action
        self.step_action = QAction(icon("clock-step"), "&Step 1 Second", parent)
        ids.apply(self.step_action, ids.ACT_CLOCK_STEP)
        self.step_action.setShortcut(QKeySequence(STEP_KEY))
        self.step_action.setToolTip(f"Advance the simulated clock by one second ({STEP_KEY}).")
        self.step_action.setStatusTip("Advance the simulated clock by one second.")
        self.step_action.triggered.connect(lambda: self._step(STEP_SECONDS))
        self.step_minute_action = QAction(icon("clock-step-minute"), "Step 1 &Minute", parent)
        ids.apply(self.step_minute_action, ids.ACT_CLOCK_STEP_MINUTE)
        self.step_minute_action.setShortcut(QKeySequence(STEP_MINUTE_KEY))
        self.step_minute_action.setToolTip("Advance the simulated clock by one minute "
                                           f"({STEP_MINUTE_KEY}).")
        self.step_minute_action.setStatusTip("Advance the simulated clock by one minute.")
        self.step_minute_action.triggered.connect(lambda: self._step(STEP_MINUTE_SECONDS))
        self.manual_action = QAction(icon("clock-manual"), "&Manual Clock", parent)
        ids.apply(self.manual_action, ids.ACT_CLOCK_MANUAL)
        self.manual_action.setCheckable(True)
        self.manual_action.setToolTip("Manual clock: time moves only when you step it.")
        self.manual_action.setStatusTip("Manual clock: time moves only when you step it.")
        self.manual_action.toggled.connect(self._on_manual_toggled)
        self.time_label = QLabel()
        ids.apply(self.time_label, ids.CLOCK_TIME)
        self.time_label.setToolTip("Simulated time since the lab was created")
        self.time_label.setTextFormat(Qt.TextFormat.PlainText)
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance(
            "Day 000, 00:00:00 · Manual") + 16)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.wait_for_lab([*self.speed_actions.values(), self.step_action,
                           self.step_minute_action, self.manual_action])

    def attach(self, bridge: Bridge) -> None:
        super().attach(bridge)
        bridge.clock_changed.connect(self._sync)
        bridge.tick.connect(lambda _snap: self._update_time())
        self._sync()

    def _step(self, seconds: float) -> None:
        if self._bridge is not None:
            self._bridge.step(seconds)

    def choose_speed(self, speed: float) -> None:
        if self._bridge is None:
            return
        if speed > 0 and self._bridge.mode == "manual":
            self._bridge.set_mode("realtime")
        self._bridge.set_speed(speed)
        self._sync()

    def fill_toolbar(self, bar: QToolBar) -> None:
        for action in self.speed_actions.values():
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.step_action)
        bar.addAction(self.step_minute_action)
        bar.addSeparator()
        ids.apply(bar.addWidget(self.time_label), ids.CLOCK_TIME_ACTION)

    def _on_manual_toggled(self, manual: bool) -> None:
        if self._bridge is None:
            return
        self._bridge.set_mode("manual" if manual else "realtime")
        self._sync()

    def _sync(self) -> None:
        if self._bridge is None:
            return
        manual = self._bridge.mode == "manual"
        speed = 0.0 if manual else self._bridge.speed
        action = self.speed_actions.get(speed)
        if action is not None:
            action.setChecked(True)
        else:  # a --speed value outside the buttons: none checked
            for a in self.speed_actions.values():
                a.setChecked(False)
        self.manual_action.blockSignals(True)
        self.manual_action.setChecked(manual)
        self.manual_action.blockSignals(False)
        self._update_time()

    def _update_time(self) -> None:
        b = self._bridge
        if b is None:
            return
        if b.mode == "manual":
            mode = "Manual"
        elif b.speed == 0:
            mode = "Paused"
        else:
            mode = f"{b.speed:g}x"
        text = f"{fmt.sim_time(b.api.now_seconds)} · {mode}"
        if self.time_label.text() != text:
            self.time_label.setText(text)
