"""Take the performance screenshots of docs/performance.md:
``python -m hvlab.gui.graphs.screenshots docs/img``.

Run under Xvfb at 1280×800 so they look like a real desktop::

    xvfb-run -a -s '-screen 0 1280x800x24' \\
        .venv/bin/python -m hvlab.gui.graphs.screenshots docs/img

Every scene is built through the API on a manual clock stepped one simulated second at a
time (as the 1x clock would), so the pictures are the same on every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from hvlab.engine.api import ManagementApi
from hvlab.gui.app import build_parser, create_main_window, open_lab
from hvlab.gui.graphs.console import SPARKLINE_COLUMN
from hvlab.gui.graphs.demos import CONTENTION_VMS, add_contention_demo
from hvlab.gui.graphs.pdh import CounterPath
from hvlab.gui.main_window import MainWindow
from hvlab.gui.shots import save, settle, start
from hvlab.gui.theme import Theme


def _window(app: QApplication, api: ManagementApi) -> MainWindow:
    window = create_main_window(api, clock="manual", theme=Theme.LIGHT)
    window.resize(1280, 800)
    window.show()
    settle(app)
    return window


def _run(app: QApplication, window: MainWindow, seconds: int) -> None:
    for _ in range(seconds):
        window.bridge.step(1)
    settle(app)


def dashboard(app: QApplication, out: Path) -> None:
    """The demo lab at work: a database, a web server and a file server warm up, XP-CLIENT
    starts, and the details pane shows the database's Performance tab."""
    window = _window(app, open_lab(build_parser().parse_args(["--in-memory", "--seed", "0"])))
    api = window.bridge.api
    api.set_vm("W2K8-DC01", workload="database")
    api.set_vm("SLES10-WEB01", workload="web")
    api.set_vm("W2K3-APP01", workload="file-server")
    window.performance.show_dashboard()
    _run(app, window, 200)
    api.start("XP-CLIENT")
    api.set_vm("NT4-LEGACY", workload="cpu-burner")
    _run(app, window, 160)
    window.vm_list.select_ids([api.vm("W2K8-DC01").id])
    window.details.tabs.setCurrentWidget(window.details.performance)
    _run(app, window, 2)
    save(window, out / "dashboard.png")
    window.close()


def contention(app: QApplication, out: Path) -> None:
    """Three 2-VP burners weighted 100/200/400 on 2 LPs, started a minute apart."""
    api = ManagementApi(seed=0)
    host_id = add_contention_demo(api, start=False)
    window = _window(app, api)
    window.tree.select_key(("host", host_id))
    window.column_actions["cpu_history"].setChecked(True)
    for column in ("generation", "status"):  # room for the sparklines at 1280 px
        window.column_actions[column].setChecked(False)
    window.vm_list.setColumnWidth(SPARKLINE_COLUMN, 150)
    dashboard = window.performance.show_dashboard(host_id)
    dashboard.set_window(600)
    names = [name for name, _ in CONTENTION_VMS]
    for name in names:  # each one boots, burns, then has to share
        api.start(api.vm(name).id)
        _run(app, window, 160)
    _run(app, window, 70)
    window.vm_list.select_ids([api.vm(names[-1]).id])
    window.details.tabs.setCurrentWidget(window.details.performance)
    _run(app, window, 2)
    save(window, out / "contention.png")

    perfmon = window.performance.open_perfmon()
    host = api.host(host_id).name
    perfmon.set_counters([
        CounterPath(host, "Hyper-V Hypervisor Logical Processor", "% Total Run Time", "_Total"),
        *(CounterPath(host, "Hyper-V Hypervisor Virtual Processor", "% Total Run Time",
                      f"{name}:Hv VP 0") for name in names),
        CounterPath(host, "Hyper-V Hypervisor Root Virtual Processor", "% Total Run Time",
                    "_Total"),
    ])
    perfmon.set_duration(600)
    perfmon.select(perfmon.paths()[3])
    perfmon.highlight_action.setChecked(True)
    perfmon.resize(1000, 620)
    _run(app, window, 1)
    save(perfmon, out / "perfmon.png")
    dialog = perfmon.open_add_counters()
    dialog.select("Hyper-V Hypervisor Virtual Processor", ["% Total Run Time"],
                  [f"{names[0]}:Hv VP 0", f"{names[0]}:Hv VP 1"])
    settle(app)
    save(dialog, out / "perfmon-add-counters.png")
    dialog.reject()
    perfmon.close()
    window.close()


def main(argv: list[str] | None = None) -> int:
    app, out = start(argv, __doc__)
    dashboard(app, out)
    contention(app, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
