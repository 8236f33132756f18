"""A lesson played guided in the console: the test makes the learner's clicks, the dock
notices each condition and moves on; Hint, Show me, Back and Reset; the lesson's lab is its
own, and the control a step is about is highlighted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from hvlab.gui import ids
from hvlab.gui.lessons.dock import LessonDock
from hvlab.gui.main_window import MainWindow
from hvlab.gui.theme import Theme
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import click_pane, select


@pytest.fixture
def memory_lesson(window: MainWindow) -> Iterator[tuple[MainWindow, LessonDock]]:
    mine = window.bridge.api.capture_state().data
    lesson_action = window.findChild(type(window.help.help_action), "actionLesson_03-memory")
    assert lesson_action is not None
    lesson_action.trigger()
    [lesson_window] = window.lab_windows.windows
    assert isinstance(lesson_window, MainWindow)
    dock = lesson_window.findChild(LessonDock, ids.LESSON_DOCK.object_name)
    assert dock is not None
    yield lesson_window, dock
    assert window.bridge.api.capture_state().data == mine  # the user's lab never changed
    lesson_window.close()  # its lab closes with it (the window is deleted later)
    assert window.lab_windows.windows == []


def test_a_lesson_played_guided(qtbot: QtBot, memory_lesson: tuple[MainWindow, LessonDock],
                                shown: DialogRecorder) -> None:
    win, dock = memory_lesson
    assert dock.run.api is win.bridge.api
    win.bridge.step(1)
    # Step 1 only narrates: it holds from the start and waits for Next.
    assert dock.run.index == 0 and dock.next_button.isEnabled()
    dock.next_button.click()
    assert dock.run.index == 1
    assert "SQL-BIG does not fit" in dock.step_label.text()
    # The step is about the Start action: its Actions pane button is highlighted.
    assert dock.highlight.isVisible() and dock.highlight.target is not None
    assert dock.highlight.target.objectName() == ids.pane_button(ids.ACT_START).object_name
    dock.hint_button.click()
    assert "Select SQL-BIG" in dock.hint_label.text()
    # The learner tries SQL-BIG and is refused.
    select(win, "SQL-BIG")
    click_pane(qtbot, win, ids.ACT_START)
    assert any("Not enough memory" in " ".join(e) for e in shown.errors)
    win.bridge.step(1)
    assert dock.run.index == 2 and dock.hint_label.text() == ""
    # What the step waits for, in plain words (the engine's waiting_for, as hvctl says it).
    assert dock.status.text() == "Waiting for: SQL-BIG can start now"
    # They save two VMs to make room.
    for name in ("W2K8-DC01", "W2K3-APP01"):
        select(win, name)
        click_pane(qtbot, win, ids.ACT_SAVE)
    win.bridge.step(40)
    assert dock.run.index == 3
    # Back puts the lab as it was at the previous step's start: both VMs run again.
    dock.back_button.click()
    assert dock.run.index == 2
    assert win.bridge.api.vm("W2K8-DC01").state == "Running"
    # Show me does the learner's part.
    dock.show_me_button.click()
    win.bridge.step(1)
    assert dock.run.index == 3
    select(win, "SQL-BIG")
    with qtbot.waitSignal(dock.finished, timeout=1000):
        click_pane(qtbot, win, ids.ACT_START)
        win.bridge.step(5)
    assert dock.run.finished and "complete" in dock.status.text()
    # Reset: the lesson's start, exactly.
    dock.reset_button.click()
    assert dock.run.index == 0 and win.bridge.api.vm("SQL-BIG").state == "Off"
    QApplication.processEvents()


# -- the clock as a teaching tool ------------------------------------------------------------


def test_every_shipped_step_points_at_a_named_control() -> None:
    from hvlab.engine.lessons import lesson_names, read_lesson, shipped

    known = {n.object_name for n in ids.all_names()}
    for name in lesson_names():
        for step in read_lesson(shipped(name)).steps:
            assert not step.control or step.control in known, (name, step.title, step.control)


def test_help_lessons_lists_every_shipped_lesson_and_opens_the_cluster_one(
        window: MainWindow) -> None:
    from hvlab.engine.lessons import lesson_names, read_lesson, shipped

    names = lesson_names()
    assert "08-migration" in names
    for name in names:
        action = window.findChild(QAction, f"actionLesson_{name}")
        assert action is not None and action.text() == read_lesson(shipped(name)).title
    mine = window.bridge.api.capture_state().data
    window.findChild(QAction, "actionLesson_08-migration").trigger()
    [lesson_window] = window.lab_windows.windows
    assert isinstance(lesson_window, MainWindow)
    dock = lesson_window.findChild(LessonDock, ids.LESSON_DOCK.object_name)
    assert dock is not None and dock.run.lesson.title.startswith("Quick and live migration")
    # Its own lab: the two-node cluster, not the user's demo lab.
    api = lesson_window.bridge.api
    assert {h.name for h in api.hosts()} == {"NODE1", "NODE2"}
    assert dock.highlight.target is not None
    assert dock.highlight.target.objectName() == "hostTree"
    lesson_window.bridge.step(1)
    assert dock.run.index == 0 and dock.next_button.isEnabled()  # step 1 only narrates
    dock.next_button.click()
    assert "Waiting for: SQL01's migration is a quick migration" in dock.status.text()
    lesson_window.close()
    assert window.bridge.api.capture_state().data == mine


def _trigger(window: MainWindow, name: ids.UiName) -> None:
    action = window.findChild(QAction, name.object_name)
    assert action is not None and action.isEnabled(), name.object_name
    action.trigger()


def test_slow_motion_run_until_pause_on_change_and_rewind(window: MainWindow) -> None:
    bridge = window.bridge
    _trigger(window, ids.clock_speed_action(0.1))
    assert bridge.mode == "realtime" and bridge.speed == pytest.approx(0.1)
    _trigger(window, ids.clock_speed_action(0.25))
    assert bridge.speed == pytest.approx(0.25)
    bridge.set_speed(0.0)
    start = bridge.api.now_seconds
    clock = window.teaching_clock
    text = clock.run_until(45)
    assert bridge.api.now_seconds == pytest.approx(start + 45) and text.endswith(".")
    moment = bridge.api.now_seconds
    bridge.call(bridge.api.start, "XP-CLIENT")
    text = clock.run_until(600, on_state_change=True)
    assert "XP-CLIENT went from Starting to Running" in text
    assert bridge.api.now_seconds < start + 45 + 600
    # Pause on a state change: the running clock stops when a VM changes state.
    _trigger(window, ids.ACT_CLOCK_PAUSE_ON_CHANGE)
    clock.set_speed(10.0)
    bridge.call(bridge.api.turn_off, "XP-CLIENT")
    QApplication.processEvents()
    assert bridge.speed == 0.0
    # Rewind to a kept moment: XP-CLIENT is Off again, the time is that moment's.
    kept = [m.time_seconds for m in clock.timeline.moments] if clock.timeline else []
    assert kept and kept[0] == pytest.approx(start)
    # The host's graphs after a rewind show the history up to that moment, not nothing.
    window.findChild(QAction, ids.ACT_SHOW_HOST_PERFORMANCE.object_name).trigger()
    dashboard = window.performance.dashboard
    assert dashboard is not None
    clock.rewind_to(len(kept) - 2)  # the second oldest: 30 s after the start
    assert bridge.api.now_seconds == pytest.approx(kept[1])
    dashboard.refresh(force=True)
    times = bridge.api.host_history()["times"]
    assert times[-1] == pytest.approx(kept[1]) and len(times) >= 30
    x, _ = dashboard.guest_curve.getData()
    assert x is not None and len(x) == len(times)
    clock.rewind_to(1)  # the oldest now left (newest first: the one at kept[1], then it)
    assert bridge.api.now_seconds == pytest.approx(start) and moment > start
    assert bridge.api.vm("XP-CLIENT").state == "Off"
    shown_ids = [window.model.vm_id_at(r) for r in range(window.model.rowCount())]
    assert bridge.api.vm("XP-CLIENT").id in shown_ids


def test_run_until_a_value_crosses_a_threshold(window: MainWindow, qtbot: QtBot) -> None:
    from hvlab.gui.lessons.run_until import STOP_THRESHOLD
    from tests.gui.test_accessibility import duplicate_names, unnamed

    bridge = window.bridge
    bridge.set_speed(0.0)
    clock = window.teaching_clock
    start = bridge.api.now_seconds
    bridge.call(bridge.api.start, "XP-CLIENT")

    def fill() -> None:
        dialog = clock.dialog
        assert dialog is not None and dialog.isVisible()
        problems.extend(unnamed(dialog) + duplicate_names(dialog))
        dialog.seconds.setValue(600)
        dialog.stop.setCurrentIndex(STOP_THRESHOLD)
        dialog.subject.setCurrentIndex(dialog.subject.findText("XP-CLIENT"))
        # The values are said in the lessons' plain words.
        assert dialog.value.itemText(0) == "XP-CLIENT's processor use"
        assert dialog.value.itemData(1) == "memory_assigned_mb"
        # Falls below: crosses it once the guest has booted (it starts at 0 %, already
        # below, which is not a crossing).
        dialog.direction.setCurrentIndex(1)
        dialog.threshold.setValue(1)
        dialog.accept()

    said: list[str] = []
    problems: list[str] = []
    clock.message.connect(said.append)
    QTimer.singleShot(0, fill)
    window.findChild(QAction, ids.ACT_CLOCK_RUN_UNTIL.object_name).trigger()
    assert clock.dialog is None and problems == []
    # Stopped once the boot was over, long before the 600 s.
    assert start + 10 < bridge.api.now_seconds < start + 120
    usage = bridge.api.vm("XP-CLIENT").cpu_usage_percent
    assert usage < 1
    assert said[-1].startswith("The clock ran to ")
    assert said[-1].endswith(f": XP-CLIENT's processor use is {usage:.3g} %.")


# -- presenter mode ------------------------------------------------------------------------------


def _opener_of(lesson_window: MainWindow) -> tuple[QApplication, MainWindow]:
    """The application and the main window the lesson was opened from."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app, next(w for w in app.topLevelWidgets()
                     if isinstance(w, MainWindow) and w is not lesson_window and w.isVisible())


