"""Dry runs: the checks create_vm and set_vm make, without creating or changing anything.

The New Virtual Machine wizard and the settings dialog validate each field as the user
types by asking the engine, so the GUI keeps no copy of the rules.  That validate_new_vm
refuses each bad field exactly as create_vm does is checked with the field table in
test_config.py.
"""

from __future__ import annotations

import pytest

from hvlab.engine.config import VmConfig
from hvlab.engine.errors import ValidationError

from .helpers import boot, make_api, new_vm


def test_validate_new_vm_creates_nothing_and_uses_no_vm_id() -> None:
    api, twin = make_api(), make_api()
    api.validate_new_vm("A", memory_startup_mb=2048)
    assert api.vms() == []
    # The next VM gets the same id as in a lab that never ran the dry run.
    assert api.create_vm("A").id == twin.create_vm("A").id


def test_validate_new_vm_knows_the_names_taken() -> None:
    api = make_api()
    new_vm(api, "Taken")
    with pytest.raises(ValidationError) as err:
        api.validate_new_vm("taken")
    assert err.value.field == "name" and "already exists" in err.value.message


def test_validate_vm_changes_matches_set_vm_and_changes_nothing() -> None:
    api = make_api()
    new_vm(api, "A")
    before = api.vm("A").config
    with pytest.raises(ValidationError) as dry:
        api.validate_vm_changes("A", cpu_reserve_pct=60, cpu_limit_pct=50)
    with pytest.raises(ValidationError) as real:
        api.set_vm("A", cpu_reserve_pct=60, cpu_limit_pct=50)
    assert (dry.value.field, dry.value.message) == (real.value.field, real.value.message)
    api.validate_vm_changes("A", memory_startup_mb=4096, notes="fine")
    assert api.vm("A").config == before


def test_validate_vm_changes_applies_the_hot_add_rules_of_the_state() -> None:
    api = make_api("ws2008r2")
    new_vm(api, "A")
    boot(api, "A")
    with pytest.raises(ValidationError) as err:
        api.validate_vm_changes("A", cpu_count=2)
    assert err.value.field == "cpu_count" and "Off" in err.value.message
    api.validate_vm_changes("A", cpu_limit_pct=50)  # allowed while running
    api.validate_vm_changes("A", cpu_count=1)  # unchanged values are never locked
    with pytest.raises(ValidationError) as err:
        api.validate_vm_changes("A", id="other")
    assert err.value.field == "id"


def test_validate_vm_changes_allows_the_vm_its_own_name() -> None:
    api = make_api()
    new_vm(api, "A")
    new_vm(api, "B")
    api.validate_vm_changes("A", name="A")
    with pytest.raises(ValidationError):
        api.validate_vm_changes("A", name="B")


def test_memory_check_reports_need_and_availability() -> None:
    api = make_api("ws2008r2", ram_gb=8)
    small = api.memory_check(1024)
    assert small.ok and small.reason is None
    assert small.needed_mb == 1024 + 32
    assert small.available_mb == api.host().memory_available_mb
    big = api.memory_check(16384)
    assert not big.ok and big.reason is not None
    assert f"{big.needed_mb:,} MB" in big.reason and f"{big.available_mb:,} MB" in big.reason


def test_memory_check_without_a_hypervisor_says_why() -> None:
    api = make_api("ws2008r2")
    api.set_host(virtualization_enabled=False)
    api.wait(api.reboot_host())
    check = api.memory_check(512)
    assert not check.ok and check.available_mb == 0
    assert check.reason is not None and "hypervisor is not running" in check.reason


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"boot_order": ["IDE", "CD"]}, "boot_order"),
        ({"boot_order": ["HardDrive", "NetworkAdapter", "DVD"]}, "boot_order"),
        ({"diskette_path": "disk.img"}, "diskette_path"),
        ({"com1_pipe": "COM1"}, "com1_pipe"),
        ({"com2_pipe": "\\\\.\\pipe\\"}, "com2_pipe"),
    ],
)
def test_firmware_and_media_fields_are_validated(changes: dict[str, object], field: str) -> None:
    api = make_api()
    new_vm(api, "A")
    with pytest.raises(ValidationError) as err:
        api.validate_vm_changes("A", **changes)
    assert err.value.field == field


