"""Take docs/lessons.md's screenshots: ``python -m hvlab.gui.lessons.screenshots docs/img``
(under Xvfb, as the other screenshot scripts: docs/development.md).

A lesson in presenter mode (high contrast, the caption, the step's control framed) and an
exercise's grade with one check failed.
"""

from __future__ import annotations

from hvlab.engine.api import NetworkAdapter
from hvlab.engine.lessons import lessons_dir
from hvlab.gui.app import build_parser, create_main_window, open_lab
from hvlab.gui.lessons.grade_dialog import GradeDialog
from hvlab.gui.main_window import MainWindow
from hvlab.gui.shots import save, settle, start
from hvlab.gui.theme import Theme


def main(argv: list[str] | None = None) -> int:
    app, out = start(argv, __doc__)
    api = open_lab(build_parser().parse_args(["--in-memory", "--seed", "0"]))
    window = create_main_window(api, clock="manual", theme=Theme.LIGHT)
    window.show()
    settle(app)

    # The memory lesson at its second step, in presenter mode with high contrast.
    dock = window.lab_windows.open_lesson("03-memory")
    lesson = window.lab_windows.windows[-1]
    lesson.resize(1600, 1000)
    dock.next()
    window.presenter.presenter_action.setChecked(True)
    window.presenter.contrast_action.setChecked(True)
    dock.hint_button.click()
    settle(app, 16)
    dock.highlight.place()
    settle(app)
    save(lesson, out / "lesson-presenter.png")
    window.presenter.presenter_action.setChecked(False)
    window.presenter.contrast_action.setChecked(False)
    lesson.close()

    # Build WEB01, with a 10 % reserve where the exercise asks for 20 %, and check it.
    practice = window.lab_windows.open_exercise("exercise-web01")
    assert isinstance(practice, MainWindow)
    lab = practice.bridge.api
    lab.create_vm("WEB01", cpu_count=2, cpu_reserve_pct=10,
                  network_adapters=[NetworkAdapter(switch="External")],
                  hard_drives=[{"controller": "IDE", "controller_number": 0, "location": 0,
                                "path": "WEB01.vhd", "bootable": True}])
    lab.wait(lab.start("WEB01"))
    dialog = practice.lab_windows.check(str(lessons_dir() / "exercise-web01.json"))
    assert isinstance(dialog, GradeDialog)
    dialog.hints.setChecked(True)
    settle(app)
    save(dialog, out / "exercise-grade.png")
    dialog.close()
    practice.close()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