def test_presenter_mode_scales_fonts_and_survives_a_theme_switch(
        qtbot: QtBot, memory_lesson: tuple[MainWindow, LessonDock]) -> None:
    lesson_window, dock = memory_lesson
    app, main = _opener_of(lesson_window)
    before = {w: w.list_header.font().pointSizeF() for w in (main, lesson_window)}
    caption_before = dock.caption.font().pointSizeF()
    assert not dock.caption.isVisible()
    _trigger(main, ids.ACT_PRESENTER)
    try:
        # Every window, including the one that did not switch it on, and widgets with a
        # font of their own (the caption).
        for w, size in before.items():
            assert w.list_header.font().pointSizeF() >= 1.6 * size - 0.01
            assert w.findChild(QAction, ids.ACT_PRESENTER.object_name).isChecked()
        assert dock.caption.font().pointSizeF() >= 1.6 * caption_before - 0.01
        assert dock.caption.isVisible() and "step 1 of 4" in dock.caption.text()
        # High contrast, then a theme switch: the type stays large.
        _trigger(lesson_window, ids.ACT_HIGH_CONTRAST)
        assert app.palette().color(app.palette().ColorRole.Window).name() == "#000000"
        main.set_theme(Theme.DARK)
        main.set_theme(Theme.LIGHT)
        QApplication.processEvents()
        for w, size in before.items():
            assert w.list_header.font().pointSizeF() >= 1.6 * size - 0.01
        assert dock.caption.font().pointSizeF() >= 1.6 * caption_before - 0.01
        # The clicker: Page Down moves on, Page Up goes back, B blanks the screen.
        lesson_window.activateWindow()
        qtbot.keyClick(lesson_window, Qt.Key.Key_PageDown)
        assert dock.run.index == 1 and "step 2 of 4" in dock.caption.text()
        # Not done yet: Page Down does the learner's part (the refusal ends the step).
        qtbot.keyClick(lesson_window, Qt.Key.Key_PageDown)
        assert dock.run.index == 2
        qtbot.keyClick(lesson_window, Qt.Key.Key_PageUp)
        assert dock.run.index == 1
        qtbot.keyClick(lesson_window, Qt.Key.Key_B)
        assert dock.blank.isVisible()
        qtbot.keyClick(lesson_window, Qt.Key.Key_B)
        assert not dock.blank.isVisible()
    finally:
        _trigger(main, ids.ACT_PRESENTER)
    for w, size in before.items():
        assert w.list_header.font().pointSizeF() == pytest.approx(size)
    assert dock.caption.font().pointSizeF() == pytest.approx(caption_before)
    assert not dock.caption.isVisible()


