"""Start-up: the window paints before the lab loads, and pyqtgraph is never imported by it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import sys
from gui.app import main
code = main(["--in-memory", "--clock", "manual", "--probe-first-paint"])
print("EXIT", code)
print("PYQTGRAPH", "pyqtgraph" in sys.modules)
"""


def test_window_paints_then_lab_loads_without_pyqtgraph() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    lines = proc.stdout.splitlines()
    marks = [line.split()[0] for line in lines]
    assert marks == ["FIRST_PAINT", "LAB_PAINT", "EXIT", "PYQTGRAPH"], proc.stdout
    first, lab = (float(line.split()[1]) for line in lines[:2])
    assert first <= lab
    assert lines[2] == "EXIT 0"
    assert lines[3] == "PYQTGRAPH False"
