"""Lab definitions (resources/labs/*.json): each one that ships builds through the API, and
a definition with a mistake is refused with the file and the key named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hvlab.engine.api import ManagementApi, ValidationError
from hvlab.engine.api.labs import build_lab, lab_names, load_lab_definition


@pytest.mark.parametrize("name", lab_names())
def test_every_shipped_lab_builds(name: str) -> None:
    definition = load_lab_definition(name)
    api = ManagementApi(seed=0)
    build_lab(api, definition)
    assert [h.name for h in api.hosts()] == [h["name"] for h in definition.hosts]
    wanted = {v["name"] for h in definition.hosts for v in h.get("vms", [])}
    assert {v.name for v in api.vms()} == wanted
    running = {v["name"] for h in definition.hosts for v in h.get("vms", []) if v.get("running")}
    assert {v.name for v in api.vms() if v.state == "Running"} == running


def test_the_demo_lab_is_the_one_the_library_starts_with() -> None:
    assert "demo" in lab_names()
    api = ManagementApi(seed=0)
    build_lab(api, load_lab_definition("demo"), hosts_only=True)
    assert [h.name for h in api.hosts()] == ["LAB-HOST-01"] and api.vms() == []
    assert [s.name for s in api.switches()] == ["External"]


def test_a_mistake_in_a_definition_names_the_file_and_the_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "labs").mkdir()
    monkeypatch.setenv("HVLAB_RESOURCES", str(tmp_path))
    good = json.loads(Path(__file__).resolve().parents[2].joinpath(
        "resources", "labs", "demo.json").read_text(encoding="utf-8"))
    good["hosts"][0]["colour"] = "red"
    (tmp_path / "labs" / "broken.json").write_text(json.dumps(good), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_lab_definition("broken")
    assert err.value.field == "colour" and "broken.json" in err.value.message
    del good["hosts"][0]["colour"]
    good["hosts"][0]["vms"][0]["memory_startup_mb"] = 3
    (tmp_path / "labs" / "broken.json").write_text(json.dumps(good), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        build_lab(ManagementApi(seed=0), load_lab_definition("broken"))
    assert err.value.field == "memory_startup_mb"
    assert "W2K8-DC01" in err.value.message and "Startup RAM" in err.value.message
