"""Lessons and exercises: every shipped lesson plays itself to the end with its conditions
met, an exercise grades exactly what is wrong, a rewound lesson replays byte for byte, and a
mistake in a file is reported with the file, the place and the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hvlab.engine.api import (
    HvError,
    ManagementApi,
    NetworkAdapter,
    ValidationError,
    build_lab,
    load_lab_definition,
    restore_state,
)
from hvlab.engine.lessons import (
    LessonRun,
    LessonStuckError,
    exercise_names,
    grade,
    lesson_names,
    parse_condition,
    read_exercise,
    read_lesson,
    shipped,
)
from hvlab.engine.lessons.conditions import Context, compare

from .helpers import build_web01

#: Built once: every lesson on the demo lab starts from a copy of it (restored, not rebuilt).
_LABS: dict[str, Any] = {}


def _lab(name: str) -> ManagementApi:
    if name not in _LABS:
        api = ManagementApi(seed=0)
        build_lab(api, load_lab_definition(name))
        _LABS[name] = api.capture_state()
    return restore_state(_LABS[name])


@pytest.mark.parametrize("name", lesson_names())
def test_every_shipped_lesson_plays_to_the_end(name: str) -> None:
    lesson = read_lesson(shipped(name))
    run = LessonRun(lesson, _lab(lesson.lab))
    for step in lesson.steps:
        if step.show_me and step.until is not None:
            # A step that asks the learner to act must wait for them in guided play.
            verdict = run.verdict()
            assert verdict is not None and not verdict.holds, (step.title, verdict)
        run.play_step()
        verdict = run.verdict()
        assert verdict is None or verdict.holds, (step.title, verdict)
        run.next()
    assert run.finished and run.index == len(lesson.steps) - 1


def test_the_lessons_cover_the_concepts() -> None:
    labs = {read_lesson(shipped(n)).lab for n in lesson_names()}
    assert len(lesson_names()) >= 8 and labs <= {"demo", "contention", "cluster"}


def test_a_stuck_lesson_says_which_step_and_what_the_lab_shows(tmp_path: Path) -> None:
    path = _lesson_file(tmp_path, until={"vm": "XP-CLIENT", "property": "state",
                                         "equals": "Running"}, timeout_seconds=3)
    run = LessonRun(read_lesson(path), _lab("demo"))
    with pytest.raises(LessonStuckError) as err:
        run.play()
    assert "step 1" in err.value.message and "3 s" in err.value.message
    assert list(err.value.details) == ["Waiting for: XP-CLIENT is Running",
                                       "The lab: XP-CLIENT is Off."]


def test_reset_and_rewind_replay_byte_for_byte() -> None:
    lesson = read_lesson(shipped("07-checkpoints"))
    run = LessonRun(lesson, _lab(lesson.lab))
    start = run.api.capture_state().data
    run.play()
    first = run.api.capture_state()
    run.rewind(1)
    assert run.index == 1 and not run.finished
    run.play()
    again = run.api.capture_state()
    assert again.time_us == first.time_us and again.data == first.data
    run.reset()
    # Reset returns to the lesson's start; its first step has no actions of its own.
    assert run.api.capture_state().data == start


def test_the_migration_lesson_plays_on_a_fast_clock() -> None:
    # At 120x a lesson window moves the clock 60 s at a time (twice a wall second): no step
    # may wait for a moment shorter than that (the disk's half-second move, the five
    # seconds before the cluster notices a failed node) and miss it.
    lesson = read_lesson(shipped("08-migration"))
    run = LessonRun(lesson, _lab(lesson.lab))
    took = run.play(tick_seconds=60)
    assert run.finished and len(took) == len(lesson.steps)


def test_back_into_a_migration_in_flight_replays_byte_for_byte() -> None:
    lesson = read_lesson(shipped("08-migration"))
    run = LessonRun(lesson, _lab(lesson.lab))
    run.play()
    first = run.api.capture_state()
    # Step 5 began while WEB01's live migration was in its first pass, step 3 while
    # SQL01's quick migration was moving the disk: the lab goes back with them in flight.
    for index, vm, phase in ((4, "WEB01", "copy"), (2, "SQL01", "move")):
        run.rewind(index)
        [in_flight] = run.api.migrations(active_only=True)
        assert (in_flight.vm_name, in_flight.phase) == (vm, phase)
        run.play()
        again = run.api.capture_state()
        assert again.time_us == first.time_us and again.data == first.data


def test_restored_state_replays_commands_identically() -> None:
    api = _lab("demo")
    moment = api.capture_state()

    def session(lab: ManagementApi) -> bytes:
        lab.advance(15)
        lab.start("XP-CLIENT")
        lab.advance(40)
        lab.set_vm("W2K8-DC01", cpu_weight=300)
        lab.advance(25)
        return lab.capture_state().data

    assert session(api) == session(restore_state(moment))


# -- exercises -------------------------------------------------------------------------------


def test_an_exercise_grades_a_correct_lab_100_percent() -> None:
    exercise = read_exercise(shipped("exercise-web01"))
    api = _lab("demo")
    assert grade(api, exercise).score_percent == 0
    build_web01(api)
    result = grade(api, exercise)
    assert result.score_percent == 100 and not result.failed
    assert all(c.hint == "" for c in grade(api, exercise, hints=True).checks)


@pytest.mark.parametrize(("change", "failed"), [
    ({"cpu_reserve_pct": 10}, "reserve"),
    ({"cpu_count": 1, "cpu_reserve_pct": 20}, "processors"),
    ({"network_adapters": [NetworkAdapter(legacy=True, switch="External")]}, "synthetic-nic"),
])
def test_one_wrong_property_fails_exactly_that_check(change: dict[str, Any],
                                                     failed: str) -> None:
    exercise = read_exercise(shipped("exercise-web01"))
    api = _lab("demo")
    build_web01(api, **change)
    result = grade(api, exercise)
    assert [c.id for c in result.failed] == [failed]
    assert result.points == result.total - 1
    wrong = result.failed[0]
    assert wrong.hint == ""  # no hint of the answer unless asked
    assert "WEB01" in wrong.observed
    asked = grade(api, exercise, hints=True).failed[0]
    assert asked.hint and asked.hint == next(c.hint for c in exercise.checks if c.id == failed)
    assert result.to_dict()["checks"][[c.id for c in exercise.checks].index(failed)][
        "passed"] is False


def test_every_shipped_exercise_reads() -> None:
    assert exercise_names()
    for name in exercise_names():
        assert read_exercise(shipped(name)).checks


# -- conditions ------------------------------------------------------------------------------


def test_conditions_read_views_and_compare() -> None:
    api = _lab("demo")
    context = Context(api)

    def holds(data: dict[str, Any]) -> bool:
        return parse_condition(data, "test").evaluate(context).holds

    assert holds({"vm": "w2k8-dc01", "property": "state", "equals": "running"})
    assert holds({"vm": "W2K3-APP01", "property": "devices.ide0:0.kind", "equals": "emulated"})
    assert holds({"host": None, "property": "switches.count", "equals": 1})
    assert holds({"host": "LAB-HOST-01", "property": "numa_nodes.count", "at_least": 1})
    assert holds({"not": {"vm": "SQL-BIG", "property": "start_check.ok", "equals": True}})
    assert holds({"any": [{"vm": "NOPE", "property": "state", "equals": "Running"},
                          {"vm": "XP-CLIENT", "property": "state", "one_of": ["Off", "Saved"]}]})
    missing = parse_condition({"vm": "NOPE", "property": "state", "equals": "Off"}, "t")
    verdict = missing.evaluate(context)
    assert not verdict.holds and "NOPE" in verdict.observed
    wrong_path = parse_condition({"vm": "XP-CLIENT", "property": "config.colour",
                                  "equals": 1}, "t").evaluate(context)
    assert not wrong_path.holds and "'colour' is not a property here" in wrong_path.observed


def test_conditions_see_the_cluster_its_migrations_and_its_nodes() -> None:
    api = _lab("cluster")
    began = api.now_us

    def verdict(data: dict[str, Any], since_us: int = began) -> Any:
        return parse_condition(data, "test").evaluate(Context(api, since_us))

    def holds(data: dict[str, Any]) -> bool:
        return bool(verdict(data).holds)

    phase = {"vm": "WEB01", "property": "migration.phase", "equals": "copy"}
    none_yet = verdict(phase)
    assert not none_yet.holds
    assert none_yet.observed == ("the phase of WEB01's migration: WEB01 has not been migrated "
                                 "since the lesson began.")
    assert holds({"vm": "WEB01", "property": "host_name", "equals": "NODE1"})
    assert holds({"host": "NODE2", "property": "node.state", "equals": "Up"})
    assert holds({"host": "NODE1", "property": "cluster.votes_present", "equals": 3})

    job = api.migrate_vm("WEB01", "NODE2")
    api.advance(2)  # past the 1.5 s setup: pass 1 copies while WEB01 runs on NODE1
    assert holds(phase) and holds({"vm": "WEB01", "property": "migration.live", "equals": True})
    # The nodes are named as the learner knows them, not by id.
    assert holds({"vm": "WEB01", "property": "migration.source", "equals": "NODE1"})
    assert holds({"vm": "WEB01", "property": "migration.target", "equals": "NODE2"})
    assert holds({"vm": "WEB01", "property": "host_name", "equals": "NODE1"})
    api.wait(job)
    assert holds({"vm": "WEB01", "property": "migration.outcome", "equals": "completed"})
    assert holds({"vm": "WEB01", "property": "migration.downtime_s", "below": 0.1})
    assert not holds({"vm": "WEB01", "property": "migration.downtime_s", "above": 0.1})
    assert holds({"vm": "WEB01", "property": "host_name", "equals": "NODE2"})
    assert holds({"vm": "WEB01", "property": "migrations.count", "equals": 1})
    # A migration from before the lesson began is not the lesson's.
    assert not verdict(phase, since_us=api.now_us).holds

    api.fail_node("NODE2")
    assert holds({"host": "NODE2", "property": "node.state", "equals": "Failed"})
    api.advance(5)  # five missed heartbeats: removed from the membership
    assert holds({"host": "NODE2", "property": "node.state", "equals": "Down"})
    assert holds({"host": "NODE1", "property": "cluster.has_quorum", "equals": True})
    assert holds({"vm": "WEB01", "property": "host_name", "equals": "NODE1"})

    demo = Context(_lab("demo"))
    no_cluster = parse_condition({"host": None, "property": "node.state", "equals": "Up"},
                                 "test").evaluate(demo)
    assert not no_cluster.holds and "the lab has no failover cluster" in no_cluster.observed


@pytest.mark.parametrize(("comparison", "actual", "expected", "result"), [
    ("equals", 2, 2.0, True), ("equals", True, 1, False), ("not_equals", "Off", "off", False),
    ("above", 5, 4, True), ("above", "5", 4, False), ("at_most", 4, 4, True),
    ("contains", ("A", "b"), "B", True), ("contains", "Saved state", "state", True),
    ("one_of", "Paused", ["Off", "Saved"], False), ("below", True, 2, False),
])
def test_comparisons(comparison: str, actual: Any, expected: Any, result: bool) -> None:
    assert compare(comparison, actual, expected) is result


# -- file mistakes ---------------------------------------------------------------------------


def _lesson_file(tmp_path: Path, **step: Any) -> Path:
    data = {"format": "hvlab.lesson", "schema": 1, "title": "T", "lab": "demo",
            "steps": [{"title": "S", "narration": "N", **step}]}
    path = tmp_path / "lesson.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("step", "field", "words"), [
    ({"colour": 1}, "colour", "step 1: 'colour' is not part of a step"),
    ({"until": {"vm": "X", "property": "state", "is": 1}}, "is", "step 1, until"),
    ({"until": {"vm": "X", "property": "state"}}, "property", "exactly one comparison"),
    ({"until": {"vm": "X", "property": "state", "above": "high"}}, "above", "with a number"),
    ({"until": {"all": []}}, "all", "at least one condition"),
    ({"until": {"vm": "X", "host": "H", "property": "p", "equals": 1}}, "vm", "one subject"),
    ({"actions": [{"call": "format_c"}]}, "call", "step 1, actions[0]: 'format_c' is not"),
    ({"actions": [{"call": "vms"}]}, "call", "is not a command"),
    ({"show_me": [{"call": "start", "with": {"nme": "X"}}]}, "args", "do not fit start"),
    ({"timeout_seconds": -1}, "timeout_seconds", "from 0 to"),
])
def test_a_mistake_in_a_lesson_names_the_place_and_the_key(
        tmp_path: Path, step: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        read_lesson(_lesson_file(tmp_path, **step))
    assert err.value.field == field
    assert "lesson.json" in err.value.message and words in err.value.message


def test_a_lesson_of_another_schema_or_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.json"
    path.write_text(json.dumps({"format": "hvlab.lesson", "schema": 2}), encoding="utf-8")
    with pytest.raises(ValidationError, match="schema 2 is not known"):
        read_lesson(path)
    with pytest.raises(ValidationError, match=r'format must be "hvlab\.exercise"'):
        read_exercise(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ValidationError, match="not a readable JSON file"):
        read_lesson(path)
    with pytest.raises(HvError, match="does not exist"):
        read_lesson(tmp_path / "missing.json")


def test_a_mistake_in_an_exercise_names_the_check(tmp_path: Path) -> None:
    check = {"id": "a", "label": "L", "condition": {"vm": "X", "property": "state",
                                                    "equals": "Off"}}
    data = {"format": "hvlab.exercise", "schema": 1, "title": "T", "statement": "S",
            "checks": [check, {**check, "points": 0}]}
    path = tmp_path / "ex.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_exercise(path)
    assert err.value.field == "points" and "check 2" in err.value.message
    data["checks"] = [check, check]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError, match="'a' is used twice"):
        read_exercise(path)


def test_return_to_puts_the_lab_back_in_place_and_tells_subscribers() -> None:
    api = _lab("demo")
    moment = api.capture_state()
    api.advance(5)
    api.create_vm("LATE")
    seen: list[Any] = []
    api.subscribe(seen.append)
    api.return_to(moment)
    assert api.capture_state().data == moment.data and api.now_us == moment.time_us
    changes = {(getattr(e, "vm_id", ""), getattr(e, "change", "")) for e in seen}
    late_id = next(e.vm_id for e in seen if getattr(e, "change", "") == "removed")
    assert (late_id, "removed") in changes
    assert all(v.name != "LATE" for v in api.vms())
    heard = len(seen)
    api.start("XP-CLIENT")  # subscribers still hear the lab after it went back
    assert any(getattr(e, "vm_id", "") == api.vm("XP-CLIENT").id for e in seen[heard:])


# -- writing an exercise from a lab ----------------------------------------------------------


def test_an_exercise_written_from_a_lab_grades_that_lab_100_percent(tmp_path: Path) -> None:
    from hvlab.engine.lessons import VM_PROPERTIES, exercise_from_lab

    api = _lab("demo")
    build_web01(api)
    picks = [("WEB01", p) for p in VM_PROPERTIES] + [("XP-CLIENT", "state")]
    data = exercise_from_lab(api, title="WEB01 as built", statement="Build WEB01 again.",
                             picks=picks, hints={("WEB01", "config.cpu_count"): "Two."})
    path = tmp_path / "web01.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    exercise = read_exercise(path)
    assert len(exercise.checks) == len(picks)
    assert grade(api, exercise).score_percent == 100
    labels = {c.label for c in exercise.checks}
    assert "WEB01 reserves 20 % of its processors" in labels
    assert "XP-CLIENT is Off" in labels
    api.set_vm("WEB01", notes="changed nothing that counts")
    assert grade(api, exercise).score_percent == 100
    api.wait(api.turn_off("WEB01"))
    api.set_vm("WEB01", cpu_count=1)
    failed = {c.id for c in grade(api, exercise).failed}
    assert failed == {"web01-state", "web01-config-cpu-count"}
    assert next(c for c in exercise.checks if c.id == "web01-config-cpu-count").hint == "Two."


def test_an_exercise_written_from_a_lab_checks_host_and_switch_properties(
        tmp_path: Path) -> None:
    from hvlab.engine.lessons import Pick, exercise_from_lab, host_properties

    api = _lab("demo")
    # The trainer's target: a private switch for the lab, hardware DEP off after a restart.
    api.create_switch("Lab", "Private")
    api.set_host(nx_enabled=False)
    assert "switches.Lab.type" in host_properties(api)
    picks = [Pick("host", "LAB-HOST-01", "pending_nx_enabled", "BIOS, hardware DEP."),
             Pick("host", "LAB-HOST-01", "switches.count"),
             Pick("host", "LAB-HOST-01", "switches.Lab.name"),
             Pick("host", "LAB-HOST-01", "switches.Lab.type"),
             Pick("vm", "XP-CLIENT", "state")]
    data = exercise_from_lab(api, title="Isolate the lab", statement="…", picks=picks)
    path = tmp_path / "host.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    exercise = read_exercise(path)
    assert [c.label for c in exercise.checks] == [
        "LAB-HOST-01 has hardware DEP (NX/XD) enabled after its next restart: no",
        "LAB-HOST-01 has 2 virtual switches",
        "LAB-HOST-01 has a virtual switch named Lab",
        "LAB-HOST-01's virtual switch Lab is of type Private",
        "XP-CLIENT is Off"]
    assert exercise.checks[0].condition.describe() == \
        "hardware DEP (NX/XD) will be disabled in LAB-HOST-01's BIOS after a restart"
    assert grade(api, exercise).score_percent == 100
    # A learner's lab that differs in one host property fails exactly that check.
    api.set_switch("Lab", switch_type="Internal")
    failed = grade(api, exercise, hints=True).failed
    assert [c.id for c in failed] == ["host-lab-host-01-switches-lab-type"]
    assert failed[0].observed == "The type of the virtual switch Lab on LAB-HOST-01 is Internal."
    api.set_switch("Lab", switch_type="Private")
    api.set_host(nx_enabled=True)
    failed = grade(api, exercise, hints=True).failed
    assert [(c.id, c.hint) for c in failed] == [("host-lab-host-01-pending-nx-enabled",
                                                 "BIOS, hardware DEP.")]
    api.remove_switch("Lab")
    assert {c.id for c in grade(api, exercise).failed} == {
        "host-lab-host-01-pending-nx-enabled", "host-lab-host-01-switches-count",
        "host-lab-host-01-switches-lab-name", "host-lab-host-01-switches-lab-type"}


def test_writing_an_exercise_refuses_what_it_cannot_check() -> None:
    from hvlab.engine.lessons import Pick, exercise_from_lab

    api = _lab("demo")
    with pytest.raises(ValidationError, match="not a property an exercise can check"):
        exercise_from_lab(api, title="T", statement="S", picks=[("XP-CLIENT", "config")])
    with pytest.raises(ValidationError, match=r"no single value|there is no item 0"):
        exercise_from_lab(api, title="T", statement="S",
                          picks=[("XP-CLIENT", "config.network_adapters.0.switch")])
    with pytest.raises(HvError, match="unable to find a virtual machine"):
        exercise_from_lab(api, title="T", statement="S", picks=[("NOPE", "state")])
    with pytest.raises(ValidationError, match="at least one property"):
        exercise_from_lab(api, title="T", statement="S", picks=[])
    with pytest.raises(ValidationError, match="not a host property an exercise can check"):
        exercise_from_lab(api, title="T", statement="S",
                          picks=[Pick("host", "LAB-HOST-01", "cpu_model")])
    with pytest.raises(ValidationError, match="there is no 'Nope'"):
        exercise_from_lab(api, title="T", statement="S",
                          picks=[Pick("host", "LAB-HOST-01", "switches.Nope.type")])
    with pytest.raises(ValidationError, match="picked twice"):
        exercise_from_lab(api, title="T", statement="S",
                          picks=[("XP-CLIENT", "state"), Pick("vm", "XP-CLIENT", "state")])
    with pytest.raises(ValidationError, match="a pick names a \"vm\" or a \"host\""):
        exercise_from_lab(api, title="T", statement="S", picks=[Pick("switch", "x", "y")])
