"""The Checkpoints pane follows the engine: tree, "Now" marker, Apply, Rename, Delete.

The lab's files live under tmp_path, so every checkpoint is a real differencing disk.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from hvlab.engine.api import HardDrive, ManagementApi
from hvlab.gui import ids
from hvlab.gui.checkpoints import pane as pane_module
from hvlab.gui.main_window import MainWindow
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import click_pane, pane_button, select


@pytest.fixture
def api(file_api: ManagementApi) -> ManagementApi:
    """The file-backed lab with a second VM, Other, on Windows Server 2012 R2: the release
    that says "checkpoint" and merges a deleted one while the VM runs (2008 R2's words are
    tested in tests/gui/test_profile_era.py)."""
    file_api.create_vm("Other", hard_drives=[HardDrive("IDE", 0, 0, "Other.vhd", bootable=True)])
    file_api.set_host(profile="ws2012r2")
    return file_api


def shape(window: MainWindow) -> list[tuple[int, str]]:
    return window.checkpoints.tree_shape()


def checkpoint(qtbot: QtBot, window: MainWindow, name: str) -> str:
    """Take a checkpoint with the VM action, then give it a name through the API."""
    api = window.bridge.api
    before = {c.id for c in api.checkpoints("VM")}
    click_pane(qtbot, window, ids.ACT_CHECKPOINT)
    (new,) = [c.id for c in api.checkpoints("VM") if c.id not in before]
    api.rename_checkpoint("VM", new, name)
    window.bridge.refresh()
    return new


def test_checkpoint_action_builds_the_tree_with_now(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "VM")
    assert window.checkpoints.currentWidget() is window.checkpoints.note
    assert window.checkpoint_note.text() == "The selected virtual machine has no checkpoints."
    assert window.vm_actions["checkpoint"].isEnabled()
    first = checkpoint(qtbot, window, "Clean install")
    assert shape(window) == [(0, "Clean install"), (1, "Now")]
    assert window.checkpoints.now_parent_id() == first
    assert "checkpoint of VM was created" in window.statusBar().currentMessage()
    checkpoint(qtbot, window, "Patched")
    assert shape(window) == [(0, "Clean install"), (1, "Patched"), (2, "Now")]
    disk = window.bridge.api.vm_disks("VM")[0]
    assert disk.path.endswith(".avhd") and disk.chain_length == 3, "real differencing disks"
    # Another VM shows its own (empty) tree; coming back shows this one again.
    select(window, "Other")
    assert window.checkpoints.currentWidget() is window.checkpoints.note
    select(window, "VM")
    assert shape(window)[-1] == (2, "Now")


def test_apply_moves_now_and_keeps_the_tree(qtbot: QtBot, window: MainWindow,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    select(window, "VM")
    first = checkpoint(qtbot, window, "A")
    checkpoint(qtbot, window, "B")
    answers: list[str] = []

    def ask_apply(_parent: object, name: str, on_answer: Callable[[str], None],
                  *_words: object) -> None:
        answers.append(name)
        on_answer("apply")

    monkeypatch.setattr(pane_module, "ask_apply", ask_apply)
    window.checkpoints.select(first)
    assert window.actions_pane.checkpoint_header.text() == "A", "the Actions pane block"
    click_pane(qtbot, window, ids.ACT_CHECKPOINT_APPLY)
    assert answers == ["A"]
    assert shape(window) == [(0, "A"), (1, "B"), (1, "Now")]
    assert window.checkpoints.now_parent_id() == first
    assert window.checkpoints.selected_id() == first, "the selection survives the rebuild"


def test_take_checkpoint_and_apply_from_the_question_box(qtbot: QtBot,
                                                        window: MainWindow) -> None:
    select(window, "VM")
    first = checkpoint(qtbot, window, "A")
    window.checkpoints.select(first)
    window.checkpoints.apply_action.trigger()
    box = window.findChild(QMessageBox, ids.CHECKPOINT_APPLY_DIALOG.object_name)
    assert box is not None and box.isVisible()
    buttons = {b.objectName(): b for b in box.findChildren(QPushButton)}
    assert {ids.CHECKPOINT_APPLY_TAKE.object_name, ids.CHECKPOINT_APPLY_ONLY.object_name,
            ids.CHECKPOINT_APPLY_CANCEL.object_name} <= set(buttons)
    qtbot.mouseClick(buttons[ids.CHECKPOINT_APPLY_TAKE.object_name], Qt.MouseButton.LeftButton)
    rows = shape(window)
    assert rows[0] == (0, "A") and rows[-1] == (1, "Now")
    assert len(rows) == 3, "the state before Apply was kept as a checkpoint"
    assert window.checkpoints.now_parent_id() == first


def test_cancel_in_the_question_box_applies_nothing(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "VM")
    first = checkpoint(qtbot, window, "A")
    checkpoint(qtbot, window, "B")
    window.checkpoints.select(first)
    window.checkpoints.apply_action.trigger()
    box = window.findChild(QMessageBox, ids.CHECKPOINT_APPLY_DIALOG.object_name)
    assert box is not None
    cancel = box.findChild(QPushButton, ids.CHECKPOINT_APPLY_CANCEL.object_name)
    assert cancel is not None
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert shape(window)[-1] == (2, "Now")


def test_rename_in_place(qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    select(window, "VM")
    first = checkpoint(qtbot, window, "A")
    window.checkpoints.select(first)
    click_pane(qtbot, window, ids.ACT_CHECKPOINT_RENAME)
    editor = window.checkpoint_tree.viewport().findChild(QLineEdit)
    assert editor is not None, "Rename… opens the name for editing in the tree"
    editor.setText("Before the service pack")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.bridge.api.checkpoints("VM")[0].name
                    == "Before the service pack")
    assert shape(window)[0] == (0, "Before the service pack")
    # A name the engine refuses: its reason is shown and the old name comes back.
    window.checkpoints.rename(first, "x" * 101)
    assert shown.errors and "1 to 100 characters" in shown.errors[0][0]
    assert shape(window)[0] == (0, "Before the service pack")


def test_delete_and_delete_subtree(qtbot: QtBot, window: MainWindow,
                                   shown: DialogRecorder) -> None:
    select(window, "VM")
    first = checkpoint(qtbot, window, "A")
    second = checkpoint(qtbot, window, "B")
    checkpoint(qtbot, window, "C")
    window.checkpoints.select(second)
    click_pane(qtbot, window, ids.ACT_CHECKPOINT_DELETE)
    assert shown.confirmations == ["Delete Checkpoint"]
    assert shape(window) == [(0, "A"), (1, "C"), (2, "Now")], "C moves up to A"
    window.checkpoints.select(first)
    click_pane(qtbot, window, ids.ACT_CHECKPOINT_DELETE_SUBTREE)
    assert shown.confirmations[-1] == "Delete Checkpoint Subtree"
    assert window.checkpoints.currentWidget() is window.checkpoints.note
    assert window.bridge.api.checkpoints("VM") == []
    disk = window.bridge.api.vm_disks("VM")[0]
    assert disk.chain_length == 1 and disk.path == disk.base_path, "the chain was merged"
    assert not window.checkpoints.delete_action.isEnabled()
    assert not window.actions_pane.checkpoint_header.isVisibleTo(window)


def test_context_menu_holds_the_checkpoint_actions(window: MainWindow, qtbot: QtBot) -> None:
    select(window, "VM")
    checkpoint(qtbot, window, "A")
    names = [a.objectName() for a in window.checkpoints.context_menu.actions()
             if not a.isSeparator()]
    assert names == [ids.ACT_CHECKPOINT_APPLY.object_name, ids.ACT_CHECKPOINT_EXPORT.object_name,
                     ids.ACT_CHECKPOINT_RENAME.object_name,
                     ids.ACT_CHECKPOINT_DELETE.object_name,
                     ids.ACT_CHECKPOINT_DELETE_SUBTREE.object_name]
    now = window.checkpoints.now_item
    assert now is not None
    window.checkpoint_tree.setCurrentItem(now)
    assert not window.checkpoints.apply_action.isEnabled(), "Now is not a checkpoint"


def test_engine_refusal_is_shown(qtbot: QtBot, window: MainWindow,
                                 shown: DialogRecorder) -> None:
    select(window, "VM")
    api = window.bridge.api
    api.start("VM")
    window.bridge.refresh()
    assert api.vm("VM").state == "Starting"
    # The action follows the engine's available operations, with its reason...
    button = pane_button(window, ids.ACT_CHECKPOINT)
    assert not button.isEnabled()
    assert "not available while the virtual machine is Starting" in button.toolTip()
    # ...and a request that reaches the engine anyway (between two ticks) gets its refusal.
    window.checkpoints.take_checkpoint(api.vm("VM").id)
    assert shown.errors and "Cannot create a checkpoint" in shown.errors[0][0]
    assert "Starting" in shown.errors[0][1]
    assert api.checkpoints("VM") == []
