"""Windows over labs of their own: a lesson's lab, a demo's lab.

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
from PySide6.QtWidgets import QMainWindow, QMenu

from hvlab.gui import ids
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

    def add_to_help_menu(self, menu: QMenu) -> None:
        menu.addMenu(self.menu)

    def attach(self, bridge: Bridge) -> None:
        # Lessons are read with the lab (the engine is not loaded before the first paint).
        from hvlab.engine.lessons import lesson_names, read_lesson, shipped

        super().attach(bridge)
        for name in lesson_names():
            lesson = read_lesson(shipped(name))
            action = QAction(icon("demo"), lesson.title, self.menu)
            ids.apply(action, ids.lesson_action(name, lesson.title))
            action.setStatusTip(lesson.concept or lesson.summary)
            action.setToolTip(lesson.summary)
            action.triggered.connect(lambda _=False, n=name: self.open_lesson(n))
            self.menu.addAction(action)
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

    def open_run(self, run: LessonRun) -> LessonDock:
        from hvlab.gui.lessons.dock import LessonDock

        window, bridge = self._open(run.api, IN_MEMORY_NOTE)
        window.setWindowTitle(f"{run.lesson.title} — hvlab lesson")
        dock = LessonDock(window, bridge, run)
        dock.show()
        return dock
