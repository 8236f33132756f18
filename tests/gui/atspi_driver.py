"""Drive hvlab from outside through AT-SPI, as a screen reader or dogtail would.

Run with the *system* Python (Debian's python3-pyatspi is not installable in a venv),
inside a D-Bus session and an X server, e.g.:

    dbus-run-session -- xvfb-run -a -s '-screen 0 1280x800x24' \\
        /usr/bin/python3 tests/gui/atspi_driver.py --app-python .venv/bin/python

It starts ``hvlab --clock manual`` with QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1, finds the
application on the accessibility bus, finds every Actions pane and toolbar button by its
accessible name, presses a few (Pause, Step 1 Second, Resume) and reads the VM list's State
cell to see their effect; it waits for the main window to say it is idle with the example
of docs/automation.md ("Waiting until the console is idle"), read from the page. It prints
one JSON object with what it found and exits 0, or prints the problem and exits 1.
tests/gui/test_atspi.py runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyatspi  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parents[2]
APP_NAME = "hvlab"
#: Buttons the Actions pane and the toolbars must offer, by accessible name (the demo host
#: runs 2008 R2, whose Hyper-V Manager says Snapshot where 2012 R2 says Checkpoint).
EXPECTED_BUTTONS = [
    "Virtual Machine…", "Hyper-V Settings…", "Refresh", "Connect…", "Settings…", "Start",
    "Turn Off…", "Shut Down…", "Save", "Pause", "Resume", "Reset", "Snapshot", "Rename…",
    "Delete…", "Pause Clock", "1x", "10x", "60x", "Step 1 Second",
]


def _documented(marker: str) -> dict[str, Any]:
    """Run the example of docs/automation.md that starts with ``marker``; its names."""
    text = (ROOT / "docs" / "automation.md").read_text(encoding="utf-8")
    code = text.split(marker, 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # the page's own example
    return namespace


wait_until_idle = _documented("# atspi: wait_until_idle")["wait_until_idle"]


def main_frame(app: Any) -> Any:
    for node in walk(app, limit=1):
        if node.getRole() == pyatspi.ROLE_FRAME and node.name.startswith("Hyper-V Manager"):
            return node
    return None


def walk(node: Any, depth: int = 0, limit: int = 40) -> Iterator[Any]:
    if node is None or depth > limit:
        return
    yield node
    try:
        count = node.childCount
    except Exception:  # a node that vanished while walking
        return
    for i in range(count):
        try:
            child = node.getChildAtIndex(i)
        except Exception:
            continue
        yield from walk(child, depth + 1, limit)


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def find_app() -> Any:
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name == APP_NAME:
            return app
    return None


def buttons(app: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for node in walk(app):
        try:
            role = node.getRole()
        except Exception:
            continue
        if role in (pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON,
                    pyatspi.ROLE_CHECK_BOX) and node.name:
            out.setdefault(node.name, []).append(node)
    return out


def press(app: Any, name: str) -> None:
    candidates = [b for b in buttons(app).get(name, [])
                  if b.getState().contains(pyatspi.STATE_SENSITIVE)
                  and b.getState().contains(pyatspi.STATE_SHOWING)]
    if not candidates:
        raise SystemExit(f"no enabled, showing button named {name!r}")
    action = candidates[0].queryAction()
    for i in range(action.nActions):
        if action.getName(i) in ("press", "Press", "click"):
            action.doAction(i)
            return
    action.doAction(0)


def vm_table(app: Any) -> Any:
    for node in walk(app):
        try:
            if node.getRole() == pyatspi.ROLE_TABLE and node.name == "Virtual Machines":
                return node
        except Exception:
            continue
    return None


def cell(table: Any, vm: str, column: str) -> str:
    t = table.queryTable()
    headers = [t.getColumnDescription(c) or (t.getColumnHeader(c).name
                                             if t.getColumnHeader(c) else "")
               for c in range(t.nColumns)]
    col = headers.index(column)
    for r in range(t.nRows):
        if t.getAccessibleAt(r, 0).name == vm:
            return str(t.getAccessibleAt(r, col).name)
    raise SystemExit(f"{vm} is not in the table")


def migrate_by_name(app_python: str, env: dict[str, str]) -> dict[str, Any]:
    """``hvlab --demo cluster``: press Live Migrate to another node… and Move by their
    accessible names (the console is busy with the migration's job), then Cancel
    migration (idle again)."""
    proc = subprocess.Popen([app_python, "-m", "hvlab.gui.app", "--demo", "cluster", "--clock",
                             "manual", "--theme", "light"], cwd=ROOT, env=env)
    out: dict[str, Any] = {}
    try:
        app = wait_for("hvlab --demo cluster on the accessibility bus", find_app)
        wait_for("the cluster's VMs", lambda: (lambda t: t if t is not None and
                                               t.queryTable().nRows >= 3 else None)(
            vm_table(app)))
        frame = main_frame(app)
        press(app, "Live Migrate to another node…")
        wait_for("the Move button", lambda: buttons(app).get("Move"), 10)
        press(app, "Move")
        out["busy_after_move"] = wait_for(
            "busy", lambda: frame.description if frame.description != "Idle" else None, 10)
        wait_for("Cancel migration", lambda: buttons(app).get("Cancel migration"), 10)
        press(app, "Cancel migration")
        wait_until_idle(frame, 20)
        out["idle_after_cancel"] = frame.description
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app-python", required=True)
    args = parser.parse_args()
    env = dict(os.environ, QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1", QT_QPA_PLATFORM="xcb",
               PYTHONPATH=str(ROOT))
    app_proc = subprocess.Popen([args.app_python, "-m", "hvlab.gui.app", "--in-memory", "--clock",
                                 "manual", "--theme", "light"], cwd=ROOT, env=env)
    result: dict[str, Any] = {}
    try:
        app = wait_for("hvlab on the accessibility bus", find_app)
        table = wait_for("the Virtual Machines table with the demo lab",
                         lambda: (lambda t: t if t is not None and
                                  t.queryTable().nRows >= 6 else None)(vm_table(app)))
        found = buttons(app)
        result["missing"] = [n for n in EXPECTED_BUTTONS if n not in found]
        result["buttons"] = sorted(found)
        vm = "W2K8-DC01"  # selected when the lab opens
        result["before"] = cell(table, vm, "State")
        frame = main_frame(app)
        result["idle_at_start"] = frame.description
        press(app, "Pause")
        # The press travels over the bus: wait for the window to report the job.
        result["busy_after_pause"] = wait_for(
            "busy", lambda: frame.description if frame.description != "Idle" else None, 10)
        result["after_pause"] = wait_for(
            "Pausing", lambda: (lambda s: s if s in ("Pausing", "Paused") else None)(
                cell(table, vm, "State")), 10)
        press(app, "Step 1 Second")
        wait_until_idle(frame, 10)
        result["after_step"] = wait_for(
            "Paused", lambda: (lambda s: s if s == "Paused" else None)(
                cell(table, vm, "State")), 10)
        press(app, "Resume")
        press(app, "Step 1 Second")
        result["after_resume"] = wait_for(
            "Running", lambda: (lambda s: s if s == "Running" else None)(
                cell(table, vm, "State")), 10)
    finally:
        app_proc.terminate()
        try:
            app_proc.wait(10)
        except subprocess.TimeoutExpired:
            app_proc.kill()
    result["migration"] = migrate_by_name(args.app_python, env)
    print(json.dumps(result))
    return 0 if not result.get("missing") else 1


if __name__ == "__main__":
    sys.exit(main())
