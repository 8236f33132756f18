"""One rule for names (engine/names.py): VMs, checkpoints, switches and groups alike."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hvlab.engine.api import LibraryError, open_library
from hvlab.engine.errors import ValidationError
from hvlab.engine.names import CHECKPOINT_NAME, GROUP_NAME, SWITCH_NAME, VM_NAME, check_name

from .helpers import make_api, new_vm

#: Characters that change how a name is shown, not what it says.
INVISIBLE = {
    "DEL": "\x7f",
    "NEL (C1)": "\x85",
    "CSI (C1)": "\x9b",
    "escape": "\x1b[31m",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "right-to-left override": "\u202e",
    "first strong isolate": "\u2068",
    "right-to-left mark": "\u200f",
    "zero width space": "\u200b",
    "zero width joiner": "\u200d",
    "byte order mark": "\ufeff",
    "unpaired surrogate": "\udc80",
}
DECOMPOSED = "Cafe\u0301"  # "e" and a combining acute accent
PRECOMPOSED = "Caf\u00e9"


@pytest.mark.parametrize("bad", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_defect09_names_with_control_bidi_zero_width_are_refused(bad: str) -> None:
    api = make_api()
    new_vm(api, "Plain")
    api.checkpoint("Plain", "First")
    api.create_switch("LAN", "Private")
    name = f"ab{bad}cd"
    code = f"U+{ord(bad[0]):04X}"
    attempts = {
        "create a VM": lambda: api.create_vm(name),
        "rename a VM": lambda: api.rename("Plain", name),
        "set a VM's name": lambda: api.set_vm("Plain", name=name),
        "set a VM's group": lambda: api.set_vm("Plain", group=name),
        "check a new VM": lambda: api.validate_new_vm(name),
        "take a checkpoint": lambda: api.checkpoint("Plain", name),
        "rename a checkpoint": lambda: api.rename_checkpoint("Plain", "First", name),
        "create a switch": lambda: api.create_switch(name, "Private"),
        "rename a switch": lambda: api.set_switch("LAN", new_name=name),
    }
    for what, attempt in attempts.items():
        with pytest.raises(ValidationError) as err:
            attempt()
        assert code in err.value.message, what
        assert bad not in err.value.message, f"{what}: the message must be safe to print"
    assert [v.name for v in api.vms()] == ["Plain"]
    assert api.vm("Plain").config.group == ""
    assert [c.name for c in api.checkpoints("Plain")] == ["First"]
    assert [s.name for s in api.switches()] == ["LAN"]


def test_defect09_composed_and_decomposed_accents_are_one_name() -> None:
    api = make_api()
    made = api.create_vm(DECOMPOSED)
    assert made.name == PRECOMPOSED, "stored in normal form C"
    with pytest.raises(ValidationError, match="already exists"):
        api.create_vm(PRECOMPOSED)
    assert api.vm(PRECOMPOSED).id == api.vm(DECOMPOSED.upper()).id == made.id
    api.create_switch(DECOMPOSED, "Private")
    with pytest.raises(ValidationError, match="already exists"):
        api.create_switch(PRECOMPOSED, "Internal")
    api.set_switch(PRECOMPOSED, notes="found by either form")
    api.set_vm(made.id, group=f"  {DECOMPOSED} ")
    assert api.vm(made.id).config.group == PRECOMPOSED
    api.checkpoint(made.id, DECOMPOSED)
    api.rename_checkpoint(made.id, PRECOMPOSED, "Renamed")
    assert [c.name for c in api.checkpoints(made.id)] == ["Renamed"]


@pytest.mark.parametrize(("name", "words"), [
    ("", "cannot be empty"), ("    ", "cannot be empty"), ("x" * 101, "1 to 100 characters"),
    ("\x1b]0;owned\x07", r"U\+001B"), ("tab\there", r"U\+0009")])
def test_defect09_checkpoint_names_follow_the_rule_on_create_and_rename(
        name: str, words: str) -> None:
    api = make_api()
    new_vm(api, "VM")
    api.checkpoint("VM", "Kept")
    for attempt in (lambda: api.checkpoint("VM", name),
                    lambda: api.rename_checkpoint("VM", "Kept", name)):
        with pytest.raises(ValidationError, match=words):
            attempt()
    assert [c.name for c in api.checkpoints("VM")] == ["Kept"]
    api.checkpoint("VM", "  Trimmed  ")
    assert api.checkpoints("VM")[-1].name == "Trimmed"


def test_defect09_a_vm_name_keeps_its_folder_rules() -> None:
    api = make_api()
    for name, words in ((" lead", "start or end with a space"), ("a/b", "cannot contain"),
                        ("x" * 101, "1 to 100 characters")):
        with pytest.raises(ValidationError, match=words):
            api.create_vm(name)


def test_defect09_a_disk_that_is_not_a_vhd_is_refused_when_attached(tmp_path: Path) -> None:
    lib = open_library(tmp_path / "lib", program="pytest", empty=True)
    try:
        api = lib.api
        text = tmp_path / "notes.vhd"
        text.write_text("root:x:0:0:root:/root:/bin/bash\n")
        (tmp_path / "folder.vhd").mkdir()
        (tmp_path / "passwd.vhd").symlink_to("/etc/passwd")
        for path, words in (("/etc/passwd", "is not a virtual hard disk file"),
                            ("x.txt", "is not a virtual hard disk file"),
                            (str(text), "has no VHD footer"),
                            (str(tmp_path / "passwd.vhd"), "has no VHD footer"),
                            (str(tmp_path / "folder.vhd"), "a folder")):
            drive = {"controller": "IDE", "controller_number": 0, "location": 0,
                     "path": path}
            with pytest.raises(ValidationError, match=words) as err:
                api.create_vm("Web", hard_drives=[drive])
            assert err.value.field == "hard_drives"
            with pytest.raises(ValidationError, match=words):
                api.validate_new_vm("Web", hard_drives=[drive])
        assert api.vms() == []
        made = api.create_vm("Web", hard_drives=[{"controller": "IDE", "controller_number": 0,
                                                  "location": 0, "path": "web.vhd"}])
        assert api.vm_disks(made.id)[0].exists, "a new .vhd is created"
        data = {"controller": "IDE", "controller_number": 0, "location": 1,
                "path": str(text)}
        with pytest.raises(ValidationError, match="has no VHD footer"):
            api.set_vm("Web", hard_drives=[*api.vm("Web").config.hard_drives, data])
        assert len(api.vm("Web").config.hard_drives) == 1
    finally:
        lib.close()


def test_defect09_an_empty_library_path_is_refused(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for path in ("", "   "):
        with pytest.raises(LibraryError, match="may not be empty"):
            open_library(path, program="pytest")
    assert list(tmp_path.iterdir()) == []


def test_the_rule_is_one_function_for_every_kind_of_name() -> None:
    for kind in (VM_NAME, CHECKPOINT_NAME, SWITCH_NAME, GROUP_NAME):
        assert check_name(DECOMPOSED, kind) == PRECOMPOSED
        with pytest.raises(ValidationError):
            check_name("a\u202eb", kind)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_a_name_is_refused_or_kept_printable_and_normalized(text: str) -> None:
    try:
        name = check_name(text, CHECKPOINT_NAME)
    except ValidationError as err:
        assert err.field == "name"
        assert all(unicodedata.category(ch) not in ("Cc", "Cs") for ch in err.message)
        return
    assert 1 <= len(name) <= 100 and name == name.strip()
    assert unicodedata.is_normalized("NFC", name)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Cn")
                   for ch in name)


@pytest.mark.parametrize(("where", "bad"), [("config", "Web\u202eserver"),
                                            ("checkpoint", "\x1b]0;owned\x07")])
def test_defect09_an_import_brings_no_name_the_rule_refuses(tmp_path: Path, where: str,
                                                             bad: str) -> None:
    lib = open_library(tmp_path / "lib", program="pytest", empty=True)
    try:
        api = lib.api
        api.create_vm("Web", hard_drives=[{"controller": "IDE", "controller_number": 0,
                                           "location": 0, "path": "web.vhd"}])
        api.checkpoint("Web", "Base")
        assert api.wait(api.export_vm("Web", str(tmp_path / "out"))).error is None
        api.delete_checkpoint("Web", "Base")
        api.delete_vm("Web")
        manifest_path = next((tmp_path / "out" / "Web" / "Virtual Machines").glob("*.json"))
        manifest = json.loads(manifest_path.read_text())
        if where == "config":
            manifest["config"]["name"] = bad
        else:
            manifest["checkpoints"][0]["name"] = bad
        manifest_path.write_text(json.dumps(manifest))
        with pytest.raises(ValidationError, match=r"U\+"):
            api.import_vm(str(tmp_path / "out" / "Web"), "copy")
        assert api.vms() == []
    finally:
        lib.close()


def test_text_that_is_not_unicode_is_refused_before_it_reaches_a_file(tmp_path: Path) -> None:
    lib = open_library(tmp_path / "lib", program="pytest", empty=True)
    try:
        api = lib.api
        api.create_vm("Kept")
        for attempt in (lambda: api.create_vm("S", notes="bad \udc80 bytes"),
                        lambda: api.set_vm("Kept", notes="\udcff"),
                        lambda: api.set_host(virtual_machine_path="/x/\udc80", numa_spanning=False),
                        lambda: api.create_switch("LAN", "Private", notes="\ud800")):
            with pytest.raises(ValidationError, match="unpaired surrogate"):
                attempt()
        assert api.host().numa_spanning, "a refused change set changes nothing"
        lib.commit()  # and the library still saves
    finally:
        lib.close()


def test_a_checkpoint_taken_without_a_name_is_named_as_hyper_v_names_it() -> None:
    """'VM - (M/D/YYYY - h:mm:ss AM)' in the hosts' local time (UTC from 1/1/2010)."""
    from hvlab.engine.names import checkpoint_name

    assert checkpoint_name("SQL", 0) == "SQL - (1/1/2010 - 12:00:00 AM)"
    assert checkpoint_name("SQL", (12 * 3600 + 5) * 1_000_000) == "SQL - (1/1/2010 - 12:00:05 PM)"
    day = (((320 * 24) + 10) * 3600 + 42 * 60 + 17) * 1_000_000
    assert checkpoint_name("VM", day) == "VM - (11/17/2010 - 10:42:17 AM)"
    long = checkpoint_name("x" * 100, day)
    assert len(long) == 100 and long.endswith(" - (11/17/2010 - 10:42:17 AM)")


