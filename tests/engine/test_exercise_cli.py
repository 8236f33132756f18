"""``hvctl exercise check``: a room's libraries graded in one command, each left as it was,
and a folder that holds no library reported, never made into one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hvlab.engine.api import open_library

from .helpers import build_web01
from .untrusted import hvctl, tree

EXERCISE = Path(__file__).resolve().parents[2] / "resources" / "lessons" / "exercise-web01.json"


def _library(folder: Path, **changes: Any) -> Path:
    with open_library(folder, seed=0, empty=True) as lib:
        build_web01(lib.api, **changes)
    return folder


def test_a_room_is_graded_in_one_command(tmp_path: Path) -> None:
    good = _library(tmp_path / "alice")
    wrong = _library(tmp_path / "bob", cpu_reserve_pct=10)
    empty = tmp_path / "carol"
    empty.mkdir()
    before = {p: tree(p) for p in (good, wrong, empty)}
    run = hvctl(good, "exercise", "check", str(EXERCISE), str(good), str(wrong), str(empty),
                "--json")
    assert run.code == 1  # one folder could not be graded
    rows = json.loads(run.out)
    assert [r["library"] for r in rows] == [str(good), str(wrong), str(empty)]
    assert rows[0]["score_percent"] == 100.0
    assert rows[1]["score_percent"] == 80.0
    assert [c["id"] for c in rows[1]["checks"] if not c["passed"]] == ["reserve"]
    assert "hint" not in rows[1]["checks"][2]
    assert "is not an hvlab library" in rows[2]["error"]
    assert {p: tree(p) for p in (good, wrong, empty)} == before  # graded, not changed


def test_one_library_as_text_with_hints(tmp_path: Path) -> None:
    wrong = _library(tmp_path / "lib", cpu_count=1)
    run = hvctl(wrong, "exercise", "check", str(EXERCISE), "--hints")
    assert run.code == 0, run.err
    assert run.out.startswith("Build WEB01: 80 % (4 of 5 points)")
    assert "Failed: WEB01 has 2 virtual processors" in run.out
    assert "WEB01's number of virtual processors is 1." in run.out
    assert "Hint: Settings ▸ Processor" in run.out


def test_a_broken_exercise_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "hvlab.exercise", "schema": 1, "title": "T",
                               "statement": "S", "checks": []}), encoding="utf-8")
    run = hvctl(tmp_path / "lib", "exercise", "check", str(bad))
    assert run.code == 1 and "'checks' must list at least one check" in run.err
    assert not (tmp_path / "lib").exists()
