"""What a step waits for, in plain words: one engine function (``waiting_for``) says it for the
console's Lesson dock, ``hvctl lesson`` and a stuck lesson's error; the learner never reads
the condition's syntax."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hvlab.engine.lessons import (
    Step,
    lesson_names,
    parse_condition,
    read_lesson,
    shipped,
    waiting_for,
)
from hvlab.engine.lessons.conditions import Context

from .test_lessons import _lab, _lesson_file
from .untrusted import hvctl

#: What the syntax of a condition looks like: a key, a path, a comparison's name.
RAW = re.compile(r"_|\bconfig\b|\bproperty\b|\bequals\b|\bat_least\b|[{}\[\]]|[a-z]\.[a-z]")


def _words(condition: dict[str, Any]) -> str:
    return waiting_for(Step("S", "N", until=parse_condition(condition, "test")))


@pytest.mark.parametrize(("condition", "words"), [
    ({"vm": "XP-CLIENT", "property": "state", "equals": "Running"},
     "XP-CLIENT is Running"),
    ({"vm": "XP-CLIENT", "property": "state", "one_of": ["Running", "Saved"]},
     "XP-CLIENT is Running or Saved"),
    ({"vm": "SQL-BIG", "property": "start_check.ok", "equals": True},
     "SQL-BIG can start now"),
    ({"vm": "BURN-W100", "property": "config.cpu_reserve_pct", "equals": 50},
     "BURN-W100's processor reserve is 50 %"),
    ({"host": "LAB-HOST-01", "property": "memory_vms_mb", "above": 4000},
     "the memory held by virtual machines on LAB-HOST-01 is above 4,000 MB"),
    ({"host": None, "property": "root_cpu_percent", "above": 80},
     "the root partition's processor use on the host is above 80 %"),
    ({"host": "LAB-HOST-01", "property": "virtualization_enabled", "equals": False},
     "hardware-assisted virtualization is disabled in LAB-HOST-01's BIOS"),
    ({"vm": "W2K3-APP01", "property": "devices.ide0:0.kind", "equals": "synthetic"},
     "W2K3-APP01's disk ide0:0 is synthetic"),
    ({"vm": "W2K8-DC01", "property": "checkpoints.0.has_saved_state", "equals": True},
     "W2K8-DC01's checkpoint 1 holds a saved state"),
    ({"host": "LAB-HOST-01", "property": "hypercalls.Root.calls.HvCreatePartition",
      "at_least": 4},
     "the number of HvCreatePartition hypercalls the root partition on LAB-HOST-01 has made "
     "is at least 4"),
    ({"all": [{"vm": "SQL-BIG", "property": "state", "equals": "Off"},
              {"elapsed_seconds": 5}]},
     "SQL-BIG is Off and 5 s of simulated time have passed since the step began"),
    ({"any": [{"vm": "A", "property": "heartbeat", "equals": "OK"},
              {"vm": "B", "property": "config.guest_is_installed", "equals": True}]},
     "A's heartbeat is OK or integration services are installed in B"),
    ({"not": {"vm": "A", "property": "cpu_usage_percent", "above": 45}},
     "A's processor use is at most 45 %"),
    ({"not": {"vm": "A", "property": "state", "equals": "Off"}}, "A is not Off"),
    ({"vm": "A", "property": "state", "equals": "Off", "label": "A is switched off"},
     "A is switched off"),
    ({"vm": "SQL01", "property": "host_name", "equals": "NODE2"},
     "the host that owns SQL01 is NODE2"),
    ({"vm": "WEB01", "property": "migration.downtime_s", "below": 0.1},
     "the downtime of WEB01's migration is below 0.1 s"),
    ({"vm": "SQL01", "property": "migration.live", "equals": False},
     "SQL01's migration is a quick migration"),
    ({"vm": "WEB01", "property": "migration.phase", "one_of": ["copy", "blackout"]},
     "the phase of WEB01's migration is copy or blackout"),
    ({"vm": "WRITER01", "property": "migration.pass_number", "equals": 10},
     "the number of memory copy passes of WRITER01's migration is 10"),
    ({"vm": "WEB01", "property": "migration.pages_left", "below": 1000},
     "the number of pages WEB01's migration has left to copy is below 1,000"),
    ({"host": "NODE2", "property": "node.state", "equals": "Down"},
     "NODE2's state in the failover cluster is Down"),
    ({"host": "NODE1", "property": "cluster.has_quorum", "equals": False},
     "the failover cluster of NODE1 has lost quorum"),
    ({"vm": "BACKUP01", "property": "clustered", "equals": False},
     "BACKUP01 is not highly available"),
])
def test_a_condition_in_plain_words(condition: dict[str, Any], words: str) -> None:
    assert _words(condition) == f"Waiting for: {words}"


def test_a_path_without_a_phrase_is_still_words() -> None:
    assert _words({"vm": "A", "property": "config.colour_depth", "equals": 3}) == \
        "Waiting for: A's setting colour depth is 3"
    assert waiting_for(Step("S", "N")) == ""


@pytest.mark.parametrize("name", lesson_names())
def test_no_shipped_step_shows_condition_syntax(name: str) -> None:
    for step in read_lesson(shipped(name)).steps:
        text = waiting_for(step)
        assert text.startswith("Waiting for: ") or step.until is None
        assert not RAW.search(text.removeprefix("Waiting for: ")), (step.title, text)


def test_what_the_lab_shows_is_said_in_the_same_words() -> None:
    api = _lab("demo")
    context = Context(api)
    for condition, observed in [
        ({"vm": "XP-CLIENT", "property": "state", "equals": "Running"}, "XP-CLIENT is Off."),
        ({"vm": "W2K8-DC01", "property": "config.cpu_count", "equals": 4},
         "W2K8-DC01's number of virtual processors is 2."),
        ({"host": "LAB-HOST-01", "property": "pending_reboot", "equals": True},
         "LAB-HOST-01 has no changes waiting for a restart."),
        ({"host": "LAB-HOST-01", "property": "hypervisor_running", "equals": True},
         "The hypervisor is running on LAB-HOST-01."),
    ]:
        assert parse_condition(condition, "test").evaluate(context).observed == observed


def test_hvctl_shows_a_lesson_in_the_dock_s_words(tmp_path: Path) -> None:
    lesson = read_lesson(shipped("03-memory"))
    run = hvctl(tmp_path / "unused", "lesson", "show", "03-memory", "--json")
    assert run.code == 0, run.err
    shown = json.loads(run.out)
    assert [s["waiting_for"] for s in shown["steps"]] == [waiting_for(s) for s in lesson.steps]
    assert shown["steps"][2]["waiting_for"] == "Waiting for: SQL-BIG can start now"
    text = hvctl(tmp_path / "unused", "lesson", "show", "03-memory")
    assert "  3. Make room\n     Waiting for: SQL-BIG can start now\n" in text.out
    assert not (tmp_path / "unused").exists()  # no library was opened or made


def test_hvctl_plays_a_lesson_and_reports_a_stuck_one(tmp_path: Path) -> None:
    run = hvctl(tmp_path / "unused", "lesson", "play", "05-prerequisites", "--json")
    assert run.code == 0, run.err
    steps = json.loads(run.out)["steps"]
    assert len(steps) == len(read_lesson(shipped("05-prerequisites")).steps)
    assert all(s["simulated_seconds"] >= 0 for s in steps)
    assert sum(s["simulated_seconds"] for s in steps) > 30  # the host restarts twice
    stuck = _lesson_file(tmp_path, until={"vm": "XP-CLIENT", "property": "state",
                                          "equals": "Running"}, timeout_seconds=3)
    run = hvctl(tmp_path / "unused", "lesson", "play", str(stuck))
    assert run.code == 1
    assert "Waiting for: XP-CLIENT is Running" in run.err
    assert "The lab: XP-CLIENT is Off." in run.err
    assert not (tmp_path / "unused").exists()