def test_the_console_and_hvctl_get_the_engines_checkpoint_name() -> None:
    from .helpers import make_api, new_vm

    api = make_api()
    new_vm(api, "DC01")
    api.advance(3723)
    api.checkpoint("DC01")
    assert [c.name for c in api.checkpoints("DC01")] == ["DC01 - (1/1/2010 - 1:02:03 AM)"]


def test_a_name_is_free_again_once_its_vm_is_renamed_deleted_or_reloaded(tmp_path: Path) -> None:
    """The host's name index (engine/vmms/vm_names.py) follows renames, deletions and a
    lab read back from a library."""
    api = make_api()
    first = api.create_vm("Alpha")
    api.create_vm("Beta")
    api.rename("Alpha", "Gamma")
    api.create_vm("alpha")  # the old name is free
    with pytest.raises(ValidationError, match="already exists"):
        api.create_vm("GAMMA")
    with pytest.raises(ValidationError, match="already exists"):
        api.rename("Beta", "gamma")
    api.set_vm(first.id, notes="a change that keeps the name")
    with pytest.raises(ValidationError, match="already exists"):
        api.create_vm("Gamma")
    api.delete_vm("Beta")
    api.create_vm("Beta")
    with pytest.raises(ValidationError, match="already exists"):
        api.create_vm("beta")
    with open_library(tmp_path / "lib", program="pytest", empty=True) as lib:
        lib.api.create_vm("Kept")
    with open_library(tmp_path / "lib", program="pytest") as lib:
        with pytest.raises(ValidationError, match="already exists"):
            lib.api.create_vm("KEPT")
        lib.api.rename("Kept", "Moved")
        lib.api.create_vm("Kept")
