"""The clock as a teaching tool in the Clock menu: slow motion, run until, pause on a state
change, and stepping back in time.

- **Slow Motion** 0.1× and 0.25×, and **Custom Speed…** (any speed from 0.01× to the
  fastest the clock allows): simulated seconds per wall second.
- **Run Until…** moves the clock at once by up to a given time, stopping early when a VM
  changes state if asked.
- **Pause on State Change** pauses a running clock as soon as any VM changes state.
- **Rewind…** (an in-memory lab: a lesson's, a demo's, ``--in-memory``) returns the lab to an
  earlier moment, kept every 30 s of simulated time; running on replays it (docs/lessons.md).

Signals:
    message(str): what happened, for the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from hvlab.engine.api import MAX_CLOCK_SPEED, HvError
from hvlab.gui import dialogs, ids
from hvlab.gui import format as fmt
from hvlab.gui.lab_part import LabPart

if TYPE_CHECKING:
    from hvlab.engine.lessons import Condition, Timeline
    from hvlab.gui.bridge import Bridge
    from hvlab.gui.lessons.run_until import RunUntilDialog

SLOW_SPEEDS = (0.1, 0.25)
MIN_SPEED = 0.01


class TeachingClock(LabPart, QObject):
    message = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.timeline: Timeline | None = None
        self.dialog: RunUntilDialog | None = None  # Run Until… while it is open
        self.slow_actions: dict[float, QAction] = {}
        for speed in SLOW_SPEEDS:
            action = QAction(f"Slow Motion {speed:g}x", parent)
            ids.apply(action, ids.clock_speed_action(speed))
            action.setStatusTip(f"Run the simulated clock at {speed:g} times real time.")
            action.triggered.connect(lambda _=False, s=speed: self.set_speed(s))
            self.slow_actions[speed] = action
        self.custom_action = self._action(ids.ACT_CLOCK_CUSTOM, "&Custom Speed…",
                                          "Run the simulated clock at a speed you choose.",
                                          self.ask_speed)
        self.run_until_action = self._action(
            ids.ACT_CLOCK_RUN_UNTIL, "&Run Until…",
            "Move the clock at once by up to a time, stopping early at a state change.",
            self.ask_run_until)
        self.pause_on_change_action = self._action(
            ids.ACT_CLOCK_PAUSE_ON_CHANGE, "Pause on &State Change",
            "Pause the running clock as soon as a virtual machine changes state.", None)
        self.pause_on_change_action.setCheckable(True)
        self.rewind_action = self._action(
            ids.ACT_CLOCK_REWIND, "Re&wind…",
            "Return the lab to an earlier moment (an in-memory lab only).", self.ask_rewind)
        self.wait_for_lab([*self.slow_actions.values(), self.custom_action,
                           self.run_until_action, self.pause_on_change_action,
                           self.rewind_action])

    def _action(self, name: ids.UiName, text: str, tip: str,
                slot: Callable[[], None] | None) -> QAction:
        action = QAction(text, self._parent)
        ids.apply(action, name)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        if slot is not None:
            action.triggered.connect(lambda _=False: slot())
        return action

    def add_to_menu(self, menu: QMenu) -> None:
        menu.addSeparator()
        for action in self.slow_actions.values():
            menu.addAction(action)
        menu.addAction(self.custom_action)
        menu.addSeparator()
        menu.addAction(self.run_until_action)
        menu.addAction(self.pause_on_change_action)
        menu.addAction(self.rewind_action)

    def attach(self, bridge: Bridge) -> None:
        from hvlab.engine.lessons import Timeline

        super().attach(bridge)
        bridge.vm_state_changed.connect(self._on_vm_state_changed)
        try:
            self.timeline = Timeline(bridge.api)
        except HvError:  # a library's lab: its disks are files, it cannot go back
            self.rewind_action.setEnabled(False)
            self.rewind_action.setToolTip("Rewind needs an in-memory lab (a lesson's, a "
                                          "demo's, or hvlab --in-memory).")

    def _on_vm_state_changed(self, _vm: str, _old: str, _new: str, _reason: str) -> None:
        if self.pause_on_change_action.isChecked() and self.bridge.running:
            self.bridge.set_speed(0.0)
            self.message.emit("The clock paused: a virtual machine changed state.")

    # -- speeds ----------------------------------------------------------------------------
    def set_speed(self, speed: float) -> None:
        bridge = self.bridge
        if bridge.mode == "manual":
            bridge.set_mode("realtime")
        bridge.set_speed(speed)

    def ask_speed(self) -> None:
        speed, ok = QInputDialog.getDouble(
            self._parent, "Custom Speed", "Simulated seconds per second:",
            max(self.bridge.speed, MIN_SPEED), MIN_SPEED, float(MAX_CLOCK_SPEED), 2)
        if ok:
            self.set_speed(speed)

    # -- run until -------------------------------------------------------------------------
    def ask_run_until(self) -> None:
        from hvlab.gui.lessons.run_until import RunUntilDialog

        dialog = RunUntilDialog(self._parent, self.bridge.api,
                                state_change=self.pause_on_change_action.isChecked())
        self.dialog = dialog  # for tests: the dialog is modal
        try:
            if dialog.exec() != RunUntilDialog.DialogCode.Accepted:
                return
            try:
                condition = dialog.condition()
            except HvError as err:
                dialogs.show_error(self._parent, err)
                return
            self.run_until(dialog.seconds.value(), on_state_change=dialog.on_state_change,
                           condition=condition)
        finally:
            self.dialog = None
            dialog.deleteLater()

    def run_until(self, seconds: float, *, on_state_change: bool = False,
                  condition: Condition | None = None) -> str:
        """Run the clock now, stopping early at a VM's state change or when ``condition``
        comes to hold (a value crossing its threshold: see
        :func:`hvlab.engine.lessons.run_until`); returns the message shown."""
        from hvlab.engine.lessons import run_until

        try:
            stop = self.bridge.call(run_until, self.bridge.api, seconds=seconds,
                                    condition=condition, on_state_change=on_state_change,
                                    crossing=condition is not None)
        except HvError as err:
            dialogs.show_error(self._parent, err)
            return ""
        text = f"The clock ran to {fmt.sim_time(stop.at_seconds)}"
        text += f": {stop.detail}" if stop.detail else "."
        self.message.emit(text)
        return text

    # -- rewind ----------------------------------------------------------------------------
    def ask_rewind(self) -> None:
        timeline = self.timeline
        if timeline is None:
            return
        labels = [fmt.sim_time(m.time_seconds) for m in reversed(timeline.moments)]
        choice, ok = QInputDialog.getItem(self._parent, "Rewind",
                                          "Return the lab to the moment:", labels, 0, False)
        if ok:
            self.rewind_to(labels.index(choice))

    def rewind_to(self, newest_first: int) -> None:
        """Return to a kept moment (0 = the newest)."""
        timeline = self.timeline
        assert timeline is not None
        moment = list(reversed(timeline.moments))[newest_first]
        self.bridge.call(timeline.rewind, moment)
        self.message.emit(f"The lab is back at {fmt.sim_time(moment.time_seconds)}; run "
                          "the clock to replay it.")
