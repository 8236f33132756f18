"""Configuration validation against the host profile, and the hot-add rules."""

from __future__ import annotations

import pytest

from hvlab.engine.config import VmConfig
from hvlab.engine.errors import ValidationError
from hvlab.engine.profiles import load_profiles

from .helpers import boot, make_api, new_generation2_vm, new_vm


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"memory_startup_mb": 16}, "memory_startup_mb", "between 32 MB and 65,536 MB"),
        ({"memory_startup_mb": 70000}, "memory_startup_mb", "between 32 MB and 65,536 MB"),
        ({"memory_startup_mb": 1025}, "memory_startup_mb", "multiple of 2 MB"),
        ({"cpu_count": 5}, "cpu_count", "between 1 and 4"),
        ({"cpu_count": 0}, "cpu_count", "between 1 and 4"),
        ({"cpu_reserve_pct": 101}, "cpu_reserve_pct", "between 0 % and 100 %"),
        ({"cpu_limit_pct": -1}, "cpu_limit_pct", "between 0 % and 100 %"),
        ({"cpu_reserve_pct": 60, "cpu_limit_pct": 50}, "cpu_reserve_pct", "cannot be greater"),
        ({"cpu_weight": 0}, "cpu_weight", "between 1 and 10,000"),
        ({"cpu_weight": 10001}, "cpu_weight", "between 1 and 10,000"),
        ({"generation": 2}, "generation", "supports generation 1"),
        (
            {"guest_os": "nt40-x86", "guest_is_installed": True},
            "guest_is_installed",
            "do not exist",
        ),
        (
            {"dynamic_memory_enabled": True, "memory_minimum_mb": 2048},
            "memory_minimum_mb",
            "Minimum RAM",
        ),
        ({"memory_buffer_pct": 3}, "memory_buffer_pct", "between 5 % and 2,000 %"),
        ({"network_adapters": [{"legacy": True}] * 5}, "network_adapters", "between 0 and 4"),
        ({"automatic_start_action": "Sometimes"}, "automatic_start_action", "Nothing"),
        ({"cpu_count": "2"}, "cpu_count", "whole number"),
        ({"dvd_path": "setup.img"}, "dvd_path", ".iso"),
        ({"colour": "red"}, "colour", "not a virtual machine setting"),
    ],
)
def test_out_of_range_fields_name_the_field_and_the_range(
    fields: dict[str, object], field: str, words: str
) -> None:
    api = make_api("ws2008r2")
    # The wizard's dry run (validate_new_vm) must refuse exactly what create_vm refuses.
    with pytest.raises(ValidationError) as dry:
        api.validate_new_vm("X", **fields)
    with pytest.raises(ValidationError) as err:
        api.create_vm("X", **fields)
    assert (dry.value.field, dry.value.message) == (err.value.field, err.value.message)
    assert err.value.field == field
    assert words in err.value.message
    assert api.vms() == []


@pytest.mark.parametrize("name", ["", "   ", " lead", "a/b", "x" * 101, "tab\there"])
def test_bad_names_are_refused(name: str) -> None:
    api = make_api()
    with pytest.raises(ValidationError) as err:
        api.create_vm(name)
    assert err.value.field == "name"


def test_duplicate_names_are_refused_case_insensitively() -> None:
    api = make_api()
    api.create_vm("Web")
    with pytest.raises(ValidationError, match="already exists"):
        api.create_vm("WEB")


def test_limits_come_from_the_profile() -> None:
    api = make_api("ws2019", sockets=2, cores_per_socket=32, threads_per_core=2)
    api.create_vm("G2", generation=2, guest_os="ws2019-x64", cpu_count=128)
    with pytest.raises(ValidationError, match="between 1 and 64"):
        api.create_vm("G1", generation=1, guest_os="ws2019-x64", cpu_count=65)
    with pytest.raises(ValidationError, match="cannot run in a generation 2"):
        api.create_vm("Old", generation=2, guest_os="ws2008-x64")


def test_vps_are_capped_by_the_hosts_logical_processors() -> None:
    api = make_api("ws2019", sockets=1, cores_per_socket=2, threads_per_core=1)
    with pytest.raises(ValidationError, match="between 1 and 2"):
        api.create_vm("Wide", generation=2, guest_os="ws2019-x64", cpu_count=3)


def test_set_vm_is_atomic() -> None:
    api = make_api()
    new_vm(api, "A")
    before = api.vm("A").config
    with pytest.raises(ValidationError):
        api.set_vm("A", notes="changed", cpu_weight=0)
    assert api.vm("A").config == before


def test_running_vm_locks_fields_by_the_profiles_hot_add_rules() -> None:
    api = make_api()
    new_vm(api, "A", dynamic_memory_enabled=True, memory_minimum_mb=512, memory_maximum_mb=4096)
    boot(api, "A", 5)
    locked = api.locked_fields("A")
    assert "memory_startup_mb" in locked and "cpu_count" in locked
    assert "Off" in locked["cpu_count"]
    for free in ("cpu_reserve_pct", "cpu_limit_pct", "cpu_weight", "notes", "name"):
        assert free not in locked
    with pytest.raises(ValidationError) as err:
        api.set_vm("A", cpu_count=2)
    assert err.value.field == "cpu_count"
    api.set_vm("A", cpu_weight=500, notes="live change")
    api.set_vm("A", memory_minimum_mb=256)  # may only fall while running
    with pytest.raises(ValidationError, match="only be lowered"):
        api.set_vm("A", memory_minimum_mb=1024)
    api.set_vm("A", memory_maximum_mb=8192)
    with pytest.raises(ValidationError, match="only be raised"):
        api.set_vm("A", memory_maximum_mb=2048)


def test_static_memory_is_hot_resizable_only_where_the_profile_says() -> None:
    api = make_api("ws2019")
    new_generation2_vm(api, "New", "ws2019-x64")
    boot(api, "New", 5)
    api.set_vm("New", memory_startup_mb=2048)
    assert api.vm("New").config.memory_startup_mb == 2048


def test_every_profile_loads_and_the_required_ones_exist() -> None:
    profiles = load_profiles()
    assert {"ws2008", "ws2008r2", "hvs2008", "ws2012r2", "ws2019"} <= set(profiles)
    free = profiles["hvs2008"]
    assert free.limits.host_ram_gb == 32 and free.limits.sockets == 4
    assert free.installation == "Server Core"
    assert not profiles["ws2008"].features.dynamic_memory
    assert profiles["ws2019"].features.generation2


def test_the_free_edition_uses_at_most_32_gb() -> None:
    api = make_api("hvs2008", ram_gb=64)
    assert api.host().memory_total_mb == 32 * 1024


def test_config_round_trips_through_a_dict() -> None:
    api = make_api()
    new_vm(api, "A", notes="n", integration_services=["heartbeat"], group="g")
    cfg = api.vm("A").config
    assert VmConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown configuration fields"):
        VmConfig.from_dict({**cfg.to_dict(), "surprise": 1})
