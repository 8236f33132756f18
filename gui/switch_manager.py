"""Virtual Switch Manager: a host's virtual switches and its dynamic MAC address range.

Laid out like Hyper-V Manager's dialog: on the left the
*Virtual Switches* (New virtual network switch, then one entry per switch) and *Global
Network Settings* ▸ MAC Address Range; on the right the page of the selected entry. Edits
are pending until Apply or OK: new switches, changed ones and removed ones are kept as
drafts and sent to the engine in that order. The engine validates; its errors are shown
with the field they are about, and that field is selected. Changes that touch an external
switch first warn that they may disrupt network connectivity, as Hyper-V does.

hvlab adds one thing Hyper-V hides: each switch page lists the virtual machines' network
adapters connected to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError, ValidationError
from hvlab.gui import dialogs, ids
from hvlab.gui.dialogs import HostDialog
from hvlab.gui.forms import named_button
from hvlab.gui.icons import icon
from hvlab.gui.switch_edits import TYPES, ApplyRefused, PendingEdits, SwitchDraft, SwitchEdits

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge

#: What each connection type is for (Hyper-V's descriptions, shortened).
TYPE_TEXT = {
    "External": "Creates a virtual switch that binds to the physical network adapter so that "
                "virtual machines can access a physical network.",
    "Internal": "Creates a virtual switch that can be used only by the virtual machines "
                "that run on this physical computer, and between the virtual machines and "
                "the physical computer. It does not connect to a physical network.",
    "Private": "Creates a virtual switch that can be used only by the virtual machines that "
               "run on this physical computer.",
}

#: Engine field names (ValidationError.field) and the label of the control they belong to.
FIELD_LABELS = {
    "name": "Name",
    "switch_type": "Connection type",
    "nic": "External network",
    "allow_management_os": "Allow management operating system to share this network adapter",
    "management_vlan_id": "VLAN ID",
    "notes": "Notes",
    "mac_minimum": "Minimum (MAC Address Range)",
    "mac_maximum": "Maximum (MAC Address Range)",
}

DISRUPT_TITLE = "Apply Networking Changes"
DISRUPT_TEXT = "Pending changes may disrupt network connectivity."
DISRUPT_INFO = ("These changes affect an external virtual switch bound to a physical network "
                "adapter of the host. Network connections of the management operating system "
                "and of virtual machines using it may be interrupted while the switch is "
                "reconfigured. Are you sure you want to apply them?")


def _error_label() -> QLabel:
    """Where the engine's refusal of a field is shown (hidden until then)."""
    label = QLabel("")
    label.setWordWrap(True)
    label.setStyleSheet("color: #c42b1c;")
    label.hide()
    return label


def _section_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "sectionHeader")
    return label


class _NewSwitchPage(QWidget):
    """New virtual network switch: the type, and Create Virtual Switch.

    Signals:
        create_requested(str switch_type)
    """

    create_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 0, 0)
        layout.addWidget(_section_label("Create virtual switch"))
        layout.addWidget(QLabel("What type of virtual switch do you want to create?"))
        self.new_type = QListWidget()
        ids.apply(self.new_type, ids.SWITCH_NEW_TYPE)
        for kind in TYPES:
            self.new_type.addItem(QListWidgetItem(icon("host") if kind == "External"
                                                  else icon("vm"), kind))
        self.new_type.setMaximumHeight(self.new_type.sizeHintForRow(0) * 3 + 8)
        self.new_type.setCurrentRow(0)
        layout.addWidget(self.new_type)
        self.create_button = named_button("Create Virtual Switch", ids.SWITCH_CREATE)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.create_button)
        layout.addLayout(row)
        self.new_type_text = QLabel(TYPE_TEXT["External"])
        self.new_type_text.setWordWrap(True)
        layout.addWidget(self.new_type_text)
        layout.addStretch(1)
        self.new_type.currentRowChanged.connect(
            lambda r: self.new_type_text.setText(TYPE_TEXT[TYPES[max(r, 0)]]))
        self.new_type.itemDoubleClicked.connect(lambda _i: self.create_button.click())
        self.create_button.clicked.connect(lambda: self.create_requested.emit(
            TYPES[max(self.new_type.currentRow(), 0)]))


