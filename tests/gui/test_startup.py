"""Start-up: the window paints before the lab loads, without the modules only a lab needs.

The first paint is the console's start-up budget (<= 0.5 s, tests/bench/gui_refresh.py). The
window paints first; the lab, and every module only a lab needs, load right after. The
second test checks that a window built before its lab fills in everything when the lab
arrives.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QSplitter
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.bridge import Bridge
from hvlab.gui.main_window import MainWindow
from hvlab.gui.theme import Theme

ROOT = Path(__file__).resolve().parents[2]

#: Modules the first paint must not wait for: the engine (and numpy) come with the lab;
#: the rest are panes and tabs the lab fills, built when it arrives.
LATER = ("numpy", "hvlab.engine.api.management", "hvlab.engine.vmms.lab", "pyqtgraph",
         "hvlab.gui.bridge", "hvlab.gui.commands", "hvlab.gui.vm_windows",
         "hvlab.gui.checkpoints.pane", "hvlab.gui.graphs.sparkline", "hvlab.gui.graphs.vm_page",
         "hvlab.gui.device_manager", "hvlab.gui.disks.storage_tab", "hvlab.gui.disks.jobs",
         "hvlab.gui.settings.dialog", "hvlab.gui.wizard.wizard", "hvlab.gui.switch_edits")

_SCRIPT = f"""
import sys
import hvlab.gui.app as app
LATER = {LATER!r}
open_engine = app.open_engine

def spy(args):  # called just after the first paint
    print("LOADED_AT_FIRST_PAINT", *[m for m in LATER if m in sys.modules])
    return open_engine(args)

app.open_engine = spy
code = app.main(["--in-memory", "--clock", "manual", "--probe-first-paint"])
print("EXIT", code)
print("PYQTGRAPH", "pyqtgraph" in sys.modules)
"""


def test_window_paints_then_lab_loads_without_pyqtgraph(tmp_path: Path) -> None:
    # The window keeps its pane sizes in the user's settings: here, in tmp_path.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    lines = proc.stdout.splitlines()
    marks = [line.split()[0] for line in lines]
    assert marks == ["FIRST_PAINT", "LOADED_AT_FIRST_PAINT", "LAB_PAINT", "EXIT",
                     "PYQTGRAPH"], proc.stdout
    first, lab = (float(lines[i].split()[1]) for i in (0, 2))
    assert first <= lab
    assert lines[1] == "LOADED_AT_FIRST_PAINT", f"loaded before the first paint: {lines[1]}"
    assert lines[3] == "EXIT 0"
    assert lines[4] == "PYQTGRAPH False"


@pytest.fixture
def early_window(qtbot: QtBot, light_theme: None) -> Iterator[MainWindow]:
    win = MainWindow(theme=Theme.LIGHT)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.attached:
        win.bridge.close()
    win.close()
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_a_window_built_before_its_lab_fills_in_when_it_arrives(
        early_window: MainWindow, api: ManagementApi) -> None:
    win = early_window
    assert win.count_label.text() == "Opening the lab…"
    assert not win.host_actions.new_vm_action.isEnabled()
    assert win.findChild(type(win.vm_list), ids.VM_LIST.object_name) is win.vm_list
    assert not hasattr(win, "checkpoints")  # built with the lab

    centre = win.findChild(QSplitter, ids.SPLIT_CENTRE.object_name)
    assert isinstance(centre, QSplitter)
    sizes = centre.sizes()

    bridge = Bridge(api, clock="manual")
    bridge.setParent(win)
    win.attach(bridge)
    QCoreApplication.processEvents()
    assert centre.sizes() == sizes, "the panes do not move when the lab arrives"
    assert win.host_actions.new_vm_action.isEnabled()
    assert win.model.rowCount() == len(api.vms())
    assert win.checkpoints.isVisibleTo(win)
    # The first VM is selected: its block in the Actions pane and its details are shown.
    first = win.model.name_of(win.model.vm_id_at(0))
    assert win.actions_pane.vm_header.text() == first
    start_button = win.actions_pane.buttons[win.vm_actions.actions["start"].objectName()]
    assert start_button.isVisibleTo(win)
    assert [win.details.tabs.tabText(i) for i in range(win.details.tabs.count())] == [
        "Summary", "Memory", "Networking", "Storage", "Performance"]
    assert win.details.header.text() == first
    assert win.performance.sparkline is not None


def test_a_job_running_when_the_lab_arrives_is_counted_at_once(
        early_window: MainWindow, api: ManagementApi) -> None:
    api.save("W2K8-DC01")  # a job that runs in simulated time; the clock is not stepped
    bridge = Bridge(api, clock="manual")
    bridge.setParent(early_window)
    early_window.attach(bridge)
    assert early_window.jobs_button.text() == "1 job running"
