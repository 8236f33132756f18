"""The New Virtual Machine Wizard: guided by clicks and typing, expert mode, validation.

Every invalid entry keeps Next (and Finish) disabled with the engine's reason under the field
and keeps what was typed. The wizard's QSettings go to a file in the test's tmp_path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QLabel, QRadioButton, QWidget
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.bridge import Bridge
from hvlab.gui.main_window import MainWindow
from hvlab.gui.wizard import wizard as wizard_module
from hvlab.gui.wizard.wizard import SKIP_INTRO_KEY, NewVmWizard
from tests.gui.helpers import shown_names, type_text


@pytest.fixture(autouse=True)
def _demo_without_its_switch(api: ManagementApi) -> None:
    """These tests build their own switches: start from a host with none."""
    api.remove_switch("External")


@pytest.fixture(autouse=True)
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "hvlab.ini"
    monkeypatch.setattr(wizard_module, "wizard_settings",
                        lambda: QSettings(str(path), QSettings.Format.IniFormat))
    return path


def open_wizard(qtbot: QtBot, window: MainWindow) -> NewVmWizard:
    window.host_actions.new_vm_action.trigger()
    [found] = [d for d in window.findChildren(QDialog, ids.NEW_VM_DIALOG.object_name)
               if d.isVisible()]
    assert isinstance(found, NewVmWizard)
    qtbot.waitExposed(found)
    return found


def named(top: QWidget, name: ids.UiName) -> QWidget:
    widget = top.findChild(QWidget, name.object_name)
    assert widget is not None, name.object_name
    return widget


def click(qtbot: QtBot, top: QWidget, name: ids.UiName) -> None:
    widget = named(top, name)
    assert widget.isEnabled(), f"{name.accessible_name} is disabled: {widget.toolTip()}"
    # Check boxes and radio buttons react on their box and text, not their whole width.
    pos = QPoint(6, widget.height() // 2) if isinstance(widget, QCheckBox | QRadioButton) \
        else widget.rect().center()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def retype(qtbot: QtBot, top: QWidget, name: ids.UiName, text: str) -> None:
    """Select everything in a field and type over it, as a user does."""
    widget = named(top, name)
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    if text:
        type_text(qtbot, widget, text)


def message(top: QWidget, name: ids.UiName) -> str:
    label = top.findChild(QLabel, f"{name.object_name}_message")
    assert label is not None, name.object_name
    return label.text() if label.isVisibleTo(top) else ""


def test_create_a_vm_by_clicks_and_typing(qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    api.create_switch("Lab Network", "Internal")
    w = open_wizard(qtbot, window)
    assert w.current_key == "intro"
    click(qtbot, w, ids.WIZARD_NEXT)
    assert w.current_key == "name"
    retype(qtbot, w, ids.NEW_VM_NAME, "LAB-WEB02")
    click(qtbot, w, ids.WIZARD_NEXT)
    assert w.current_key == "memory"  # the demo host's profile has no generation 2
    retype(qtbot, w, ids.NEW_VM_MEMORY, "2048")
    click(qtbot, w, ids.WIZARD_NEXT)
    assert w.current_key == "network"
    switch = named(w, ids.WIZARD_SWITCH)
    switch.setFocus()
    qtbot.keyClick(switch, Qt.Key.Key_Down)
    click(qtbot, w, ids.WIZARD_NEXT)
    assert w.current_key == "disk"
    assert w.disk.disk_name.text() == "LAB-WEB02.vhd"  # follows the name
    retype(qtbot, w, ids.WIZARD_DISK_SIZE, "40")
    click(qtbot, w, ids.WIZARD_NEXT)
    assert w.current_key == "install"
    click(qtbot, w, ids.WIZARD_INSTALL_IMAGE)
    assert w.install.image_path.text() == os.path.join(os.path.expanduser("~"), "ISO",
                                                       "ws2008-x64.iso")
    click(qtbot, w, ids.WIZARD_NEXT)
    assert w.current_key == "summary"
    summary = w.summary.summary.text()
    for words in ("LAB-WEB02", "2,048 MB", "Lab Network", "40 GB", "ws2008-x64.iso"):
        assert words in summary
    assert not named(w, ids.WIZARD_NEXT).isEnabled()
    click(qtbot, w, ids.WIZARD_FINISH)

    assert not w.isVisible()
    vm = api.vm("LAB-WEB02")
    cfg = vm.config
    assert (vm.state, cfg.generation, cfg.memory_startup_mb) == ("Off", 1, 2048)
    assert [n.switch for n in cfg.network_adapters] == ["Lab Network"]
    [disk] = cfg.hard_drives
    assert (disk.controller, disk.controller_number, disk.location) == ("IDE", 0, 0)
    assert Path(disk.path).name == "LAB-WEB02.vhd" and disk.bootable
    assert cfg.dvd_path == os.path.join(os.path.expanduser("~"), "ISO", "ws2008-x64.iso")
    assert "LAB-WEB02" in shown_names(window)
    assert window.selected_vm_ids() == [vm.id]


def test_finish_on_the_first_page_uses_hyper_v_defaults(qtbot: QtBot,
                                                        window: MainWindow) -> None:
    w = open_wizard(qtbot, window)
    click(qtbot, w, ids.WIZARD_FINISH)
    cfg = window.bridge.api.vm("New Virtual Machine").config
    assert (cfg.generation, cfg.memory_startup_mb, cfg.dynamic_memory_enabled) == (1, 1024, False)
    assert [n.switch for n in cfg.network_adapters] == [None]
    [disk] = cfg.hard_drives
    assert disk.path.endswith("New Virtual Machine.vhd") and not disk.bootable
    # A second wizard offers the next free name.
    w2 = open_wizard(qtbot, window)
    assert w2.name_panel.name.text() == "New Virtual Machine 2"
    w2.close()


def test_expert_mode_shows_every_field_and_creates(qtbot: QtBot, window: MainWindow) -> None:
    w = open_wizard(qtbot, window)
    click(qtbot, w, ids.WIZARD_NEXT)
    retype(qtbot, w, ids.NEW_VM_NAME, "EXPERT01")
    click(qtbot, w, ids.WIZARD_EXPERT)
    assert w.expert_mode
    assert named(w, ids.WIZARD_EXPERT).accessibleName() == "Guided Mode"
    for name in (ids.NEW_VM_NAME, ids.NEW_VM_MEMORY, ids.WIZARD_SWITCH, ids.WIZARD_DISK_SIZE,
                 ids.WIZARD_INSTALL_LATER, ids.NEW_VM_GUEST_OS):
        assert named(w, name).isVisibleTo(w), name.object_name
    assert not named(w, ids.WIZARD_NEXT).isVisible()
    assert w.name_panel.name.text() == "EXPERT01"  # nothing typed is lost
    retype(qtbot, w, ids.NEW_VM_MEMORY, "512")
    click(qtbot, w, ids.WIZARD_DISK_LATER)
    named(w, ids.NEW_VM_GUEST_OS).setCurrentIndex(  # type: ignore[attr-defined]
        w.install.guest_os.findData("sles10-x64"))
    click(qtbot, w, ids.WIZARD_FINISH)
    cfg = window.bridge.api.vm("EXPERT01").config
    assert (cfg.memory_startup_mb, cfg.hard_drives, cfg.guest_os) == (512, (), "sles10-x64")


def test_the_mode_is_remembered(qtbot: QtBot, window: MainWindow) -> None:
    w = open_wizard(qtbot, window)
    click(qtbot, w, ids.WIZARD_EXPERT)
    w.close()
    w2 = open_wizard(qtbot, window)
    assert w2.expert_mode
    click(qtbot, w2, ids.WIZARD_EXPERT)
    assert not w2.expert_mode and w2.current_key == "name"


@pytest.mark.parametrize(
    ("page", "field", "typed", "words"),
    [
        ("name", ids.NEW_VM_NAME, "", "cannot be empty"),
        ("name", ids.NEW_VM_NAME, "W2K8-DC01", "already exists"),
        ("name", ids.NEW_VM_NAME, "a/b", "cannot contain"),
        ("name", ids.NEW_VM_NAME, "Web\u200bserver", "U+200B (ZERO WIDTH SPACE)"),
        ("memory", ids.NEW_VM_MEMORY, "70000", "between 32 MB and 65,536 MB"),
        ("memory", ids.NEW_VM_MEMORY, "16", "between 32 MB and 65,536 MB"),
        ("memory", ids.NEW_VM_MEMORY, "1025", "multiple of 2 MB"),
        ("disk", ids.WIZARD_DISK_SIZE, "3000", "between 1 GB and 2,040 GB"),
        ("disk", ids.WIZARD_DISK_SIZE, "0", "between 1 GB and 2,040 GB"),
        ("disk", ids.WIZARD_DISK_NAME, "disk.img", "must end in .vhd"),
    ],
)
def test_an_invalid_entry_blocks_next_with_the_reason_and_keeps_the_input(
        qtbot: QtBot, window: MainWindow, page: str, field: ids.UiName, typed: str,
        words: str) -> None:
    w = open_wizard(qtbot, window)
    assert w.go_to(page)
    retype(qtbot, w, field, typed)
    assert words in message(w, field)
    assert not named(w, ids.WIZARD_NEXT).isEnabled()
    assert not named(w, ids.WIZARD_FINISH).isEnabled()
    assert words in named(w, ids.WIZARD_NEXT).toolTip()
    # Later pages cannot be reached; earlier ones can, and the input stays.
    assert not w.go_to("summary")
    click(qtbot, w, ids.WIZARD_PREVIOUS)
    w.go_to(page)
    widget = named(w, field)
    shown = widget.text() if hasattr(widget, "text") else ""
    assert typed in shown  # spin boxes show their suffix ("70000 MB")
    assert words in message(w, field)


def test_fixing_the_entry_enables_next_again(qtbot: QtBot, window: MainWindow) -> None:
    w = open_wizard(qtbot, window)
    w.go_to("memory")
    retype(qtbot, w, ids.NEW_VM_MEMORY, "99999")
    assert not named(w, ids.WIZARD_NEXT).isEnabled()
    retype(qtbot, w, ids.NEW_VM_MEMORY, "4096")
    assert message(w, ids.NEW_VM_MEMORY) == ""
    click(qtbot, w, ids.WIZARD_NEXT)
    assert w.current_key == "network"


def test_steps_after_an_invalid_page_are_disabled(qtbot: QtBot, window: MainWindow) -> None:
    w = open_wizard(qtbot, window)
    w.go_to("name")
    retype(qtbot, w, ids.NEW_VM_NAME, "")
    steps = w.steps
    enabled = [bool(steps.item(i).flags() & Qt.ItemFlag.ItemIsEnabled)
               for i in range(steps.count())]
    assert enabled == [True, True, False, False, False, False, False]
    steps.setCurrentRow(4)  # a click on a disabled step does not move
    assert w.current_key == "name"


def test_the_memory_page_says_whether_the_vm_fits_now(qtbot: QtBot, window: MainWindow) -> None:
    w = open_wizard(qtbot, window)
    w.go_to("memory")
    available = window.bridge.api.host().memory_available_mb
    assert f"Available now: {available:,} MB" in w.memory.fit.text()
    assert "fits now" in w.memory.fit.text()
    retype(qtbot, w, ids.NEW_VM_MEMORY, "30000")
    assert "would not start now" in w.memory.fit.text()
    assert named(w, ids.WIZARD_NEXT).isEnabled()  # allowed: it may fit later


def test_dynamic_memory_gets_the_profiles_maximum(qtbot: QtBot, window: MainWindow) -> None:
    w = open_wizard(qtbot, window)
    w.go_to("name")
    retype(qtbot, w, ids.NEW_VM_NAME, "DM01")
    w.go_to("memory")
    click(qtbot, w, ids.WIZARD_DYNAMIC_MEMORY)
    click(qtbot, w, ids.WIZARD_FINISH)
    cfg = window.bridge.api.vm("DM01").config
    assert cfg.dynamic_memory_enabled and cfg.memory_maximum_mb == 65536


def test_do_not_show_this_page_again_is_remembered(qtbot: QtBot, window: MainWindow,
                                                   settings_file: Path) -> None:
    w = open_wizard(qtbot, window)
    click(qtbot, w, ids.WIZARD_SKIP_INTRO)
    w.close()
    assert QSettings(str(settings_file), QSettings.Format.IniFormat).value(
        SKIP_INTRO_KEY, False, type=bool)
    w2 = open_wizard(qtbot, window)
    assert w2.current_key == "name"
    assert named(w2, ids.WIZARD_SKIP_INTRO).isChecked()  # Before You Begin can be revisited
    w2.close()


def test_a_network_install_needs_a_switch_and_uses_a_legacy_adapter(
        qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    w = open_wizard(qtbot, window)
    w.go_to("install")
    assert not named(w, ids.WIZARD_INSTALL_NETWORK).isEnabled()
    w.close()
    api.create_switch("PXE", "Private")
    w = open_wizard(qtbot, window)
    w.go_to("name")
    retype(qtbot, w, ids.NEW_VM_NAME, "PXE01")
    w.network.switch.setCurrentIndex(1)
    w.go_to("install")
    click(qtbot, w, ids.WIZARD_INSTALL_NETWORK)
    click(qtbot, w, ids.WIZARD_FINISH)
    cfg = api.vm("PXE01").config
    assert [(n.legacy, n.switch) for n in cfg.network_adapters] == [(True, "PXE")]
    assert cfg.boot_order[0] == "LegacyNetworkAdapter"


def test_an_existing_disk_and_a_location(qtbot: QtBot, window: MainWindow) -> None:
    w = open_wizard(qtbot, window)
    w.go_to("name")
    retype(qtbot, w, ids.NEW_VM_NAME, "OLD01")
    click(qtbot, w, ids.WIZARD_STORE_ELSEWHERE)
    retype(qtbot, w, ids.WIZARD_LOCATION, "")
    assert "folder" in message(w, ids.WIZARD_LOCATION)
    retype(qtbot, w, ids.WIZARD_LOCATION, "D:\\VMs")
    w.go_to("disk")
    click(qtbot, w, ids.WIZARD_DISK_EXISTING)
    retype(qtbot, w, ids.WIZARD_DISK_PATH, "")
    assert "path" in message(w, ids.WIZARD_DISK_PATH)
    retype(qtbot, w, ids.WIZARD_DISK_PATH, "D:\\Disks\\old.vhd")
    click(qtbot, w, ids.WIZARD_FINISH)
    cfg = window.bridge.api.vm("OLD01").config
    assert cfg.checkpoint_location == "D:\\VMs\\OLD01"
    assert [(d.path, d.bootable) for d in cfg.hard_drives] == [("D:\\Disks\\old.vhd", True)]


def test_the_engine_refusing_at_finish_keeps_the_wizard_open(qtbot: QtBot,
                                                             window: MainWindow) -> None:
    api = window.bridge.api
    w = open_wizard(qtbot, window)
    w.go_to("name")
    retype(qtbot, w, ids.NEW_VM_NAME, "RACE01")
    api.create_vm("RACE01")  # someone else (hvctl) took the name meanwhile
    assert w.finish() is None
    assert w.isVisible() and "already exists" in w.banner_text()
    assert w.current_key == "name" and "already exists" in message(w, ids.NEW_VM_NAME)
    assert len([v for v in api.vms() if v.name == "RACE01"]) == 1


@pytest.fixture
def gen2_bridge(qtbot: QtBot) -> Bridge:
    api = ManagementApi(seed=0)
    api.add_host("HOST-2012", "ws2012r2")
    return Bridge(api, clock="manual")


def test_generation_2_where_the_profile_offers_it(qtbot: QtBot, gen2_bridge: Bridge,
                                                   light_theme: None) -> None:
    w = NewVmWizard(gen2_bridge, None, [])
    qtbot.addWidget(w)
    w.show()
    assert "generation" in w.keys
    w.go_to("name")
    retype(qtbot, w, ids.NEW_VM_NAME, "UEFI01")
    click(qtbot, w, ids.WIZARD_NEXT)
    assert w.current_key == "generation"
    click(qtbot, w, ids.WIZARD_GENERATION_2)
    # Windows Server 2008 cannot run in generation 2: the wizard offers a guest that can.
    assert w.install.guest_os.currentData() == "ws2012r2-x64"
    click(qtbot, w, ids.WIZARD_NEXT)
    assert w.current_key == "memory"
    w.go_to("install")
    w.install.guest_os.setCurrentIndex(w.install.guest_os.findData("ws2008-x64"))
    assert "generation 2" in message(w, ids.NEW_VM_GUEST_OS)
    assert not named(w, ids.WIZARD_NEXT).isEnabled()
    w.install.guest_os.setCurrentIndex(w.install.guest_os.findData("ubuntu2004-x64"))
    w.go_to("summary")
    summary = named(w, ids.WIZARD_SUMMARY).text()
    assert "Secure Boot" in summary and "turn Secure Boot off" in summary
    click(qtbot, w, ids.WIZARD_FINISH)
    cfg = gen2_bridge.api.vm("UEFI01").config
    assert cfg.generation == 2 and cfg.hard_drives[0].controller == "SCSI"
    gen2_bridge.close()


def test_no_generation_page_where_the_profile_has_only_generation_1(
        qtbot: QtBot, window: MainWindow) -> None:
    w = open_wizard(qtbot, window)
    assert "generation" not in w.keys
    assert w.findChild(QWidget, ids.WIZARD_GENERATION_2.object_name) is None


def test_in_a_library_the_new_disk_is_a_file_of_the_chosen_size(
        qtbot: QtBot, tmp_path: Path, light_theme: None) -> None:
    from hvlab.engine.api import open_library

    library = open_library(tmp_path / "lab", program="test", empty=True)
    bridge = Bridge(library.api, clock="manual")
    try:
        w = NewVmWizard(bridge, None, [])
        qtbot.addWidget(w)
        w.show()
        w.go_to("name")
        retype(qtbot, w, ids.NEW_VM_NAME, "FILES01")
        w.go_to("disk")
        assert w.disk.disk_location.text() == library.api.vhd_folder()
        retype(qtbot, w, ids.WIZARD_DISK_SIZE, "200")
        click(qtbot, w, ids.WIZARD_FINISH)
        api = library.api
        for job in api.jobs(active_only=True):
            api.wait(job)
        [disk] = api.vm_disks("FILES01")
        assert disk.exists and disk.maximum_size == 200 * 1024**3
        assert Path(disk.path).parent == Path(api.vhd_folder())
        assert Path(disk.path).name == "FILES01.vhd"
    finally:
        bridge.close()
        library.close()
