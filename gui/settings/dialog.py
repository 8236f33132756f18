"""Settings… for one VM: Hyper-V's page tree, OK / Cancel / Apply.

The tree lists the pages of the VM's generation, as Hyper-V's does: Hardware
(Add Hardware, BIOS or Firmware, Memory, Processor ▸ Compatibility, NUMA, the controllers
and their drives, network adapters, COM ports, diskette drive), Management, and hvlab's
Guest section. A page with edits not yet applied is shown in bold; one with a field the
engine refuses carries a warning icon.

Apply is enabled only with pending edits and sends them in one ``set_vm`` call. If the
engine refuses, nothing changed: the dialog says why above the page, naming the field, and
shows that field's page. Closing the dialog (title bar, Esc) with edits not applied asks
whether to apply them; Cancel discards them. The VM selector above the tree switches the
dialog to another VM of the host, asking the same question first
(:mod:`hvlab.gui.settings.vm_selector`).

Signals:
    applied(str vm_id): a change set was applied.
"""

from __future__ import annotations

import contextlib
import html

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError, ValidationError
from hvlab.gui import dialogs, ids
from hvlab.gui.bridge import Bridge
from hvlab.gui.icons import icon
from hvlab.gui.settings import prompts
from hvlab.gui.settings.devices import (
    ControllerPage,
    HardDrivePage,
    NetworkAdapterPage,
    com_page,
    diskette_page,
    dvd_page,
)
from hvlab.gui.settings.fields import Page
from hvlab.gui.settings.hardware import (
    AddHardwarePage,
    BootOrderPage,
    CompatibilityPage,
    MemoryPage,
    NumaPage,
    ProcessorPage,
)
from hvlab.gui.settings.management import (
    AutomaticStartPage,
    AutomaticStopPage,
    CheckpointsPage,
    GuestPage,
    IntegrationServicesPage,
    NamePage,
    SmartPagingPage,
)
from hvlab.gui.settings.model import SettingsModel
from hvlab.gui.settings.vm_selector import VmSelector
from hvlab.gui.theme import current_is_dark

KEY_ROLE = Qt.ItemDataRole.UserRole
SUBTITLE_ROLE = Qt.ItemDataRole.UserRole + 1

#: How the banner names a field the engine refused.
FIELD_LABELS = {
    "name": "Name", "notes": "Notes", "group": "Group", "memory_startup_mb": "RAM",
    "dynamic_memory_enabled": "Enable Dynamic Memory", "memory_minimum_mb": "Minimum RAM",
    "memory_maximum_mb": "Maximum RAM", "memory_buffer_pct": "Memory buffer",
    "memory_weight": "Memory weight", "cpu_count": "Number of virtual processors",
    "cpu_reserve_pct": "Virtual machine reserve", "cpu_limit_pct": "Virtual machine limit",
    "cpu_weight": "Relative weight", "hard_drives": "Hard drives",
    "network_adapters": "Network adapters", "scsi_controllers": "SCSI controllers",
    "integration_services": "Integration Services",
    "automatic_start_action": "Automatic Start Action",
    "automatic_start_delay_s": "Startup delay", "automatic_stop_action": "Automatic Stop Action",
    "checkpoint_location": "Checkpoint File Location",
    "smart_paging_location": "Smart Paging File Location", "guest_os": "Guest operating system",
    "guest_is_installed": "Integration services installed", "workload": "Workload",
    "boot_order": "Boot order", "num_lock": "Num Lock", "secure_boot": "Secure Boot",
    "dvd_path": "DVD Drive", "diskette_path": "Diskette Drive", "com1_pipe": "COM 1",
    "com2_pipe": "COM 2",
}