def test_firmware_and_media_fields_store_and_round_trip() -> None:
    api = make_api()
    new_vm(api, "A")
    api.set_vm("A", num_lock=True, boot_order=["IDE", "CD", "Floppy", "LegacyNetworkAdapter"],
               dvd_path="D:\\ISO\\setup.iso", diskette_path="A.vfd",
               com1_pipe="\\\\.\\pipe\\debug", com2_pipe="\\\\server\\pipe\\serial")
    cfg = api.vm("A").config
    assert cfg.boot_order == ("IDE", "CD", "Floppy", "LegacyNetworkAdapter")
    assert VmConfig.from_dict(cfg.to_dict()) == cfg


def test_media_and_com_ports_change_while_running_but_firmware_does_not() -> None:
    api = make_api()
    new_vm(api, "A")
    boot(api, "A")
    api.set_vm("A", dvd_path="tools.iso", com1_pipe="\\\\.\\pipe\\kd")
    locked = api.locked_fields("A")
    assert {"num_lock", "boot_order", "secure_boot"} <= set(locked)
    assert not {"dvd_path", "diskette_path", "com1_pipe", "com2_pipe"} & set(locked)


def test_a_diskette_needs_generation_1() -> None:
    api = make_api("ws2012r2")
    with pytest.raises(ValidationError) as err:
        api.validate_new_vm("G2", generation=2, guest_os="ws2012r2-x64", diskette_path="a.vfd")
    assert err.value.field == "diskette_path"


def test_reserve_beyond_what_is_unreserved_is_refused_by_the_live_check_too() -> None:
    """Two 4-VP VMs at 100 % reserve fill an 8-LP host: a running VM's reserve cannot rise.

    The live check and set_vm ask the same rule, so both refuse it, and neither says the
    running VM "failed to start"."""
    api = make_api("ws2008r2")
    assert api.host().logical_processors == 8
    for name in ("A0", "A1"):
        new_vm(api, name, memory_startup_mb=512, cpu_count=4, cpu_reserve_pct=100)
    new_vm(api, "B", memory_startup_mb=512, cpu_count=1)
    for name in ("A0", "A1", "B"):
        boot(api, name)
    errors = api.vm_change_errors("B", cpu_reserve_pct=50)
    assert list(errors) == ["cpu_reserve_pct"]
    assert "reserve cannot be met" in errors["cpu_reserve_pct"]
    assert "0.50 logical processors" in errors["cpu_reserve_pct"]
    with pytest.raises(ValidationError) as dry:
        api.validate_vm_changes("B", cpu_reserve_pct=50)
    with pytest.raises(ValidationError) as real:
        api.set_vm("B", cpu_reserve_pct=50)
    assert (dry.value.field, dry.value.message) == (real.value.field, real.value.message)
    assert "failed to start" not in real.value.text
    assert api.vm("B").config.cpu_reserve_pct == 0


def test_every_wrong_field_is_reported_by_one_check() -> None:
    api = make_api("ws2008r2")
    new_vm(api, "A")
    errors = api.vm_change_errors("A", memory_startup_mb=70000, cpu_count=99, cpu_weight=0,
                                  notes="x" * 10_001, colour="red")
    assert set(errors) == {"memory_startup_mb", "cpu_count", "cpu_weight", "notes", "colour"}
    with pytest.raises(ValidationError) as err:
        api.set_vm("A", memory_startup_mb=70000, cpu_count=99)
    assert set(err.value.fields) == {"memory_startup_mb", "cpu_count"}
    assert "cpu_count: Number of virtual processors" in str(err.value)
