"""docs/automation.md lists every automation name that gui/ids.py defines."""

from __future__ import annotations

from pathlib import Path

from hvlab.gui import ids

DOC = Path(__file__).resolve().parents[2] / "docs" / "automation.md"


def test_every_static_name_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [n.object_name for n in ids.all_names()
               if f"| `{n.object_name}` | {n.accessible_name} |" not in text]
    assert missing == [], "run `python -m hvlab.gui.ids` and update docs/automation.md"
