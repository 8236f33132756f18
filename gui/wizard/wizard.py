"""New ▸ Virtual Machine…: Hyper-V's New Virtual Machine Wizard, with an expert mode.

Guided, it walks Hyper-V's pages with the steps listed on the
left: Before You Begin, Specify Name and Location, Specify Generation (only where the host's
profile offers generation 2), Assign Memory, Configure Networking, Connect Virtual Hard Disk,
Installation Options, Summary. Expert Mode (as VirtualBox has it) shows every field on one
page. Both modes edit the same widgets, so switching loses nothing.

After every edit the whole set of choices is dry-run against the engine
(``ManagementApi.validate_new_vm``); each message appears under its field, Next stays disabled
while the page shows one, and Finish while any page does. Pages after an invalid one cannot
be jumped to. "Do not show this page again" is kept with QSettings
(:data:`SETTINGS_ORGANIZATION`/:data:`SETTINGS_APPLICATION`; tests replace
:func:`wizard_settings`).

Signals:
    created(str vm_id)
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.bridge import Bridge
from hvlab.gui.forms import named_button
from hvlab.gui.icons import icon
from hvlab.gui.settings.fields import error_colour
from hvlab.gui.user_settings import SKIP_INTRO_KEY  # Reset Check Boxes clears it
from hvlab.gui.wizard.choices import (
    DEFAULT_NAME,
    PAGE_TITLES,
    SLOTS,
    NewVmChoices,
    check,
    create_fields,
)
from hvlab.gui.wizard.pages import (
    DiskPanel,
    GenerationPanel,
    InstallPanel,
    IntroPanel,
    MemoryPanel,
    NamePanel,
    NetworkPanel,
    Panel,
    SummaryPanel,
)

if TYPE_CHECKING:
    from hvlab.engine.api import VmInfo

SETTINGS_ORGANIZATION = "hvlab"
SETTINGS_APPLICATION = "hvlab"
EXPERT_KEY = "newVirtualMachineWizard/expertMode"


def wizard_settings() -> QSettings:
    """Where the wizard keeps "Do not show this page again" and the last mode used."""
    return QSettings(SETTINGS_ORGANIZATION, SETTINGS_APPLICATION)


def free_name(taken_names: list[str], base: str = DEFAULT_NAME) -> str:
    taken = {n.casefold() for n in taken_names}
    if base.casefold() not in taken:
        return base
    n = 2
    while f"{base} {n}".casefold() in taken:
        n += 1
    return f"{base} {n}"


class NewVmWizard(QDialog):
    created = Signal(str)

    def __init__(self, bridge: Bridge, host_id: str | None, groups: list[str],
                 parent: QWidget | None = None, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        dialogs.dress(self, ids.NEW_VM_DIALOG, "new-vm", "New Virtual Machine Wizard")
        self.bridge = bridge
        self.settings = settings if settings is not None else wizard_settings()
        api = bridge.api
        self.host = api.host(host_id)
        self.limits = api.host_profile(self.host.id).limits  # options applied (KB956710)
        names = [v.name for v in api.vms(self.host.id)]
        self._probe_name = free_name(names, "hvlab wizard name check")
        self.errors: dict[str, str] = {}
        self.choices = NewVmChoices()

        skip = bool(self.settings.value(SKIP_INTRO_KEY, False, type=bool))
        self.intro = IntroPanel(skip)
        self.name_panel = NamePanel(free_name(names), self.host, groups)
        self.generation = GenerationPanel() if 2 in self.host.generations else None
        self.memory = MemoryPanel(self.host, self._ram_limit(1))
        self.network = NetworkPanel([(s.name, s.type) for s in api.switches(self.host.id)])
        # New disks go to the library's folder for virtual hard disks (real files), as the
        # New Virtual Hard Disk wizard's do.
        self.disk = DiskPanel(api.vhd_folder(), self.name_panel.name.text(),
                              self.limits.vhd_max_gb)
        guests = api.guest_os_list()
        self._guest_family = {g.id: g.family for g in guests}
        self.install = InstallPanel(guests)
        self.summary = SummaryPanel()
        self.panels: list[Panel] = [self.intro, self.name_panel]
        if self.generation is not None:
            self.panels.append(self.generation)
        self.panels += [self.memory, self.network, self.disk, self.install, self.summary]
        self.keys = [p.key for p in self.panels]

        # -- layout ------------------------------------------------------------------------
        self.header = QLabel("")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.header.setFont(font)
        self.header_icon = QLabel()
        self.header_icon.setPixmap(icon("new-vm").pixmap(32, 32))
        header = QHBoxLayout()
        header.addWidget(self.header_icon)
        header.addWidget(self.header, 1)
        self.steps = QListWidget()
        ids.apply(self.steps, ids.WIZARD_STEPS)
        for key in self.keys:
            item = QListWidgetItem(PAGE_TITLES[key])
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.steps.addItem(item)
        bold = QFont(self.font())
        bold.setBold(True)
        self.steps.setFixedWidth(QFontMetrics(bold).horizontalAdvance(
            "Connect Virtual Hard Disk") + 36)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setFrameShape(QListWidget.Shape.NoFrame)
        self.steps.setSpacing(3)
        body = QWidget()
        self.body_layout = QVBoxLayout(body)
        self.body_layout.setContentsMargins(12, 4, 12, 4)
        self.body_layout.setSpacing(16)
        for panel in self.panels:
            self.body_layout.addWidget(panel)
            panel.edited.connect(self._on_edited)
        self.body_layout.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setWidget(body)
        self.banner = QLabel("")
        self.banner.setObjectName("newVmBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.hide()

        self.expert_button = named_button("Expert Mode", ids.WIZARD_EXPERT)
        self.expert_button.setCheckable(True)
        self.previous_button = named_button("< &Previous", ids.WIZARD_PREVIOUS)
        self.next_button = named_button("&Next >", ids.WIZARD_NEXT)
        self.finish_button = named_button("&Finish", ids.WIZARD_FINISH)
        self.cancel_button = named_button("Cancel", ids.NEW_VM_CANCEL)
        buttons = QHBoxLayout()
        buttons.addWidget(self.expert_button)
        buttons.addStretch(1)
        for b in (self.previous_button, self.next_button, self.finish_button,
                  self.cancel_button):
            buttons.addWidget(b)

        middle = QHBoxLayout()
        middle.addWidget(self.steps)
        right = QVBoxLayout()
        right.addWidget(self.banner)
        right.addWidget(self.scroll_area, 1)
        middle.addLayout(right, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(header)
        outer.addLayout(middle, 1)
        outer.addLayout(buttons)

        self.steps.currentRowChanged.connect(self._on_step_clicked)
        self.previous_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        self.finish_button.clicked.connect(self.finish)
        self.cancel_button.clicked.connect(self.reject)
        self.expert_button.toggled.connect(self.set_expert)
        self.intro.skip.toggled.connect(self._on_skip_toggled)

        self._index = 1 if skip else 0
        self._expert = False
        self._on_edited()
        self.set_expert(bool(self.settings.value(EXPERT_KEY, False, type=bool)))

    # -- reading the pages -----------------------------------------------------------------
    def _ram_limit(self, generation: int) -> int:
        return self.limits.ram_per_vm_mb.get(generation, 0)

    def collect(self) -> NewVmChoices:
        c = NewVmChoices()
        for panel in self.panels:
            panel.read(c)
        return c

    def _on_edited(self) -> None:
        c = self.collect()
        self.disk.follow_vm_name(c.name)
        self.install.suit_generation(c.generation)
        c = self.collect()
        self.choices = c
        api = self.bridge.api
        self.errors = check(
            c, lambda name, **f: api.validate_new_vm(name, host=self.host.id, **f),
            self._ram_limit(c.generation), self.limits.vhd_max_gb, self._probe_name)
        for panel in self.panels:
            panel.show_messages(self.page_errors(panel.key))
        self._show_fit(c)
        self.summary.summary.setText(self._summary_html(c))
        self.install.network.setEnabled(c.switch is not None or c.install_mode == "network")
        self.install.network.setToolTip("" if c.switch is not None else
                                        "Connect the network adapter to a virtual switch first.")
        self._update_buttons()
        if self.banner.isVisible():
            self.banner.hide()

    def page_errors(self, key: str) -> dict[str, str]:
        """{slot: message} for one page."""
        out: dict[str, str] = {}
        for field, message in self.errors.items():
            page, slot = SLOTS.get(field, ("summary", "other"))
            if page == key:
                out.setdefault(slot, message)
        return out

    def _first_invalid(self) -> int:
        for i, key in enumerate(self.keys):
            if self.page_errors(key):
                return i
        return len(self.keys)

    def _show_fit(self, c: NewVmChoices) -> None:
        check_ = self.bridge.api.memory_check(c.memory_mb, self.host.id)
        if check_.ok:
            text = (f"Available now: {check_.available_mb:,} MB. With this much startup memory "
                    f"the virtual machine needs {check_.needed_mb:,} MB to start (startup "
                    "memory plus overhead), so it fits now.")
        else:
            text = f"It would not start now. {check_.reason}"
        self.memory.fit.setText(text)

    def _summary_html(self, c: NewVmChoices) -> str:
        e = html.escape
        rows = [("Name", c.name), ("Group", c.group or "None"),
                ("Generation", f"Generation {c.generation}"),
                ("Memory", f"{c.memory_mb:,} MB" + (" (Dynamic Memory)" if c.dynamic_memory
                                                    else "")),
                ("Network", c.switch or "Not Connected")]
        if c.store_elsewhere:
            rows.insert(1, ("Location", c.vm_folder))
        if c.disk_mode == "new":
            rows.append(("Hard Disk", f"{c.new_disk_path} (VHD, Dynamically Expanding, "
                                      f"{c.disk_size_gb:,} GB)"))
        elif c.disk_mode == "existing":
            rows.append(("Hard Disk", c.disk_path))
        else:
            rows.append(("Hard Disk", "None (attach a virtual hard disk later)"))
        guest = self.install.guest_os.currentText()
        rows.append(("Operating System", {
            "later": f"Will be installed at a later time ({guest})",
            "image": f"Will be installed from {c.image_path} ({guest})",
            "network": f"Will be installed from a network-based installation server ({guest})",
        }[c.install_mode]))
        if c.generation == 2:
            # Hyper-V's wizard leaves Secure Boot on with the Microsoft Windows template,
            # which refuses a Linux boot loader: say so before the VM stops at the summary.
            secure = "On (Microsoft Windows template)"
            if self._guest_family.get(self.install.guest_os.currentData() or "") == "linux":
                secure += (". It refuses this guest's boot loader: turn Secure Boot off in "
                           "Settings ▸ Firmware before you start the virtual machine")
            rows.append(("Secure Boot", secure))
        rows.append(("Virtual processors", "1 (change it in Settings after creating)"))
        body = "".join(f"<tr><td style='padding-right:16px'><b>{e(k)}:</b></td>"
                       f"<td>{e(v)}</td></tr>" for k, v in rows)
        return f"<table cellspacing='3'>{body}</table>"

    # -- navigation ------------------------------------------------------------------------
    @property
    def current_key(self) -> str:
        return self.keys[self._index]

    @property
    def expert_mode(self) -> bool:
        return self._expert

    def go_to(self, key: str) -> bool:
        """Show page ``key``; refused (False) past the first page with a message."""
        index = self.keys.index(key)
        if index > self._first_invalid():
            return False
        self._index = index
        self._show_current()
        return True

    def next(self) -> None:
        if self.next_button.isEnabled() and self._index + 1 < len(self.keys):
            self._index += 1
            self._show_current()

    def previous(self) -> None:
        if self._index > 0:
            self._index -= 1
            self._show_current()

    def _on_step_clicked(self, row: int) -> None:
        if row < 0 or row == self._index or self._expert:
            return
        if not self.go_to(self.keys[row]):
            self._sync_steps()

    def _sync_steps(self) -> None:
        self.steps.blockSignals(True)
        self.steps.setCurrentRow(self._index)
        self.steps.blockSignals(False)

    def _show_current(self) -> None:
        for i, panel in enumerate(self.panels):
            if self._expert:
                panel.setVisible(panel.key not in ("intro", "summary"))
            else:
                panel.setVisible(i == self._index)
            panel.heading.setVisible(self._expert)
            panel.expert(self._expert)
        self.header.setText("New Virtual Machine (Expert Mode)" if self._expert
                            else PAGE_TITLES[self.current_key])
        self._sync_steps()
        self.scroll_area.verticalScrollBar().setValue(0)
        self._update_buttons()
        if not self._expert:
            focus = {"name": self.name_panel.name, "memory": self.memory.memory,
                     "network": self.network.switch, "disk": self.disk.new,
                     "install": self.install.later}.get(self.current_key)
            if focus is not None:
                focus.setFocus()

    def _update_buttons(self) -> None:
        expert = self._expert
        current_ok = not self.page_errors(self.current_key)
        self.previous_button.setVisible(not expert)
        self.next_button.setVisible(not expert)
        self.steps.setVisible(not expert)
        self.previous_button.setEnabled(self._index > 0)
        self.next_button.setEnabled(current_ok and self._index + 1 < len(self.keys))
        self.finish_button.setEnabled(not self.errors)
        reason = next(iter(self.errors.values()), "")
        self.finish_button.setToolTip(reason)
        self.next_button.setToolTip("" if current_ok else
                                    next(iter(self.page_errors(self.current_key).values()), ""))
        last_ok = self._first_invalid()
        for i in range(self.steps.count()):
            item = self.steps.item(i)
            flags = Qt.ItemFlag.ItemIsSelectable
            if i <= last_ok:
                flags |= Qt.ItemFlag.ItemIsEnabled
            item.setFlags(flags)
            font = item.font()
            font.setBold(i == self._index)
            item.setFont(font)
        default = self.finish_button if expert or self._index == len(self.keys) - 1 \
            else self.next_button
        default.setDefault(True)

    def set_expert(self, on: bool) -> None:
        """Expert Mode: every field on one page (the choices are kept)."""
        self._expert = on
        if self.expert_button.isChecked() != on:
            self.expert_button.setChecked(on)
        # The button says what it switches to; its objectName stays newVmExpertMode.
        text = "Guided Mode" if on else ids.WIZARD_EXPERT.accessible_name
        self.expert_button.setText(text)
        self.expert_button.setAccessibleName(text)
        self.expert_button.setToolTip("Walk through the wizard's pages one at a time." if on
                                      else "Show every setting of the wizard on one page.")
        self.settings.setValue(EXPERT_KEY, on)
        if on and self.current_key in ("intro", "summary"):
            self._index = 1
        self._show_current()
        self.resize(800, 720 if on else 580)

    def _on_skip_toggled(self, on: bool) -> None:
        self.settings.setValue(SKIP_INTRO_KEY, on)
        self.settings.sync()

    # -- finishing ---------------------------------------------------------------------------
    def finish(self) -> str | None:
        """Create the VM; its id, or None (the reason shown) if anything is invalid."""
        self._on_edited()
        if self.errors:
            first = self.keys[min(self._first_invalid(), len(self.keys) - 1)]
            if not self._expert:
                self._index = self.keys.index(first)
                self._show_current()
            self._show_banner(next(iter(self.errors.values())))
            return None
        c = self.choices
        api = self.bridge.api
        try:
            info = self.bridge.call(api.create_vm, c.name, host=self.host.id,
                                    **create_fields(c, self._ram_limit(c.generation)))
        except HvError as err:
            self._show_banner(err.text)
            return None
        self._create_disk_file(c, info)
        self.created.emit(info.id)
        self.accept()
        return info.id

    def _create_disk_file(self, c: NewVmChoices, info: VmInfo) -> None:
        """The new disk's size. A lab with files creates each missing disk of a new VM at
        Hyper-V's default size (127 GB); a larger size is reached by expanding it, as a job
        the jobs panel shows. (A smaller one needs create_vm to take the size: see
        docs/settings.md.) An in-memory lab has no files: nothing to do."""
        if c.disk_mode != "new":
            return
        wanted = c.disk_size_gb * 1024**3
        api = self.bridge.api
        try:
            for disk in api.vm_disks(info.id):
                if disk.exists and 0 < disk.maximum_size < wanted:
                    self.bridge.call(api.expand_vhd, disk.path, wanted)
        except HvError as err:
            dialogs.show_error(self.parentWidget(), err)

    def _show_banner(self, text: str) -> None:
        self.banner.setStyleSheet(f"color: {error_colour()}; padding: 4px 0;")
        self.banner.setText(f"<b>The virtual machine was not created.</b> {html.escape(text)}")
        self.banner.show()

    def banner_text(self) -> str:
        return self.banner.text() if self.banner.isVisible() else ""
