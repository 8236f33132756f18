"""Windows over labs of their own (a lesson's, an exercise's, a demo's), and grading the lab
of this window against an exercise (Help ▸ Lessons ▸ Check Exercise…).

A lesson or a demo never changes the library the user has open: it is built in memory and
shown in a new main window (with the lesson dock, for a lesson). Closing the window closes
its lab; nothing of it is saved. The main window hands this part a factory for windows of
its own kind, so no module here imports the main window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu

from hvlab.gui import era, ids
from hvlab.gui.icons import icon
from hvlab.gui.lab_part import LabPart

if TYPE_CHECKING:
    from hvlab.engine.api import ManagementApi
    from hvlab.engine.lessons import LessonRun
    from hvlab.gui.bridge import Bridge
    from hvlab.gui.lessons.dock import LessonDock

#: Makes a main window over a bridge, with the note its status bar shows.
WindowFactory = Callable[["Bridge", str], QMainWindow]

IN_MEMORY_NOTE = "In-memory lab: nothing is saved, and your library is not changed."


class LabWindows(LabPart, QObject):
    """Opens (and owns) the windows of lessons and demos; Help ▸ Lessons lists the lessons."""

    def __init__(self, window: QMainWindow, make_window: WindowFactory) -> None:
        super().__init__(window)
        self._window = window
        self._make_window = make_window
        self.windows: list[QMainWindow] = []
        self._labs: dict[QObject, tuple[Bridge, ManagementApi]] = {}
        self.menu = QMenu("&Lessons", window)
        ids.apply(self.menu, ids.MENU_LESSONS)
        ids.apply(self.menu.menuAction(), ids.MENU_LESSONS_ACTION)
        self.menu.setToolTipsVisible(True)
        self.menu.menuAction().setEnabled(False)
        self.check_action = QAction("&Check Exercise…", window)
        ids.apply(self.check_action, ids.ACT_CHECK_EXERCISE)
        self.check_action.setStatusTip("Grade the lab in this window against an exercise file.")
        self.check_action.triggered.connect(self.ask_exercise)
        self.author_action = QAction("&New Exercise from This Lab…", window)
        ids.apply(self.author_action, ids.ACT_NEW_EXERCISE)
        self.author_action.setStatusTip("Capture this lab as an exercise's target: pick the "
                                        "properties that count, add hints, save the file.")
        self.author_action.triggered.connect(self.author_exercise)

    def add_to_help_menu(self, menu: QMenu) -> None:
        menu.addMenu(self.menu)

    def attach(self, bridge: Bridge) -> None:
        # Lessons are read with the lab (the engine is not loaded before the first paint).
        from hvlab.engine.lessons import (
            exercise_names,
            lesson_names,
            read_exercise,
            read_lesson,
            shipped,
        )

        super().attach(bridge)
        for name in lesson_names():
            lesson = read_lesson(shipped(name))
            action = QAction(icon("demo"), lesson.title, self.menu)
            ids.apply(action, ids.lesson_action(name, lesson.title))
            action.setProperty(era.VERBATIM, True)  # the trainer's title, as the file has it
            action.setStatusTip(lesson.concept or lesson.summary)
            action.setToolTip(lesson.summary)
            action.triggered.connect(lambda _=False, n=name: self.open_lesson(n))
            self.menu.addAction(action)
        self.menu.addSeparator()
        for name in exercise_names():
            exercise = read_exercise(shipped(name))
            action = QAction(f"Practise: {exercise.title}", self.menu)
            ids.apply(action, ids.exercise_action(name, exercise.title))
            action.setProperty(era.VERBATIM, True)
            action.setStatusTip(exercise.statement)
            action.triggered.connect(lambda _=False, n=name: self.open_exercise(n))
            self.menu.addAction(action)
        self.menu.addAction(self.check_action)
        self.menu.addAction(self.author_action)
        self.menu.menuAction().setEnabled(True)

    def open_lab(self, api: ManagementApi, note: str = IN_MEMORY_NOTE) -> QMainWindow:
        """Show ``api``'s lab in a new window; its clock runs as this window's does."""
        return self._open(api, note)[0]

    def _open(self, api: ManagementApi, note: str) -> tuple[QMainWindow, Bridge]:
        from hvlab.gui.bridge import Bridge

        bridge = Bridge(api, clock=self.bridge.mode, speed=self.bridge.speed)
        window = self._make_window(bridge, note)
        bridge.setParent(window)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        window.installEventFilter(self)  # its lab closes with it (eventFilter)
        self._labs[window] = (bridge, api)
        self.windows.append(window)
        window.show()
        return window, bridge

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and watched in self._labs:
            bridge, api = self._labs.pop(watched)
            self.windows = [w for w in self.windows if w is not watched]
            bridge.close()
            api.close()
        return False

    def open_lesson(self, name: str) -> LessonDock:
        """Open the shipped lesson ``name`` on a new in-memory copy of its lab."""
        from hvlab.engine.lessons import LessonRun, read_lesson, shipped

        run = LessonRun(read_lesson(shipped(name)))
        return self.open_run(run)

    def open_exercise(self, name: str) -> QMainWindow:
        """Practise the shipped exercise ``name`` on a new in-memory copy of its lab; its
        statement is in the window's status bar, Check Exercise… grades it."""
        from hvlab.engine.lessons import exercise_lab, read_exercise, shipped

        exercise = read_exercise(shipped(name))
        window, _bridge = self._open(exercise_lab(exercise), f"{exercise.title}: "
                                     f"{exercise.statement}")
        window.setWindowTitle(f"{exercise.title} — hvlab exercise")
        return window

    def ask_exercise(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from hvlab.engine.lessons import lessons_dir

        path, _ = QFileDialog.getOpenFileName(self._window, "Check Exercise",
                                              str(lessons_dir()), "Exercises (*.json)")
        if path:
            self.check(path)

    def check(self, path: str) -> QDialog | None:
        """Grade this window's lab against the exercise file at ``path`` and show it."""
        from hvlab.engine.api import HvError
        from hvlab.engine.lessons import grade, read_exercise
        from hvlab.gui import dialogs
        from hvlab.gui.lessons.grade_dialog import GradeDialog

        try:
            exercise = read_exercise(path)
        except HvError as err:
            dialogs.show_error(self._window, err)
            return None
        api = self.bridge.api
        dialog = GradeDialog(self._window, grade(api, exercise),
                             grade(api, exercise, hints=True))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.show()
        return dialog

    def author_exercise(self) -> QDialog:
        """New Exercise from This Lab…: the authoring dialog over this window's lab."""
        from hvlab.gui.lessons.authoring import ExerciseAuthoringDialog

        dialog = ExerciseAuthoringDialog(self._window, self.bridge.api)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.show()
        return dialog

    def open_run(self, run: LessonRun) -> LessonDock:
        from hvlab.gui.lessons.dock import LessonDock

        window, bridge = self._open(run.api, IN_MEMORY_NOTE)
        window.setWindowTitle(f"{run.lesson.title} — hvlab lesson")
        dock = LessonDock(window, bridge, run)
        dock.show()
        return dock