class _MacRangePage(QWidget):
    """Global Network Settings ▸ MAC Address Range.

    Signals:
        edited(): the user changed the minimum or the maximum.
    """

    edited = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 0, 0)
        layout.addWidget(_section_label("MAC Address Range"))
        text = QLabel("Specify the range of dynamic media access control (MAC) addresses that "
                      "are assigned to virtual network adapters. A virtual machine's adapters "
                      "get an address from this range when it first starts.")
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.mac_min = QLineEdit()
        ids.apply(self.mac_min, ids.SWITCH_MAC_MINIMUM)
        self.mac_max = QLineEdit()
        ids.apply(self.mac_max, ids.SWITCH_MAC_MAXIMUM)
        for edit in (self.mac_min, self.mac_max):
            edit.setPlaceholderText("00-15-5D-00-00-00")
            edit.setMaxLength(17)
            edit.setFixedWidth(edit.fontMetrics().horizontalAdvance("00-15-5D-00-00-00") + 24)
            edit.textEdited.connect(self._on_edited)
        form.addRow("M&inimum:", self.mac_min)
        form.addRow("Ma&ximum:", self.mac_max)
        layout.addLayout(form)
        self.mac_size = QLabel("")
        self.mac_size.setProperty("role", "note")
        layout.addWidget(self.mac_size)
        self.mac_error = _error_label()
        layout.addWidget(self.mac_error)
        layout.addStretch(1)

    def set_range(self, minimum: str, maximum: str) -> None:
        """Show the engine's range (not an edit)."""
        self.mac_min.setText(minimum)
        self.mac_max.setText(maximum)
        self._show_size()

    def show_error(self, text: str, field: str) -> None:
        self.mac_error.setText(text)
        self.mac_error.show()
        (self.mac_max if field == "mac_maximum" else self.mac_min).setFocus()

    def _on_edited(self, _text: str) -> None:
        self.mac_error.hide()
        self._show_size()
        self.edited.emit()

    def _show_size(self) -> None:
        try:
            lo = int(self.mac_min.text().replace("-", ""), 16)
            hi = int(self.mac_max.text().replace("-", ""), 16)
        except ValueError:
            self.mac_size.setText("")
            return
        count = hi - lo + 1
        self.mac_size.setText(f"{count:,} addresses." if count > 0 else "")