# -- F1: the guide inside the app ---------------------------------------------------------------


def test_f1_opens_the_guide_at_the_page_about_the_window_in_front(
        qtbot: QtBot, memory_lesson: tuple[MainWindow, LessonDock]) -> None:
    from hvlab.gui.lessons.help import HelpWindow, page_for, show_help

    lesson_window, _dock = memory_lesson
    _app, main = _opener_of(lesson_window)
    _trigger(main, ids.ACT_HELP)  # F1: the window in front picks the page
    guide = show_help(main)  # the same window, at the main window's page
    qtbot.addWidget(guide)
    assert isinstance(guide, HelpWindow) and guide.isVisible() and guide.page == "console.md"
    assert guide.text.toPlainText().startswith("The console")  # the Markdown, rendered
    assert show_help(lesson_window) is guide and guide.page == "lessons.md"
    assert "Lessons and checked exercises" in guide.text.toPlainText()
    assert guide.topics.currentItem().text() == "Lessons, exercises, presenter mode"
    guide.topics.setCurrentRow(2)  # a topic chosen in the list
    assert guide.page == "settings.md"
    settings = QWidget()
    ids.apply(settings, ids.VM_SETTINGS_DIALOG)
    assert page_for(settings) == "settings.md"
    guide.close()


def test_f1_in_a_modal_dialog_helps_about_that_dialog(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtWidgets import QDialog

    from hvlab.gui.lessons.help import HelpWindow

    dialog = QDialog(window)
    ids.apply(dialog, ids.VM_SETTINGS_DIALOG)
    dialog.setModal(True)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert QApplication.activeModalWidget() is dialog
    qtbot.keyClick(dialog, Qt.Key.Key_F1)
    guide = dialog.findChild(HelpWindow)
    assert guide is not None and guide.isVisible() and guide.page == "settings.md"
    dialog.done(0)
    dialog.deleteLater()


# -- exercises in the console -------------------------------------------------------------------


def test_practise_and_check_an_exercise(qtbot: QtBot, window: MainWindow) -> None:
    from hvlab.engine.api import NetworkAdapter
    from hvlab.engine.lessons import lessons_dir
    from hvlab.gui.lessons.grade_dialog import GradeDialog

    _trigger(window, ids.exercise_action("exercise-web01", "Build WEB01"))
    [practice] = window.lab_windows.windows
    assert isinstance(practice, MainWindow) and "Build WEB01" in practice.windowTitle()
    api = practice.bridge.api
    api.create_vm("WEB01", cpu_count=2, cpu_reserve_pct=10,
                  network_adapters=[NetworkAdapter(switch="External")],
                  hard_drives=[{"controller": "IDE", "controller_number": 0, "location": 0,
                                "path": "WEB01.vhd", "bootable": True}])
    api.wait(api.start("WEB01"))
    dialog = practice.lab_windows.check(str(lessons_dir() / "exercise-web01.json"))
    assert isinstance(dialog, GradeDialog)
    qtbot.addWidget(dialog)
    assert "80 %" in dialog.score.text()
    rows = {dialog.table.item(r, 1).text(): dialog.table.item(r, 0).text()
            for r in range(dialog.table.rowCount())}
    assert [label for label, result in rows.items() if result == "Failed"] == [
        "WEB01 reserves 20 % of its processors"]
    assert "Hint" not in dialog.table.item(2, 2).text()
    assert "WEB01's processor reserve is 10 %." in dialog.table.item(2, 2).text()
    dialog.hints.setChecked(True)
    assert "Hint: Settings ▸ Processor" in dialog.table.item(2, 2).text()
    dialog.close()
    practice.close()


def test_a_trainer_captures_the_lab_as_an_exercise(tmp_path: Path, window: MainWindow,
                                                   qtbot: QtBot) -> None:
    from hvlab.engine.lessons import grade, read_exercise
    from hvlab.gui.lessons.authoring import ExerciseAuthoringDialog

    _trigger(window, ids.ACT_NEW_EXERCISE)
    dialog = window.findChild(ExerciseAuthoringDialog)
    assert isinstance(dialog, ExerciseAuthoringDialog)
    qtbot.addWidget(dialog)
    dialog.title.setText("Keep the domain controller")
    dialog.statement.setPlainText("W2K8-DC01 runs with 2 virtual processors.")
    dc = next(dialog.tree.topLevelItem(i) for i in range(dialog.tree.topLevelItemCount())
              if dialog.tree.topLevelItem(i).text(0) == "W2K8-DC01")
    rows = {dc.child(j).text(0): dc.child(j) for j in range(dc.childCount())}
    assert rows["config.cpu_count"].text(1) == "2"
    for prop in ("state", "config.cpu_count"):
        rows[prop].setCheckState(0, Qt.CheckState.Checked)
    dialog.tree.setCurrentItem(rows["config.cpu_count"])
    qtbot.keyClicks(dialog.hint, "Settings, Processor")
    path = tmp_path / "dc.json"
    dialog.save(path, dialog.exercise_data())
    exercise = read_exercise(path)
    assert [c.label for c in exercise.checks] == ["W2K8-DC01 is Running",
                                                  "W2K8-DC01 has 2 virtual processors"]
    assert exercise.checks[1].hint == "Settings, Processor"
    assert grade(window.bridge.api, exercise).score_percent == 100


def test_a_trainer_captures_host_properties(tmp_path: Path, window: MainWindow,
                                            qtbot: QtBot) -> None:
    from hvlab.engine.lessons import grade, read_exercise
    from hvlab.gui.lessons.authoring import ExerciseAuthoringDialog

    api = window.bridge.api
    # The trainer builds the target: a private switch, virtualization off in the BIOS.
    api.create_switch("Lab", "Private")
    api.set_host(virtualization_enabled=False)
    window.bridge.refresh()
    _trigger(window, ids.ACT_NEW_EXERCISE)
    dialog = window.findChild(ExerciseAuthoringDialog)
    assert isinstance(dialog, ExerciseAuthoringDialog)
    qtbot.addWidget(dialog)
    from tests.gui.test_accessibility import duplicate_names, unnamed

    assert unnamed(dialog) == [] and duplicate_names(dialog) == []
    host = dialog.tree.topLevelItem(0)
    assert host is not None and host.text(0) == "Host LAB-HOST-01"
    rows = {host.child(j).text(0): host.child(j) for j in range(host.childCount())}
    assert rows["pending_virtualization_enabled"].text(1) == "False"
    assert rows["switches.Lab.type"].text(1) == "Private"
    for prop in ("pending_virtualization_enabled", "switches.Lab.type"):
        rows[prop].setCheckState(0, Qt.CheckState.Checked)
    dialog.tree.setCurrentItem(rows["switches.Lab.type"])
    qtbot.keyClicks(dialog.hint, "Virtual Switch Manager")
    dialog.title.setText("Isolate the lab")
    dialog.statement.setPlainText("Add a private switch Lab; turn virtualization off.")
    path = tmp_path / "host.json"
    dialog.save(path, dialog.exercise_data())
    exercise = read_exercise(path)
    assert [(c.label, c.hint) for c in exercise.checks] == [
        ("LAB-HOST-01 has hardware-assisted virtualization enabled after its next restart: "
         "no", ""),
        ("LAB-HOST-01's virtual switch Lab is of type Private", "Virtual Switch Manager")]
    assert grade(api, exercise).score_percent == 100
    api.set_switch("Lab", switch_type="Internal")
    assert [c.label for c in grade(api, exercise).failed] == [
        "LAB-HOST-01's virtual switch Lab is of type Private"]


def test_the_architecture_view_full_screen(window: MainWindow, qtbot: QtBot) -> None:
    from hvlab.gui.architecture import ArchitectureWindow

    _trigger(window, ids.ACT_ARCH_FULL_SCREEN)
    view = window.findChild(ArchitectureWindow)
    assert isinstance(view, ArchitectureWindow)
    assert view.isVisible() and view.windowState() & Qt.WindowState.WindowFullScreen
    moving = [w for w in view.scene._wires.values() if w.dots]
    assert moving  # the demo lab's VMs are doing I/O
    before = [w.phase for w in moving]
    window.bridge.step(1)  # the dots move along their paths with the clock
    assert [w.phase for w in moving] != before
    view.close()