class _TreeDelegate(QStyledItemDelegate):
    """Two lines per page, as Hyper-V shows them: its name, and a grey summary."""

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        if index.data(SUBTITLE_ROLE):
            size.setHeight(size.height() + option.fontMetrics.height())
        return size

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        subtitle = index.data(SUBTITLE_ROLE)
        if not subtitle:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
            text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt,
                                             opt.widget)
        else:  # pragma: no cover
            text_rect = opt.rect
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette = opt.palette
        painter.save()
        line = opt.fontMetrics.height()
        top = QRect(text_rect.left() + 2, text_rect.top() + 1, text_rect.width() - 2, line)
        painter.setFont(opt.font)
        painter.setPen(palette.highlightedText().color() if selected else palette.text().color())
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         opt.fontMetrics.elidedText(title, Qt.TextElideMode.ElideRight,
                                                    top.width()))
        small = QFont(opt.font)
        small.setBold(False)
        painter.setFont(small)
        grey = palette.highlightedText().color() if selected else palette.placeholderText().color()
        painter.setPen(grey)
        bottom = top.translated(0, line)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(str(subtitle),
                                                          Qt.TextElideMode.ElideRight,
                                                          bottom.width()))
        painter.restore()


class VmSettingsDialog(QDialog):
    applied = Signal(str)

    def __init__(self, bridge: Bridge, vm_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        dialogs.dress(self, ids.VM_SETTINGS_DIALOG, "settings")
        self.bridge = bridge
        self.vm_id = vm_id
        self.model = SettingsModel(bridge, vm_id, self)
        self.selector = VmSelector(bridge, vm_id, self)
        self._closing = False
        self._asking = False
        self._deleted = False
        self.pages: dict[str, Page] = {}
        self._items: dict[str, QTreeWidgetItem] = {}
        self._scrolls: dict[str, QScrollArea] = {}
        self._device_keys: dict[tuple[str, int], str] = {}

        self.tree = QTreeWidget()
        ids.apply(self.tree, ids.VM_SETTINGS_TREE)
        self.tree.setHeaderHidden(True)
        self.tree.setItemDelegate(_TreeDelegate(self.tree))
        self.tree.setUniformRowHeights(False)
        self.tree.setIndentation(14)
        self.tree.setMinimumWidth(self.fontMetrics().horizontalAdvance("Legacy Network Adapter")
                                  + 90)
        self.stack = QStackedWidget()
        self.banner = QLabel("")
        self.banner.setObjectName("vmSettingsBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.hide()

        self.buttons, self.ok_button, self.cancel_button, self.apply_button = \
            dialogs.ok_cancel_apply((ids.VM_SETTINGS_OK, ids.VM_SETTINGS_CANCEL,
                                     ids.VM_SETTINGS_APPLY))
        self.ok_button.clicked.connect(self.ok)
        self.cancel_button.clicked.connect(self.cancel)
        self.apply_button.clicked.connect(self.apply)

        self.vm_label = QLabel("")
        self.vm_label.setObjectName("vmSettingsVm")
        font = self.vm_label.font()
        font.setBold(True)
        self.vm_label.setFont(font)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.selector)
        lv.addWidget(self.vm_label)
        lv.addWidget(self.tree, 1)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.banner)
        rv.addWidget(self.stack, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        outer = QVBoxLayout(self)
        outer.addWidget(split, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        outer.addLayout(bottom)

        self.tree.currentItemChanged.connect(self._on_item_changed)
        self._load("memory")
        bridge.vm_state_changed.connect(self._on_vm_state_changed)
        bridge.vm_list_changed.connect(self._on_vm_list_changed)
        self.resize(900, 660)

    def _load(self, page: str) -> None:
        """Build the pages for ``self.model``'s VM and show ``page`` (else Add Hardware)."""
        self._build_static_pages()
        self._rebuild()
        self.model.changed.connect(self._on_changed)
        self.model.structure_changed.connect(self._rebuild)
        self.model.reloaded.connect(self._on_reloaded)
        self._update_title()
        self.show_page(page if page in self.pages else "add_hardware")
        self._on_changed()

    def switch_to(self, vm_id: str) -> None:
        """Show the settings of ``vm_id`` in this dialog (the VM selector; pending edits
        were applied or discarded first), on the same page where it has one."""
        page = self.current_key()
        page = page if not page[-1:].isdigit() else "memory"  # device pages differ per VM
        for key in list(self.pages):
            scroll = self._scrolls.pop(key)
            self.stack.removeWidget(scroll)
            scroll.setParent(None)
            scroll.deleteLater()
        self.pages, self._items, self._device_keys = {}, {}, {}
        self.model.deleteLater()
        self.vm_id = vm_id
        self.model = SettingsModel(self.bridge, vm_id, self)
        self._deleted = False
        self._hide_banner()
        self.ok_button.setEnabled(True)
        self._load(page)

    # -- pages ----------------------------------------------------------------------------
    def _build_static_pages(self) -> None:
        m = self.model
        pages: list[Page] = [AddHardwarePage(m), BootOrderPage(m), MemoryPage(m),
                             ProcessorPage(m), CompatibilityPage(m), NumaPage(m), dvd_page(m),
                             NamePage(m), IntegrationServicesPage(m), CheckpointsPage(m),
                             AutomaticStartPage(m), AutomaticStopPage(m), GuestPage(m)]
        if m.profile.features.smart_paging:  # Smart Paging arrived with 2012
            pages.insert(len(pages) - 3, SmartPagingPage(m))  # after the checkpoints page
        if m.generation == 1:
            pages += [com_page(m, 1), com_page(m, 2), diskette_page(m)]
        for page in pages:
            self._add_page(page)
        add = self.pages["add_hardware"]
        if isinstance(add, AddHardwarePage):
            add.added.connect(self._on_hardware_added)

    def _add_page(self, page: Page) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(page)
        self.stack.addWidget(scroll)
        self.pages[page.key] = page
        self._scrolls[page.key] = scroll
        page.navigate.connect(self._on_navigate)
        page.load()

    def _remove_device_pages(self) -> None:
        for key in list(self.pages):
            page = self.pages[key]
            if isinstance(page, ControllerPage | HardDrivePage | NetworkAdapterPage):
                scroll = self._scrolls.pop(key)
                del self.pages[key]
                self.stack.removeWidget(scroll)
                scroll.setParent(None)  # out of findChild's reach until it is deleted
                scroll.deleteLater()

    def _rebuild(self) -> None:
        """(Re)create the device pages and the tree, keeping the page shown."""
        current = self.current_key()
        current_device = next((dk for dk, k in self._device_keys.items() if k == current), None)
        self._remove_device_pages()
        self._device_keys = {}
        m = self.model
        drives = m.device_list("hard_drives")
        nics = m.device_list("network_adapters")
        disk_pages: dict[tuple[str, int], list[HardDrivePage]] = {}
        for i, d in enumerate(sorted(drives, key=lambda d: (d.value.controller,
                                                             d.value.controller_number,
                                                             d.value.location))):
            disk = HardDrivePage(m, d.uid, f"disk{i}")
            self._device_keys[("hard_drives", d.uid)] = disk.key
            disk_pages.setdefault((d.value.controller, d.value.controller_number),
                                  []).append(disk)
            self._add_page(disk)
        controllers: list[ControllerPage] = []
        if m.generation == 1:
            for n in range(m.profile.limits.ide_controllers):
                controllers.append(ControllerPage(m, "IDE", n, f"ide{n}"))
        for n in range(int(m.value("scsi_controllers"))):
            controllers.append(ControllerPage(m, "SCSI", n, f"scsi{n}"))
        for ctrl in controllers:
            self._add_page(ctrl)
        nic_pages: list[NetworkAdapterPage] = []
        counts = {False: 0, True: 0}
        for d in nics:
            legacy = bool(d.value.legacy)
            key = f"{'legacyNic' if legacy else 'nic'}{counts[legacy]}"
            counts[legacy] += 1
            nic = NetworkAdapterPage(m, d.uid, key, legacy)
            self._device_keys[("network_adapters", d.uid)] = key
            nic_pages.append(nic)
            self._add_page(nic)
        nic_pages.sort(key=lambda p: p.legacy)

        # The tree, in Hyper-V's order.
        self.tree.blockSignals(True)
        self.tree.clear()
        self._items = {}
        hardware = self._section("Hardware", "vm")
        self._item(hardware, "add_hardware")
        self._item(hardware, "bios" if m.generation == 1 else "firmware")
        self._item(hardware, "memory")
        processor = self._item(hardware, "processor")
        self._item(processor, "compatibility")
        self._item(processor, "numa")
        dvd_parent: QTreeWidgetItem | None = None
        for ctrl in controllers:
            item = self._item(hardware, ctrl.key)
            for disk in disk_pages.get((ctrl.controller, ctrl.number), []):
                self._item(item, disk.key)
            if (ctrl.controller, ctrl.number) == (("IDE", 1) if m.generation == 1
                                                   else ("SCSI", 0)):
                dvd_parent = item
        self._item(dvd_parent or hardware, "dvd")
        for nic in nic_pages:
            self._item(hardware, nic.key)
        if m.generation == 1:
            for key in ("com1", "com2", "diskette"):
                self._item(hardware, key)
        management = self._section("Management", "settings")
        for key in ("name", "integration_services", "checkpoints", "smart_paging",
                    "automatic_start", "automatic_stop"):
            if key in self.pages:  # the pages of the host's release
                self._item(management, key)
        guest = self._section("Guest (hvlab)", "vm-running")
        self._item(guest, "guest")
        self.tree.expandAll()
        self.tree.blockSignals(False)
        if current_device is not None and current_device in self._device_keys:
            current = self._device_keys[current_device]
        self.show_page(current if current in self.pages else "add_hardware")
        self._update_tree_marks()

    def _section(self, title: str, icon_name: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([title])
        item.setIcon(0, icon(icon_name))
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.tree.addTopLevelItem(item)
        return item

    def _item(self, parent: QTreeWidgetItem, key: str) -> QTreeWidgetItem:
        page = self.pages[key]
        item = QTreeWidgetItem([page.title])
        item.setData(0, KEY_ROLE, key)
        parent.addChild(item)
        self._items[key] = item
        return item

    # -- navigation -----------------------------------------------------------------------
    def current_key(self) -> str:
        item = self.tree.currentItem()
        return str(item.data(0, KEY_ROLE) or "") if item is not None else ""

    def current_page(self) -> Page | None:
        return self.pages.get(self.current_key())

    def page(self, key: str) -> Page:
        return self.pages[key]

    def page_keys(self) -> list[str]:
        """Every page in tree order."""
        out: list[str] = []

        def walk(item: QTreeWidgetItem | None) -> None:
            if item is None:
                return
            key = item.data(0, KEY_ROLE)
            if key:
                out.append(str(key))
            for i in range(item.childCount()):
                walk(item.child(i))

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i))
        return out

    def device_page_key(self, field: str, uid: int) -> str:
        return self._device_keys.get((field, uid), "")

    def show_page(self, key: str) -> None:
        item = self._items.get(key)
        if item is None:
            return
        if self.tree.currentItem() is not item:
            self.tree.setCurrentItem(item)
        self._show(key)

    def _show(self, key: str) -> None:
        scroll = self._scrolls.get(key)
        if scroll is None:
            return
        self.stack.setCurrentWidget(scroll)
        self.pages[key].refresh()

    def _on_item_changed(self, current: QTreeWidgetItem | None, _old: object) -> None:
        if current is not None and current.data(0, KEY_ROLE):
            self._show(str(current.data(0, KEY_ROLE)))

    def _on_navigate(self, key: str) -> None:
        if key.startswith("device:"):
            _, field, uid = key.split(":")
            key = self.device_page_key(field, int(uid))
        self.show_page(key)

    def _on_hardware_added(self, kind: str, uid: int) -> None:
        if kind == "scsi":
            n = int(self.model.value("scsi_controllers")) - 1
            self.show_page(f"scsi{n}")
        else:
            self.show_page(self.device_page_key("network_adapters", uid))

    # -- state ----------------------------------------------------------------------------
    def _on_changed(self) -> None:
        page = self.current_page()
        if page is not None:
            page.refresh()
        self._update_tree_marks()
        self.apply_button.setEnabled(self.model.has_pending() and not self._deleted)
        if self.banner.isVisible() and self._banner_kind == "refused":
            self._hide_banner()

    def _on_reloaded(self) -> None:
        for page in self.pages.values():
            page.load()
        self._update_title()

    def _update_tree_marks(self) -> None:
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for key, item in self._items.items():
            page = self.pages[key]
            font = item.font(0)
            pending = page.has_pending()
            if font.bold() != pending:
                font.setBold(pending)
                item.setFont(0, font)
            error = page.has_error()
            item.setIcon(0, warning if error else icon("missing"))
            subtitle = page.subtitle()
            if item.data(0, SUBTITLE_ROLE) != subtitle:
                item.setData(0, SUBTITLE_ROLE, subtitle)
            tip = ("Changes not applied yet. " if pending else "") + \
                ("; ".join(self.model.error(f) or self.model.device_errors.get(f, {}).get(
                    getattr(page, "uid", -1), "") for f in page.error_fields()) if error else "")
            item.setToolTip(0, tip.strip())

    def _update_title(self) -> None:
        info = self.model.info
        self.setWindowTitle(f"Settings for {info.name} on {info.host_name}")
        self.vm_label.setText(f"{info.name} ({info.state})")

    def _on_vm_state_changed(self, vm_id: str, _old: str, _new: str, _reason: str) -> None:
        if vm_id == self.vm_id and not self._deleted:
            self.model.refresh_state()
            self._update_title()

    def _on_vm_list_changed(self, _host: str, vm_id: str, change: str) -> None:
        if vm_id != self.vm_id or self._deleted:
            return
        if change == "removed":
            self._deleted = True
            self._show_banner(f"<b>{html.escape(self.model.info.name)} was deleted.</b> "
                              "Its settings can no longer be changed.", "deleted")
            self.ok_button.setEnabled(False)
            self.apply_button.setEnabled(False)
            return
        if change == "config" and not self.model.has_pending():
            # Changed elsewhere (hvctl, the list's rename): show it; nothing typed is lost.
            with contextlib.suppress(HvError):
                if self.bridge.api.vm(self.vm_id).config != self.model.original:
                    self.model.reload()

    # -- the banner -------------------------------------------------------------------------
    _banner_kind = ""

    def _show_banner(self, text: str, kind: str) -> None:
        app = QApplication.instance()
        is_dark = isinstance(app, QApplication) and current_is_dark(app)
        colours = (("#4a1f1f", "#ffd7d5", "#7a3431") if is_dark
                   else ("#fdecea", "#7f1d1d", "#f3b8b4"))
        self.banner.setStyleSheet(f"background: {colours[0]}; color: {colours[1]}; "
                                  f"border: 1px solid {colours[2]}; padding: 6px 8px;")
        self.banner.setText(text)
        self.banner.show()
        self._banner_kind = kind

    def _hide_banner(self) -> None:
        self.banner.hide()
        self.banner.setText("")
        self._banner_kind = ""

    def banner_text(self) -> str:
        return self.banner.text() if self.banner.isVisible() else ""

    # -- applying and closing -------------------------------------------------------------
    def apply(self) -> bool:
        """Send the pending edits as one change set; False (and the reason shown above the
        page, with the field's page selected) if the engine refused."""
        if not self.model.has_pending():
            return True
        try:
            self.bridge.call(self.model.apply)
        except ValidationError as err:
            label = FIELD_LABELS.get(err.field, err.field)
            self._show_banner(f"<b>The changes were not applied.</b> {html.escape(label)}: "
                              f"{html.escape(err.message)}", "refused")
            self._show_field(err.field)
            return False
        except HvError as err:
            self._show_banner(f"<b>The changes were not applied.</b> "
                              f"{html.escape(err.text)}", "refused")
            return False
        self._hide_banner()
        self.applied.emit(self.vm_id)
        return True

    def _show_field(self, field: str) -> None:
        for key in self.page_keys():
            page = self.pages[key]
            if field in page.fields or field in page.error_fields():
                self.show_page(key)
                return

    def ok(self) -> None:
        if self.apply():
            self._close_now()

    def cancel(self) -> None:
        """Discard pending edits and close."""
        self._close_now()

    def _close_now(self) -> None:
        self._closing = True
        super().reject()

    def reject(self) -> None:
        """Esc and the title bar's close button: ask first if edits are not applied."""
        if self._closing or not self.model.has_pending() or self._deleted:
            self._close_now()
            return
        if self._asking:
            return
        self._asking = True
        prompts.ask_unapplied(self, self.model.info.name, self._on_unapplied_answer)

    def _on_unapplied_answer(self, answer: str) -> None:
        self._asking = False
        if answer == prompts.APPLY:
            if self.apply():
                self._close_now()
        elif answer == prompts.DISCARD:
            self._close_now()

    def done(self, result: int) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            self.bridge.vm_state_changed.disconnect(self._on_vm_state_changed)
            self.bridge.vm_list_changed.disconnect(self._on_vm_list_changed)
        self.selector.detach()
        super().done(result)
