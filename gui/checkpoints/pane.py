"""The Checkpoints pane: a VM's checkpoint tree with the "Now" marker, and its actions.

As in Hyper-V Manager, each checkpoint hangs under
the one it was taken from, and "Now" (the running state) hangs under the checkpoint it
follows (``ManagementApi.current_checkpoint``). A checkpoint's actions, in its context menu
and in the Actions pane: Apply…, Export…, Rename…, Delete Checkpoint…, Delete Checkpoint
Subtree…. Apply asks like Hyper-V: "Take Checkpoint and Apply", "Apply" or Cancel.

The pane reads ``checkpoints`` and ``current_checkpoint`` of the focused VM once per tick and
rebuilds the tree only when they changed, keeping the selection. Rename edits the name in
place, like the VM list.

Signals:
    message(str): a one-line result for the status bar.
    selection_changed(): the selected checkpoint changed (the Actions pane block follows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from hvlab.engine.api import HvError, Job, JobState
from hvlab.gui import dialogs, ids
from hvlab.gui import format as fmt
from hvlab.gui.bars import named_action
from hvlab.gui.disks.jobs import when_done
from hvlab.gui.icons import icon
from hvlab.gui.pane_layout import CHECKPOINT_ROWS, rows_height

if TYPE_CHECKING:
    from hvlab.engine.api import CheckpointInfo
    from hvlab.gui.bridge import Bridge

NOW = "Now"
NO_VM = "Select a virtual machine to see its checkpoints."
NO_CHECKPOINTS = "The selected virtual machine has no checkpoints."
_ID = Qt.ItemDataRole.UserRole


def ask_apply(parent: QWidget | None, checkpoint: str,
              on_answer: Callable[[str], None], say: Callable[[str], str] = str) -> QMessageBox:
    """Hyper-V's Apply Checkpoint question (``say``: in the host release's words, "Apply
    Snapshot" on 2008). ``on_answer`` gets "take-and-apply" or "apply"; Cancel calls
    nothing. Tests replace this function with monkeypatch."""
    box = QMessageBox(QMessageBox.Icon.Question, say("Apply Checkpoint"),
                      say("Are you sure you want to apply the checkpoint ") + f"'{checkpoint}'?",
                      QMessageBox.StandardButton.NoButton, parent)
    ids.apply(box, ids.CHECKPOINT_APPLY_DIALOG)
    box.setInformativeText(say("The virtual machine's current state will be lost. Take a "
                               "checkpoint first to keep it."))
    take = box.addButton(say("&Take Checkpoint and Apply"), QMessageBox.ButtonRole.AcceptRole)
    ids.apply(take, ids.CHECKPOINT_APPLY_TAKE)
    apply = box.addButton("&Apply", QMessageBox.ButtonRole.DestructiveRole)
    ids.apply(apply, ids.CHECKPOINT_APPLY_ONLY)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    ids.apply(cancel, ids.CHECKPOINT_APPLY_CANCEL)
    box.setDefaultButton(take)
    box.setEscapeButton(cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(_result: int) -> None:
        clicked = box.clickedButton()
        if clicked is take:
            on_answer("take-and-apply")
        elif clicked is apply:
            on_answer("apply")

    box.finished.connect(finished)
    box.open()
    return box


class CheckpointsPane(QStackedWidget):
    message = Signal(str)
    selection_changed = Signal()

    def __init__(self, bridge: Bridge, open_export: Callable[[str], object] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._open_export = open_export
        self._vm_id: str | None = None
        self._vm_name = ""
        self._key: tuple[object, ...] | None = None
        self._items: dict[str, QTreeWidgetItem] = {}
        self._filling = False
        self.now_item: QTreeWidgetItem | None = None
        #: The host release's words (gui/era.py sets it): "snapshot" on 2008 and 2008 R2.
        self.say: Callable[[str], str] = str

        self.note = QLabel(NO_VM)
        self.note.setProperty("role", "note")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        self.tree = QTreeWidget()
        ids.apply(self.tree, ids.CHECKPOINT_TREE)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setMinimumHeight(rows_height(self.tree, CHECKPOINT_ROWS))
        self.addWidget(self.note)
        self.addWidget(self.tree)

        def action(name: ids.UiName, text: str, icon_name: str, tip: str,
                   slot: Callable[[], object], key: str = "") -> QAction:
            a = named_action(self, name, text, icon_name, tip, triggered=slot)
            # The block has no title saying what it is.
            a.setToolTip(f"{a.iconText()}: {tip}" + (f" ({key})" if key else ""))
            if key:
                # Only while the tree has the focus: elsewhere F2 and Del are the VM's.
                a.setShortcut(QKeySequence(key))
                a.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
                self.tree.addAction(a)
            a.setEnabled(False)
            return a

        self.apply_action = action(
            ids.ACT_CHECKPOINT_APPLY, "&Apply…", "apply-checkpoint",
            "Return the virtual machine to this checkpoint; its current state is lost unless "
            "you take a checkpoint first.", self.apply_selected)
        self.export_action = action(
            ids.ACT_CHECKPOINT_EXPORT, "E&xport…", "export",
            "Export the virtual machine, with its checkpoints, to a folder.", self._export)
        self.rename_action = action(ids.ACT_CHECKPOINT_RENAME, "Rena&me…", "rename",
                                    "Rename the checkpoint.", self.rename_selected, "F2")
        self.delete_action = action(
            ids.ACT_CHECKPOINT_DELETE, "&Delete Checkpoint…", "delete",
            "Delete the checkpoint. Its changes are merged, so the virtual machine keeps "
            "everything written since.", lambda: self.delete_selected(subtree=False), "Del")
        self.delete_subtree_action = action(
            ids.ACT_CHECKPOINT_DELETE_SUBTREE, "Delete Checkpoint &Subtree…", "delete",
            "Delete the checkpoint and every checkpoint taken after it from its state.",
            lambda: self.delete_selected(subtree=True), "Shift+Del")
        self.actions_list = [self.apply_action, self.export_action, self.rename_action,
                             self.delete_action, self.delete_subtree_action]

        self.context_menu = QMenu(self)
        ids.apply(self.context_menu, ids.CHECKPOINT_CONTEXT_MENU)
        ids.apply(self.context_menu.menuAction(), ids.CHECKPOINT_CONTEXT_MENU_ACTION)
        self.context_menu.setToolTipsVisible(True)
        for a in (self.apply_action, self.export_action, self.rename_action):
            self.context_menu.addAction(a)
        self.context_menu.addSeparator()
        self.context_menu.addAction(self.delete_action)
        self.context_menu.addAction(self.delete_subtree_action)

        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)

    # -- what is shown ----------------------------------------------------------------------
    @property
    def vm_id(self) -> str | None:
        return self._vm_id

    def show_vm(self, vm_id: str | None, vm_name: str = "") -> None:
        """Show ``vm_id``'s checkpoints (None: nothing selected). Cheap when nothing changed."""
        if vm_id != self._vm_id:
            self._vm_id, self._key = vm_id, None
        self._vm_name = vm_name
        if vm_id is None:
            self._show_note(NO_VM)
            self._update_actions()
            return
        api = self._bridge.api
        try:
            checkpoints = api.checkpoints(vm_id)
            current = api.current_checkpoint(vm_id)
        except HvError:
            self._show_note(NO_VM)
            return
        key = (tuple((c.id, c.name, c.parent_id, c.has_saved_state) for c in checkpoints),
               current)
        if key == self._key:
            return
        self._key = key
        if not checkpoints:
            self._show_note(NO_CHECKPOINTS)
        else:
            self._rebuild(checkpoints, current)
            self.setCurrentWidget(self.tree)
        self._update_actions()

    def _show_note(self, text: str) -> None:
        text = self.say(text)
        if self.note.text() != text:
            self.note.setText(text)
        self.setCurrentWidget(self.note)
        if self._items:
            self._filling = True
            self.tree.clear()
            self._items.clear()
            self.now_item = None
            self._filling = False

    def _rebuild(self, checkpoints: list[CheckpointInfo], current: str | None) -> None:
        selected = self.selected_id()
        self._filling = True
        try:
            self.tree.clear()
            self._items = {}
            known = {c.id for c in checkpoints}
            pending = list(checkpoints)
            # Parents first (a parent is always older, but do not rely on the order).
            while pending:
                progressed = False
                for cp in list(pending):
                    parent_id = cp.parent_id if cp.parent_id in known else None
                    if parent_id is not None and parent_id not in self._items:
                        continue
                    item = QTreeWidgetItem([cp.name])
                    item.setData(0, _ID, cp.id)
                    item.setIcon(0, icon("checkpoint"))
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                    state = " It holds the virtual machine's saved state." \
                        if cp.has_saved_state else ""
                    item.setToolTip(0, f"{cp.name}\nTaken {fmt.sim_time(cp.created_seconds)} "
                                       f"(simulated).{state}")
                    if parent_id is None:
                        self.tree.addTopLevelItem(item)
                    else:
                        self._items[parent_id].addChild(item)
                    self._items[cp.id] = item
                    pending.remove(cp)
                    progressed = True
                if not progressed:  # a cycle cannot happen; do not loop if it did
                    break
            now = QTreeWidgetItem([NOW])
            now.setData(0, _ID, "")
            now.setIcon(0, icon("now"))
            now.setToolTip(0, "The virtual machine's current state, which follows this "
                              "checkpoint.")
            font = now.font(0)
            font.setBold(True)
            now.setFont(0, font)
            if current in self._items:
                self._items[current].addChild(now)
            else:
                self.tree.addTopLevelItem(now)
            self.now_item = now
            self.tree.expandAll()
            if selected and selected in self._items:
                self._items[selected].setSelected(True)
                self.tree.setCurrentItem(self._items[selected])
        finally:
            self._filling = False

    def items(self) -> dict[str, QTreeWidgetItem]:
        """The checkpoint items by id (without "Now")."""
        return dict(self._items)

    def now_parent_id(self) -> str | None:
        """The id of the checkpoint "Now" hangs under (None: at the top, or no tree)."""
        if self.currentWidget() is not self.tree or self.now_item is None:
            return None
        parent = self.now_item.parent()
        value = parent.data(0, _ID) if parent is not None else None
        return str(value) if value else None

    def tree_shape(self) -> list[tuple[int, str]]:
        """(depth, text) of every row in order, "Now" included: what a user sees."""
        rows: list[tuple[int, str]] = []

        def walk(item: QTreeWidgetItem, depth: int) -> None:
            rows.append((depth, item.text(0)))
            for i in range(item.childCount()):
                child = item.child(i)
                if child is not None:
                    walk(child, depth + 1)

        if self.currentWidget() is self.tree:
            for i in range(self.tree.topLevelItemCount()):
                top = self.tree.topLevelItem(i)
                if top is not None:
                    walk(top, 0)
        return rows

    # -- selection and actions ---------------------------------------------------------------
    def selected_id(self) -> str | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        value = items[0].data(0, _ID)
        return str(value) if value else None

    def select(self, checkpoint_id: str) -> None:
        item = self._items.get(checkpoint_id)
        if item is not None:
            self.tree.setCurrentItem(item)
            item.setSelected(True)

    def selected_name(self) -> str:
        cid = self.selected_id()
        item = self._items.get(cid or "")
        return item.text(0) if item is not None else ""

    def _on_selection(self) -> None:
        self._update_actions()
        self.selection_changed.emit()

    def _update_actions(self) -> None:
        chosen = self.selected_id() is not None and self._vm_id is not None \
            and self.currentWidget() is self.tree
        for a in self.actions_list:
            a.setEnabled(chosen)
        self.export_action.setEnabled(chosen and self._open_export is not None)

    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is not None and item.data(0, _ID):
            self.tree.setCurrentItem(item)
            self.context_menu.popup(self.tree.viewport().mapToGlobal(pos))

    # -- operations ---------------------------------------------------------------------------
    def _run(self, what: str, command: Callable[[], Job | None],
             then: Callable[[], None] | None = None) -> None:
        """Run an API command; report its error or its job's failure; tick afterwards."""
        bridge = self._bridge
        try:
            job = bridge.call(command)
        except HvError as err:
            dialogs.show_error(self.window(), err)
            return

        def ended(done: Job) -> None:
            bridge.refresh()
            if done.state is JobState.COMPLETED:
                self.message.emit(what)
                if then is not None:
                    then()
            elif done.error:
                dialogs.show_error(self.window(), done.error)

        if job is None:
            self.message.emit(what)
            if then is not None:
                then()
            return
        when_done(bridge, job, self, ended)

    def take_checkpoint(self, vm_id: str | None = None,
                        then: Callable[[], None] | None = None) -> None:
        """The VM action "Checkpoint", for ``vm_id`` (default: the VM the pane shows)."""
        vm = vm_id or self._vm_id
        if vm is None:
            return
        api = self._bridge.api
        try:
            name = api.vm(vm).name
        except HvError as err:
            dialogs.show_error(self.window(), err)
            return
        self._run(self.say(f"A checkpoint of {name} was created."), lambda: api.checkpoint(vm),
                  then)

    def apply_selected(self, answer: str | None = None) -> None:
        """Apply… on the selected checkpoint; ``answer`` skips the question ("apply" or
        "take-and-apply")."""
        cid, vm = self.selected_id(), self._vm_id
        if cid is None or vm is None:
            return
        if answer is None:
            ask_apply(self.window(), self.selected_name(),
                      lambda chosen: self._apply(vm, cid, chosen), self.say)
            return
        self._apply(vm, cid, answer)

    def _apply(self, vm: str, cid: str, answer: str) -> None:
        api = self._bridge.api
        name = self._items[cid].text(0) if cid in self._items else cid

        def apply() -> None:
            self._run(f"The checkpoint '{name}' was applied.",
                      lambda: api.apply_checkpoint(vm, cid))

        if answer == "take-and-apply":
            self.take_checkpoint(vm, then=apply)
        else:
            apply()

    def rename_selected(self) -> None:
        """Rename…: edit the name in place; the engine checks it when the editor closes."""
        cid = self.selected_id()
        item = self._items.get(cid or "")
        if item is not None:
            self.tree.editItem(item, 0)

    def rename(self, checkpoint_id: str, name: str) -> None:
        vm = self._vm_id
        if vm is None:
            return
        api = self._bridge.api
        self._key = None  # re-read: a refused name puts the old one back
        self._run(f"The checkpoint was renamed to '{name}'.",
                  lambda: api.rename_checkpoint(vm, checkpoint_id, name))
        self.show_vm(vm, self._vm_name)

    def _on_item_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        if self._filling:
            return
        cid = item.data(0, _ID)
        if not cid:
            return
        # After the editor has closed: renaming rebuilds the tree.
        name = item.text(0).strip()
        QTimer.singleShot(0, self, lambda: self.rename(str(cid), name))

    def delete_selected(self, subtree: bool, confirm: bool = True) -> None:
        cid, vm = self.selected_id(), self._vm_id
        if cid is None or vm is None:
            return
        name = self.selected_name()
        api = self._bridge.api
        say = self.say
        if subtree:
            title = say("Delete Checkpoint Subtree")
            question = (say("Are you sure you want to delete the checkpoint ") + f"'{name}'"
                        + say(" and all the checkpoints taken after it?"))
        else:
            title = say("Delete Checkpoint")
            question = say("Are you sure you want to delete the checkpoint ") + f"'{name}'?"

        def delete() -> None:
            self._run(say("The checkpoint ") + f"'{name}'"
                      f"{' and its subtree' if subtree else ''} was deleted.",
                      lambda: api.delete_checkpoint(vm, cid, subtree=subtree))

        if not confirm:
            delete()
            return
        dialogs.confirm(self.window(), title, question, delete, accept_text="Delete",
                        informative=say("The virtual machine keeps everything written since: "
                                        "the checkpoint's differencing disks are merged (before "
                                        "Windows Server 2012, when the virtual machine is "
                                        "turned off)."))

    def _export(self) -> None:
        if self._open_export is not None and self._vm_id is not None:
            self._open_export(self._vm_id)