class SwitchManagerDialog(HostDialog):
    """Virtual Switch Manager for one host ("Virtual Network Manager" on 2008 and 2008 R2)."""

    def __init__(self, bridge: Bridge, host_id: str | None = None,
                 parent: QWidget | None = None) -> None:
        #: The host release's name for this window, from its profile's words.
        self.window_name = bridge.api.host_profile(host_id).words.switch_manager
        super().__init__(bridge, host_id, ids.SWITCH_DIALOG, self.window_name,
                         "host-settings", (ids.SWITCH_OK, ids.SWITCH_CANCEL, ids.SWITCH_APPLY),
                         parent)
        self.edits = SwitchEdits(bridge, self.host_id)
        self._loading = False
        self._current: SwitchDraft | None = None

        # -- left: the tree -----------------------------------------------------------------------
        self.tree = QTreeWidget()
        ids.apply(self.tree, ids.SWITCH_TREE)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setMinimumWidth(self.fontMetrics().horizontalAdvance(
            "Intel(R) 82576 Gigabit Dual Port Netw") + 40)
        bold = QFont(self.font())
        bold.setBold(True)
        self._switches_root = QTreeWidgetItem(["Virtual Switches"])
        self._switches_root.setFont(0, bold)
        self._switches_root.setData(0, Qt.ItemDataRole.UserRole, ("new", None))
        self._new_item = QTreeWidgetItem(self._switches_root, ["New virtual network switch"])
        self._new_item.setIcon(0, icon("new-vm"))
        self._new_item.setData(0, Qt.ItemDataRole.UserRole, ("new", None))
        self._global_root = QTreeWidgetItem(["Global Network Settings"])
        self._global_root.setFont(0, bold)
        self._global_root.setData(0, Qt.ItemDataRole.UserRole, ("mac", None))
        self._mac_item = QTreeWidgetItem(self._global_root, ["MAC Address Range"])
        self._mac_item.setIcon(0, icon("settings"))
        self._mac_item.setData(0, Qt.ItemDataRole.UserRole, ("mac", None))
        self.tree.addTopLevelItems([self._switches_root, self._global_root])

        # -- right: the pages ---------------------------------------------------------------------
        self.stack = QStackedWidget()
        self.new_page = _NewSwitchPage()
        self.new_page.create_requested.connect(self.new_switch)
        self.switch_page = self._make_switch_page()
        self.mac_page = _MacRangePage()
        self.mac_page.edited.connect(self._update_buttons)
        for page in (self.new_page, self.switch_page, self.mac_page):
            self.stack.addWidget(page)

        self.buttons.accepted.connect(lambda: self.apply(close=True))
        self.buttons.rejected.connect(self.reject)
        self.apply_button.clicked.connect(lambda: self.apply())

        top = QHBoxLayout()
        top.addWidget(self.tree)
        top.addWidget(self.stack, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(top, 1)
        outer.addWidget(self.buttons)

        self.tree.currentItemChanged.connect(self._on_current_item)
        self._reload()
        self.tree.expandAll()
        self.tree.setCurrentItem(self._new_item)
        self.resize(860, 600)

    # -- pages ------------------------------------------------------------------------------------
    def _make_switch_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 0, 0, 0)
        layout.addWidget(_section_label("Virtual Switch Properties"))
        form = QFormLayout()
        self.name_edit = QLineEdit()
        ids.apply(self.name_edit, ids.SWITCH_NAME)
        self.notes_edit = QPlainTextEdit()
        ids.apply(self.notes_edit, ids.SWITCH_NOTES)
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(self.fontMetrics().height() * 3 + 12)
        form.addRow("&Name:", self.name_edit)
        form.addRow("N&otes:", self.notes_edit)
        layout.addLayout(form)

        kind = QGroupBox("Connection type")
        kind_layout = QVBoxLayout(kind)
        kind_layout.addWidget(QLabel("What do you want to connect this virtual switch to?"))
        self.type_buttons = QButtonGroup(self)
        self.external = QRadioButton("&External network:")
        ids.apply(self.external, ids.SWITCH_EXTERNAL)
        self.nic_combo = QComboBox()
        ids.apply(self.nic_combo, ids.SWITCH_NIC)
        self.nic_combo.addItems(list(self.edits.nics))
        self.allow_os = QCheckBox(
            "&Allow management operating system to share this network adapter")
        ids.apply(self.allow_os, ids.SWITCH_ALLOW_MANAGEMENT_OS)
        self.internal = QRadioButton("&Internal network")
        ids.apply(self.internal, ids.SWITCH_INTERNAL)
        self.private = QRadioButton("&Private network")
        ids.apply(self.private, ids.SWITCH_PRIVATE)
        for i, button in enumerate((self.external, self.internal, self.private)):
            self.type_buttons.addButton(button, i)
        kind_layout.addWidget(self.external)
        indented = QVBoxLayout()
        indented.setContentsMargins(24, 0, 0, 0)
        indented.addWidget(self.nic_combo)
        indented.addWidget(self.allow_os)
        kind_layout.addLayout(indented)
        kind_layout.addWidget(self.internal)
        kind_layout.addWidget(self.private)
        layout.addWidget(kind)

        vlan = QGroupBox("VLAN ID")
        vlan_layout = QVBoxLayout(vlan)
        self.vlan_enabled = QCheckBox(
            "Enable &virtual LAN identification for management operating system")
        ids.apply(self.vlan_enabled, ids.SWITCH_VLAN_ENABLED)
        vlan_text = QLabel("The VLAN identifier specifies the virtual LAN that the management "
                           "operating system will use for all network communications through "
                           "this network adapter. This setting does not affect virtual "
                           "machine networking.")
        vlan_text.setWordWrap(True)
        vlan_text.setProperty("role", "hint")
        self.vlan_id = QSpinBox()
        ids.apply(self.vlan_id, ids.SWITCH_VLAN_ID)
        self.vlan_id.setRange(1, 4094)
        vlan_row = QHBoxLayout()
        vlan_row.setContentsMargins(24, 0, 0, 0)
        vlan_row.addWidget(self.vlan_id)
        vlan_row.addStretch(1)
        vlan_layout.addWidget(self.vlan_enabled)
        vlan_layout.addWidget(vlan_text)
        vlan_layout.addLayout(vlan_row)
        layout.addWidget(vlan)

        layout.addWidget(QLabel("Connected network adapters:"))
        self.adapters = QListWidget()
        ids.apply(self.adapters, ids.SWITCH_ADAPTERS)
        self.adapters.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.adapters.setMaximumHeight(self.fontMetrics().height() * 4 + 10)
        layout.addWidget(self.adapters)

        self.error_label = _error_label()
        layout.addWidget(self.error_label)
        bottom = QHBoxLayout()
        self.pending_label = QLabel("")
        self.pending_label.setProperty("role", "note")
        bottom.addWidget(self.pending_label, 1)
        self.remove_button = QPushButton(icon("delete"), "&Remove")
        ids.apply(self.remove_button, ids.SWITCH_REMOVE)
        bottom.addWidget(self.remove_button)
        layout.addLayout(bottom)
        layout.addStretch(1)

        self.name_edit.textEdited.connect(lambda t: self._edit(name=t))
        self.notes_edit.textChanged.connect(
            lambda: self._edit(notes=self.notes_edit.toPlainText()))
        self.type_buttons.idToggled.connect(self._on_type_toggled)
        self.nic_combo.currentTextChanged.connect(lambda t: self._edit(nic=t or None))
        self.allow_os.toggled.connect(lambda on: self._edit(allow_management_os=on))
        self.vlan_enabled.toggled.connect(lambda on: self._edit(vlan_enabled=on))
        self.vlan_id.valueChanged.connect(lambda v: self._edit(vlan_id=v))
        self.remove_button.clicked.connect(self.remove_current)
        return page

    # -- loading from the engine ------------------------------------------------------------------
    def _reload(self) -> None:
        """Read switches and the MAC range from the engine, dropping every pending edit."""
        self.edits.reload()
        self.mac_page.set_range(*self.edits.mac_base)
        self._rebuild_items()

    def on_tick(self, _snap: object) -> None:
        """Follow the engine: connected adapters always; switches only while nothing is
        pending (so the user's edits are never overwritten)."""
        try:
            views = {s.name: s for s in self.bridge.api.switches(self.host_id)}
        except HvError:
            return
        if self.pending_edits():
            self.edits.follow(views)
        elif views != self.edits.base:
            current = self._current.original if self._current else None
            self._reload()
            if current is not None:
                self.select_switch(current)
            return
        self._show_adapters()

    # -- the tree ---------------------------------------------------------------------------------
    def _rebuild_items(self) -> None:
        selected = self._current
        self.tree.blockSignals(True)
        self._switches_root.takeChildren()  # the switches, and "New" which comes back first
        self._switches_root.addChild(self._new_item)
        for index, draft in enumerate(self.edits.drafts):
            if draft.removed:
                continue
            item = QTreeWidgetItem(self._switches_root, [self._item_text(draft)])
            item.setIcon(0, icon("host") if draft.type == "External" else icon("vm"))
            item.setData(0, Qt.ItemDataRole.UserRole, ("switch", index))
            item.setToolTip(0, f"{draft.name}: {draft.type} — {draft.subtitle()}")
        self.tree.blockSignals(False)
        if selected is not None and not selected.removed and selected in self.edits.drafts:
            self._select_draft(selected)
        self._update_buttons()

    @staticmethod
    def _item_text(draft: SwitchDraft) -> str:
        return f"{draft.name}\n{draft.subtitle()}"

    def _item_of(self, draft: SwitchDraft) -> QTreeWidgetItem | None:
        index = self.edits.drafts.index(draft)
        for i in range(1, self._switches_root.childCount()):
            item = self._switches_root.child(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == ("switch", index):
                return item
        return None

    def _select_draft(self, draft: SwitchDraft) -> None:
        item = self._item_of(draft)
        if item is not None:
            self.tree.setCurrentItem(item)

    def select_switch(self, name: str) -> bool:
        """Show the page of the switch called ``name`` (as named in the dialog now)."""
        for draft in self.edits.shown():
            if draft.name == name:
                self._select_draft(draft)
                return True
        return False

    def show_mac_range(self) -> None:
        self.tree.setCurrentItem(self._mac_item)

    def switch_names(self) -> list[str]:
        """The switches the list shows now, pending edits included."""
        return [d.name for d in self.edits.shown()]

    def _on_current_item(self, item: QTreeWidgetItem | None, _old: object) -> None:
        data = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        kind, index = data if data else ("new", None)
        if kind == "switch" and index is not None:
            self._current = self.edits.drafts[index]
            self._show_draft(self._current)
            self.stack.setCurrentWidget(self.switch_page)
        elif kind == "mac":
            self._current = None
            self.stack.setCurrentWidget(self.mac_page)
        else:
            self._current = None
            self.stack.setCurrentWidget(self.new_page)

    # -- the switch page ---------------------------------------------------------------------------
    def _show_draft(self, d: SwitchDraft) -> None:
        self._loading = True
        try:
            if self.name_edit.text() != d.name:
                self.name_edit.setText(d.name)
            if self.notes_edit.toPlainText() != d.notes:
                self.notes_edit.setPlainText(d.notes)
            {"External": self.external, "Internal": self.internal,
             "Private": self.private}[d.type].setChecked(True)
            if d.nic:
                self.nic_combo.setCurrentText(d.nic)
            self.allow_os.setChecked(d.allow_management_os)
            self.vlan_enabled.setChecked(d.vlan_enabled)
            self.vlan_id.setValue(d.vlan_id)
        finally:
            self._loading = False
        self._enable_fields(d)
        self._show_adapters()
        self.error_label.hide()
        self.pending_label.setText("This virtual switch is created when you click Apply or OK."
                                   if d.original is None else "")

    def _enable_fields(self, d: SwitchDraft) -> None:
        external = d.type == "External"
        self.nic_combo.setEnabled(external)
        self.allow_os.setEnabled(external)
        # The management OS has an adapter on External (when shared) and Internal switches.
        vlan_ok = d.type == "Internal" or (external and d.allow_management_os)
        self.vlan_enabled.setEnabled(vlan_ok)
        self.vlan_id.setEnabled(vlan_ok and d.vlan_enabled)

    def _show_adapters(self) -> None:
        d = self._current
        rows = list(d.adapters) if d is not None else []
        if not rows:
            rows = ["No virtual machine network adapter is connected to this switch."]
        if [self.adapters.item(i).text() for i in range(self.adapters.count())] != rows:
            self.adapters.clear()
            self.adapters.addItems(rows)

    def _on_type_toggled(self, index: int, on: bool) -> None:
        if on:
            self._edit(type=TYPES[index])

    def _edit(self, **changes: object) -> None:
        d = self._current
        if self._loading or d is None:
            return
        for key, value in changes.items():
            setattr(d, key, value)
        if d.type == "External" and not d.nic:
            d.nic = self.edits.free_nic(d) or self.nic_combo.currentText() or None
            self._loading = True
            if d.nic:
                self.nic_combo.setCurrentText(d.nic)
            self._loading = False
        self._enable_fields(d)
        item = self._item_of(d)
        if item is not None:
            item.setText(0, self._item_text(d))
            item.setIcon(0, icon("host") if d.type == "External" else icon("vm"))
        self.error_label.hide()
        self._update_buttons()

    def new_switch(self, switch_type: str) -> SwitchDraft:
        """New virtual network switch ▸ Create Virtual Switch: a pending switch, selected."""
        draft = self.edits.new_draft(switch_type)
        self._rebuild_items()
        self._select_draft(draft)
        self.name_edit.setFocus()
        self.name_edit.selectAll()
        return draft

    def remove_current(self) -> None:
        """Remove: the switch disappears from the list; it is deleted on Apply."""
        d = self._current
        if d is None:
            return
        self.edits.remove(d)
        self._current = None
        self._rebuild_items()
        self.tree.setCurrentItem(self._new_item)

    # -- pending edits and Apply ----------------------------------------------------------------
    def pending_edits(self) -> PendingEdits:
        return self.edits.pending(self.mac_page.mac_min.text(), self.mac_page.mac_max.text())

    def _update_buttons(self) -> None:
        self.apply_button.setEnabled(bool(self.pending_edits()))

    def apply(self, *, close: bool = False) -> None:
        """Apply (or OK with ``close``): warn first when an external switch is affected."""
        pending = self.pending_edits()
        if not pending:
            if close:
                self.accept()
            return
        if pending.touches_external(self.edits.base):
            dialogs.confirm(self, DISRUPT_TITLE, DISRUPT_TEXT,
                            lambda: self._commit(pending, close),
                            accept_text="Yes",
                            informative=DISRUPT_INFO)
        else:
            self._commit(pending, close)

    def _commit(self, pending: PendingEdits, close: bool) -> None:
        try:
            self.edits.apply(pending)
        except ApplyRefused as refused:
            self._rebuild_items()
            self._show_failure(refused.error, refused.draft, refused.step)
            return
        self._reload()
        if close:
            self.accept()

    def _show_failure(self, err: HvError, draft: SwitchDraft | None, step: str) -> None:
        """Select the page and the field the engine refused, then show its message."""
        fld = err.field if isinstance(err, ValidationError) else ""
        label = FIELD_LABELS.get(fld, fld)
        details: list[str] = []
        if draft is not None:
            details.append(f"Virtual switch: {draft.name}")
            self._select_draft(draft)
            widget = {"name": self.name_edit, "nic": self.nic_combo,
                      "management_vlan_id": self.vlan_id, "notes": self.notes_edit,
                      "switch_type": self.external}.get(fld)
            if label:
                details.append(f"Field: {label}")
                self.error_label.setText(f"{label}: {err.message}")
                self.error_label.show()
            if widget is not None:
                widget.setFocus()
        elif step == "mac":
            self.show_mac_range()
            if label:
                details.append(f"Field: {label}")
            self.mac_page.show_error(f"{label}: {err.message}" if label else err.message, fld)
        self._update_buttons()
        dialogs.show_error(self, err, details, title=self.window_name)
