"""New Virtual Hard Disk, Edit Virtual Hard Disk and Inspect Disk on real files.

Every disk is a real VHD file under tmp_path. Jobs run on the engine's worker threads; the
wizards poll them, and the tests wait for the wizard's signal (never a sleep).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.engine.storage import DiskType, open_vhd
from hvlab.gui.bridge import Bridge
from hvlab.gui.disks import dialogs as disk_dialogs
from hvlab.gui.disks import files
from hvlab.gui.disks.allocation import FULL, layout_grid, squares
from hvlab.gui.disks.edit_disk import EditDiskWizard, offered_actions
from hvlab.gui.disks.new_disk import NewDiskWizard
from hvlab.gui.disks.sizes import GB, MB, size_text
from hvlab.gui.main_window import MainWindow
from tests.gui.conftest import DialogRecorder

BLOCK = 2 * MB


@pytest.fixture
def api(file_api: ManagementApi) -> ManagementApi:
    return file_api


@pytest.fixture(autouse=True)
def _close_dialogs() -> Iterator[None]:
    """Dialogs delete themselves when closed (WA_DeleteOnClose); close what is left."""
    yield
    for widget in opened:
        if shiboken6.isValid(widget):
            widget.close()
    opened.clear()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


opened: list[QWidget] = []


def keep(widget: QWidget) -> None:
    opened.append(widget)


def make_disk(api: ManagementApi, path: Path, gb: int = 1, kind: str = "dynamic",
              parent: Path | None = None) -> Path:
    job = api.wait(api.new_vhd(str(path), gb * GB, disk_type=kind,
                               parent=None if parent is None else str(parent)))
    assert job.error is None
    return path


def write(path: Path, block: int, fill: int, blocks: int = 1) -> None:
    """Write ``blocks`` whole 2 MB blocks of byte ``fill`` from ``block`` on."""
    with open_vhd(path, writable=True, resolve_parent=False) as disk:
        disk.write_sectors(block * BLOCK // 512, bytes([fill]) * (BLOCK * blocks))


def new_wizard(qtbot: QtBot, bridge: Bridge, folder: Path) -> NewDiskWizard:
    wizard = disk_dialogs.open_new_disk_wizard(None, bridge, folder=str(folder))
    keep(wizard)
    return wizard


def walk_to_summary(wizard: NewDiskWizard) -> list[str]:
    steps = []
    while wizard.current_page() is not wizard.summary:
        page = wizard.current_page()
        assert page is not None
        steps.append(page.step)
        assert wizard.next_button.isEnabled(), wizard.problem_label.text()
        wizard.go_next()
    return steps


def finish_and_wait(qtbot: QtBot, wizard: NewDiskWizard) -> str:
    with qtbot.waitSignal(wizard.created, timeout=60_000) as blocker:
        qtbot.mouseClick(wizard.finish_button, Qt.MouseButton.LeftButton)
    return str(blocker.args[0])


# -- New Virtual Hard Disk ---------------------------------------------------------------------
def test_new_dynamic_disk_through_every_page(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                             tmp_path: Path) -> None:
    wizard = new_wizard(qtbot, bridge, tmp_path)
    assert wizard.format_page.vhd.isChecked() and not wizard.format_page.vhdx.isEnabled()
    assert "not supported by hvlab" in wizard.format_page.vhdx.toolTip()
    assert wizard.type_page.disk_type() == "dynamic", "Dynamically expanding is the default"
    wizard.go_to(wizard.name_page)
    wizard.name_page.name.setText("data")
    assert wizard.configure_page.size_box.value() == 127, "Hyper-V's default size"
    wizard.go_to(wizard.intro)
    assert walk_to_summary(wizard) == ["Before You Begin", "Choose Disk Format",
                                       "Choose Disk Type", "Specify Name and Location",
                                       "Configure Disk"]
    rows = wizard.summary.rows()
    assert rows["Type"] == "Dynamically expanding" and rows["Name"] == "data.vhd"
    assert rows["Size"] == "127 GB" and rows["Location"] == str(tmp_path)
    path = finish_and_wait(qtbot, wizard)
    assert path == str(tmp_path / "data.vhd")
    info = api.inspect_vhd(path)
    assert info.disk_type is DiskType.DYNAMIC and info.maximum_size >= 127 * GB
    assert os.path.getsize(path) < 2 * MB, "a new dynamic disk is small on disk"


def test_new_fixed_disk_is_written_in_full(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                           tmp_path: Path) -> None:
    wizard = new_wizard(qtbot, bridge, tmp_path)
    wizard.type_page.buttons["fixed"].setChecked(True)
    wizard.name_page.name.setText("fixed.vhd")
    wizard.configure_page.size_box.setValue(1)
    assert not wizard.configure_page.block_size.isVisibleTo(wizard.configure_page)
    walk_to_summary(wizard)
    assert wizard.summary.rows()["Type"] == "Fixed size"
    path = finish_and_wait(qtbot, wizard)
    info = api.inspect_vhd(path)
    assert info.disk_type is DiskType.FIXED
    assert os.path.getsize(path) == info.maximum_size + 512  # data, then the footer
    assert info.maximum_size >= GB


def test_cancelling_a_fixed_disk_leaves_no_file(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                                tmp_path: Path) -> None:
    folder = tmp_path / "disks"
    folder.mkdir()
    wizard = new_wizard(qtbot, bridge, folder)
    wizard.type_page.buttons["fixed"].setChecked(True)
    wizard.configure_page.size_box.setValue(40)  # far more than is written before Cancel
    walk_to_summary(wizard)
    wizard.finish()
    watcher = wizard.watcher()
    assert watcher is not None
    assert wizard.cancel_button.isEnabled() and not wizard.finish_button.isEnabled()
    assert wizard.stack.currentWidget() is wizard.progress_page
    with qtbot.waitSignal(watcher.finished, timeout=30_000) as blocker:
        qtbot.mouseClick(wizard.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].state.value == "Cancelled"
    assert wizard.isVisible(), "Cancel stops the job; the wizard stays at its Summary"
    assert wizard.current_page() is wizard.summary
    assert "cancelled" in wizard.summary.status.text()
    assert list(folder.iterdir()) == [], "no file, not even a temporary one"


def test_size_out_of_range_says_why_and_blocks_next(qtbot: QtBot, bridge: Bridge,
                                                    tmp_path: Path) -> None:
    wizard = new_wizard(qtbot, bridge, tmp_path)
    wizard.go_to(wizard.configure_page)
    for gb in (0, 2041):
        wizard.configure_page.size_box.setValue(gb)
        assert "between 1 GB and 2,040 GB" in wizard.configure_page.size_message.text()
        assert wizard.configure_page.size_message.isVisibleTo(wizard)
        assert not wizard.next_button.isEnabled() and not wizard.finish_button.isEnabled()
    wizard.configure_page.size_box.setValue(2040)
    assert wizard.next_button.isEnabled()
    assert not wizard.configure_page.size_message.isVisibleTo(wizard)


def test_name_and_location_are_checked(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                       tmp_path: Path) -> None:
    make_disk(api, tmp_path / "taken.vhd")
    wizard = new_wizard(qtbot, bridge, tmp_path)
    wizard.go_to(wizard.name_page)
    page = wizard.name_page
    for name, words in (("taken.vhd", "already exists"), ("a:b.vhd", "cannot contain"),
                        ("disk.vhdx", "ends in .vhd"), ("", "Enter a name")):
        page.name.setText(name)
        assert words in wizard.problem_label.text(), name
        assert not wizard.next_button.isEnabled()
    page.name.setText("free")
    assert wizard.next_button.isEnabled()
    assert page.path() == str(tmp_path / "free.vhd")


def test_browse_fills_the_location(qtbot: QtBot, api: ManagementApi, bridge: Bridge, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = tmp_path / "elsewhere"
    monkeypatch.setattr(files, "choose_folder",
                        lambda _parent, _title, _start, on_chosen: on_chosen(str(chosen)))
    wizard = new_wizard(qtbot, bridge, tmp_path)
    wizard.go_to(wizard.name_page)
    qtbot.mouseClick(wizard.name_page.browse, Qt.MouseButton.LeftButton)
    assert wizard.name_page.location.text() == str(chosen)


def test_differencing_disk_asks_for_its_parent(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                               tmp_path: Path) -> None:
    parent = make_disk(api, tmp_path / "base.vhd", gb=3)
    wizard = new_wizard(qtbot, bridge, tmp_path)
    wizard.type_page.buttons["differencing"].setChecked(True)
    wizard.name_page.name.setText("child.vhd")
    wizard.go_to(wizard.configure_page)
    page = wizard.configure_page
    assert page.differencing.isVisibleTo(wizard) and not page.blank.isVisibleTo(wizard)
    assert "parent" in wizard.problem_label.text()
    page.parent_path.setText(str(tmp_path / "missing.vhd"))
    assert not wizard.next_button.isEnabled() and wizard.problem_label.text()
    page.parent_path.setText(str(parent))
    assert wizard.next_button.isEnabled()
    assert "Dynamically expanding, 3 GB" in page.parent_details.text()
    wizard.go_next()
    assert wizard.summary.rows()["Parent"] == str(parent)
    path = finish_and_wait(qtbot, wizard)
    info = api.inspect_vhd(path)
    assert info.disk_type is DiskType.DIFFERENCING
    assert info.parent_found and os.path.samefile(str(info.parent_path), parent)


def test_a_failure_at_finish_is_shown_and_the_wizard_stays(
        qtbot: QtBot, api: ManagementApi, bridge: Bridge,
        tmp_path: Path, shown: DialogRecorder) -> None:
    not_a_folder = tmp_path / "a file"
    not_a_folder.write_text("x")
    wizard = new_wizard(qtbot, bridge, not_a_folder)
    walk_to_summary(wizard)
    wizard.finish()
    assert shown.errors and str(not_a_folder) in shown.errors[0][0]
    assert wizard.watcher() is None and wizard.isVisible()
    assert wizard.current_page() is wizard.summary and wizard.summary.status.text()
    assert wizard.finish_button.isEnabled(), "the user can correct the location and retry"


# -- Inspect Disk --------------------------------------------------------------------------------
def test_inspect_shows_the_fields_and_the_allocation_picture(qtbot: QtBot,
                                                             api: ManagementApi, bridge: Bridge,
                                                             tmp_path: Path) -> None:
    path = make_disk(api, tmp_path / "pic.vhd", gb=1)
    write(path, 0, 0x5A, blocks=2)
    write(path, 300, 0x01)
    dialog = disk_dialogs.open_inspect_dialog(None, bridge, str(path))
    assert dialog is not None
    keep(dialog)
    dialog.resize(640, 620)
    dialog.show()
    qtbot.waitExposed(dialog)
    values = {k: v.text() for k, v in dialog.values.items()}
    assert values["Format"] == "VHD"
    assert values["Type"] == "Dynamically expanding virtual hard disk"
    assert values["Location"] == str(tmp_path) and values["File Name"] == "pic.vhd"
    assert values["Current File Size"] == size_text(os.path.getsize(path))
    assert values["Maximum Disk Size"] == "1 GB"
    assert "Parent" not in values and not dialog.inspect_parent.isVisibleTo(dialog)
    picture = dialog.picture
    total = dialog.info.blocks_total
    assert total == 513, "1 GB rounded up to whole cylinders, as qemu-img does"
    assert int((picture.fill > 0).sum()) == 3
    assert picture.accessibleDescription().startswith(f"3 of {total} blocks")
    assert f"3 of {total} blocks" in dialog.summary_label.text()
    # The painted grid: the first square is full (blue), a square of unwritten blocks not.
    image = picture.grab().toImage()
    area = picture.grid_rect()
    per_cell, _cells, _cols, size = layout_grid(total, area.width(), area.height())
    assert per_cell == 1 and dialog.scale_label.text() == "One square per block"
    first = QColor(image.pixel(area.left() + size // 2, area.top() + size // 2))
    empty = QColor(image.pixel(area.left() + 5 * size + size // 2, area.top() + size // 2))
    assert first.name() == FULL.name()
    assert empty.name() == picture.palette().base().color().name()


def test_allocation_squares_share_runs_of_blocks_when_the_disk_is_big() -> None:
    import numpy as np

    fill = np.zeros(65_025, dtype=np.float32)
    fill[:3] = 1.0
    per_cell, cells, cols, size = layout_grid(fill.size, 560, 240)
    assert per_cell > 1 and cells * per_cell >= fill.size and cols * size <= 560
    means = squares(fill, per_cell)
    assert means[0] == pytest.approx(3 / per_cell) and not means[1:].any()


def test_inspect_parent_and_missing_parent(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                           tmp_path: Path) -> None:
    parent = make_disk(api, tmp_path / "base.vhd")
    child = make_disk(api, tmp_path / "child.vhd", kind="differencing", parent=parent)
    dialog = disk_dialogs.open_inspect_dialog(None, bridge, str(child))
    assert dialog is not None
    keep(dialog)
    assert dialog.values["Type"].text() == "Differencing virtual hard disk"
    assert dialog.values["Parent"].text() == str(parent)
    assert dialog.inspect_parent.isEnabled()
    qtbot.mouseClick(dialog.inspect_parent, Qt.MouseButton.LeftButton)
    opened = [w for w in dialog.findChildren(type(dialog)) if w.info.path == str(parent)]
    assert len(opened) == 1, "Inspect Parent opens the parent's properties"
    parent.rename(tmp_path / "moved.vhd")
    broken = disk_dialogs.open_inspect_dialog(None, bridge, str(child))
    assert broken is not None
    keep(broken)
    assert "not found" in broken.values["Parent"].text()
    assert not broken.inspect_parent.isEnabled()


def test_inspect_of_a_file_that_is_no_disk_shows_the_engine_error(
        qtbot: QtBot, api: ManagementApi, bridge: Bridge,
        tmp_path: Path, shown: DialogRecorder) -> None:
    junk = tmp_path / "junk.vhd"
    junk.write_bytes(b"not a disk" * 100)
    assert disk_dialogs.open_inspect_dialog(None, bridge, str(junk)) is None
    assert shown.errors and "junk.vhd" in shown.errors[0][0]


# -- Edit Virtual Hard Disk -----------------------------------------------------------------------
def edit_wizard(qtbot: QtBot, bridge: Bridge, path: Path) -> EditDiskWizard:
    wizard = disk_dialogs.open_edit_disk_wizard(None, bridge, str(path))
    keep(wizard)
    return wizard


def run_edit(qtbot: QtBot, wizard: EditDiskWizard) -> str:
    while wizard.current_page() is not wizard.summary:
        assert wizard.next_button.isEnabled(), wizard.problem_label.text()
        wizard.go_next()
    with qtbot.waitSignal(wizard.edited, timeout=60_000) as blocker:
        qtbot.mouseClick(wizard.finish_button, Qt.MouseButton.LeftButton)
    return str(blocker.args[0])


def test_edit_offers_actions_by_disk_type(api: ManagementApi, tmp_path: Path) -> None:
    fixed = api.inspect_vhd(str(make_disk(api, tmp_path / "f.vhd", kind="fixed")))
    dynamic = make_disk(api, tmp_path / "d.vhd")
    child = make_disk(api, tmp_path / "c.vhd", kind="differencing", parent=dynamic)
    assert offered_actions(fixed) == ("convert", "expand")
    assert offered_actions(api.inspect_vhd(str(dynamic))) == ("compact", "convert", "expand")
    assert offered_actions(api.inspect_vhd(str(child))) == ("compact", "merge")
    dynamic.rename(tmp_path / "elsewhere.vhd")
    assert offered_actions(api.inspect_vhd(str(child))) == ("reconnect",)


def test_edit_compact_shrinks_a_real_file(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                          tmp_path: Path) -> None:
    path = make_disk(api, tmp_path / "compact.vhd")
    write(path, 0, 0x11, blocks=6)
    write(path, 1, 0x00, blocks=4)  # four blocks now hold only zeros
    before = os.path.getsize(path)
    wizard = edit_wizard(qtbot, bridge, path)
    assert wizard.current_page() is wizard.action_page, "a given disk starts at Choose Action"
    visible = [k for k, b in wizard.action_page.buttons.items() if b.isVisibleTo(wizard)]
    assert visible == ["compact", "convert", "expand"]
    assert wizard.action() == "compact"
    assert [p.step for p in wizard.visible_pages()] == [
        "Before You Begin", "Locate Disk", "Choose Action", "Summary"]
    message = run_edit(qtbot, wizard)
    after = os.path.getsize(path)
    assert after <= before - 4 * BLOCK
    assert "compacted" in message and size_text(after) in message
    assert api.inspect_vhd(str(path)).blocks_allocated == 2


def test_edit_convert_makes_a_fixed_copy(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                         tmp_path: Path) -> None:
    path = make_disk(api, tmp_path / "source.vhd")
    write(path, 2, 0x22)
    wizard = edit_wizard(qtbot, bridge, path)
    wizard.action_page.buttons["convert"].setChecked(True)
    wizard.go_next()
    page = wizard.convert_page
    assert wizard.current_page() is page
    assert page.fixed.isChecked(), "a dynamic disk converts to fixed by default"
    assert page.path.text() == str(tmp_path / "source-fixed.vhd")
    page.path.setText(str(path))
    assert "already exists" in wizard.problem_label.text()
    page.path.setText(str(tmp_path / "copy.vhd"))
    run_edit(qtbot, wizard)
    info = api.inspect_vhd(str(tmp_path / "copy.vhd"))
    assert info.disk_type is DiskType.FIXED
    with open_vhd(tmp_path / "copy.vhd") as disk:
        assert bytes(disk.read_sectors(2 * BLOCK // 512, 1)) == b"\x22" * 512
    assert path.exists(), "convert keeps the original"


def test_edit_expand_grows_the_disk(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                    tmp_path: Path) -> None:
    path = make_disk(api, tmp_path / "grow.vhd", gb=1)
    wizard = edit_wizard(qtbot, bridge, path)
    wizard.action_page.buttons["expand"].setChecked(True)
    wizard.go_next()
    page = wizard.expand_page
    assert "current size is 1 GB" in page.current.text()
    assert page.size_box.value() == 2
    page.size_box.setValue(1)
    assert "larger than the current size" in wizard.problem_label.text()
    page.size_box.setValue(3)
    message = run_edit(qtbot, wizard)
    assert api.inspect_vhd(str(path)).maximum_size >= 3 * GB
    assert "expanded to 3 GB" in message


def test_edit_merge_into_the_parent(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                    tmp_path: Path) -> None:
    parent = make_disk(api, tmp_path / "base.vhd")
    child = make_disk(api, tmp_path / "child.vhd", kind="differencing", parent=parent)
    write(child, 1, 0x33)
    wizard = edit_wizard(qtbot, bridge, child)
    assert wizard.action() == "compact"
    wizard.action_page.buttons["merge"].setChecked(True)
    wizard.go_next()
    assert wizard.merge_page.into_parent.isChecked()
    run_edit(qtbot, wizard)
    assert not child.exists(), "the merged differencing disk is deleted"
    with open_vhd(parent) as disk:
        assert bytes(disk.read_sectors(BLOCK // 512, 1)) == b"\x33" * 512


def test_edit_reconnect_a_moved_parent(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                       tmp_path: Path) -> None:
    parent = make_disk(api, tmp_path / "base.vhd")
    child = make_disk(api, tmp_path / "child.vhd", kind="differencing", parent=parent)
    moved = tmp_path / "moved"
    moved.mkdir()
    parent.rename(moved / "base.vhd")
    wizard = edit_wizard(qtbot, bridge, child)
    visible = [k for k, b in wizard.action_page.buttons.items() if b.isVisibleTo(wizard)]
    assert visible == ["reconnect"] and wizard.action() == "reconnect"
    wizard.go_next()
    assert "cannot be found" in wizard.reconnect_page.intro.text()
    wizard.reconnect_page.path.setText(str(moved / "base.vhd"))
    assert wizard.next_button.isEnabled(), wizard.problem_label.text()
    run_edit(qtbot, wizard)
    info = api.inspect_vhd(str(child))
    assert info.parent_found and os.path.samefile(str(info.parent_path), moved / "base.vhd")


def test_edit_of_a_disk_in_use_shows_hyper_v_reason(qtbot: QtBot, api: ManagementApi,
                                                    bridge: Bridge,
                                                    shown: DialogRecorder) -> None:
    disk = api.vm_disks("VM")[0]
    api.wait(api.start("VM"))
    wizard = edit_wizard(qtbot, bridge, Path(disk.path))
    while wizard.current_page() is not wizard.summary:
        wizard.go_next()
    wizard.finish()
    assert shown.errors, "the engine refuses"
    message, details = shown.errors[0]
    assert "cannot be compacted" in message and "VM" in details and "Running" in details
    assert wizard.isVisible() and wizard.watcher() is None


# -- the Hard Drive page of the VM settings -----------------------------------------------------
def test_hard_drive_settings_page_opens_the_disk_windows(
        qtbot: QtBot, window: MainWindow, api: ManagementApi, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from hvlab.gui.disks.inspect import InspectDiskDialog
    from hvlab.gui.settings.dialog import VmSettingsDialog

    dialog = window.vm_windows.open_settings(api.vm("VM").id)
    assert isinstance(dialog, VmSettingsDialog)
    keep(dialog)
    dialog.show_page("disk0")
    page = dialog.page("disk0")

    def button(field: str) -> QPushButton:
        found = page.findChild(QPushButton, f"vmSettings_disk0_{field}")
        assert found is not None, field
        return found

    qtbot.mouseClick(button("inspectDisk"), Qt.MouseButton.LeftButton)
    (inspect,) = page.findChildren(InspectDiskDialog)
    assert inspect.values["File Name"].text() == "VM.vhd"
    inspect.close()

    other = make_disk(api, tmp_path / "other.vhd")
    monkeypatch.setattr(files, "choose_disk",
                        lambda _parent, _title, _folder, on_chosen: on_chosen(str(other)))
    qtbot.mouseClick(button("browseDisk"), Qt.MouseButton.LeftButton)
    assert page.path.text() == str(other) and page.has_pending()  # type: ignore[attr-defined]

    qtbot.mouseClick(button("newDisk"), Qt.MouseButton.LeftButton)
    (wizard,) = page.findChildren(NewDiskWizard)
    wizard.name_page.location.setText(str(tmp_path))
    wizard.name_page.name.setText("fresh")
    wizard.configure_page.size_box.setValue(2)
    wizard.go_to(wizard.summary)
    finish_and_wait(qtbot, wizard)
    assert page.path.text() == str(tmp_path / "fresh.vhd")  # type: ignore[attr-defined]

    qtbot.mouseClick(button("editDisk"), Qt.MouseButton.LeftButton)
    (edit,) = page.findChildren(EditDiskWizard)
    assert edit.disk_path() == str(tmp_path / "fresh.vhd")
    assert edit.current_page() is edit.action_page
    edit.close()
