"""Hyper-V Settings… for a host: folders, NUMA spanning, the host's hardware and (for
trainers) the root partition's load; and the user's Keyboard, Mouse Release Key and Reset
Check Boxes (:mod:`hvlab.gui.host_user_pages`).

Like Hyper-V's dialog: pages listed on the left, OK / Cancel / Apply, Apply enabled only with
pending edits. hvlab adds a Host Hardware page that shows the profile, CPU and memory, and
why the hypervisor is not running when it is not (VT-x/AMD-V or NX off in the BIOS, no
x64 CPU). BIOS switches are staged and take effect at the next host restart, as on a real
server, so the page offers Restart Host… and, for trainers, a root partition crash.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HostInfo, HvError
from hvlab.gui import dialogs, ids, root_load
from hvlab.gui.bridge import Bridge
from hvlab.gui.dialogs import HostDialog
from hvlab.gui.host_user_pages import UserPages
from hvlab.gui.icons import icon

PAGES = (
    ("vhd", "Virtual Hard Disks", "save"),
    ("vm", "Virtual Machines", "vm"),
    ("numa", "NUMA Spanning", "view"),
    ("hardware", "Host Hardware", "host"),
    ("root-load", "Root Partition Load", "host-performance"),
    *UserPages.PAGES,
)


def staged_bios(info: HostInfo) -> tuple[bool, bool]:
    """(virtualization, NX) as they will be after the next restart."""
    return info.pending_virtualization_enabled, info.pending_nx_enabled


def _page(title: str, text: str) -> tuple[QWidget, QVBoxLayout]:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(16, 12, 16, 12)
    heading = QLabel(title)
    heading.setProperty("role", "sectionHeader")
    layout.addWidget(heading)
    if text:
        body = QLabel(text)
        body.setWordWrap(True)
        layout.addWidget(body)
    return page, layout


class HostSettingsDialog(HostDialog):
    def __init__(self, bridge: Bridge, host_id: str | None, parent: QWidget | None = None) -> None:
        super().__init__(bridge, host_id, ids.HOST_SETTINGS_DIALOG, "Hyper-V Settings",
                         "host-settings", (ids.HOST_OK, ids.HOST_CANCEL, ids.HOST_APPLY), parent)
        info = bridge.api.host(self.host_id)

        self.pages = QListWidget()
        ids.apply(self.pages, ids.HOST_SETTINGS_PAGES)
        self.pages.setFixedWidth(self.fontMetrics().horizontalAdvance("Virtual Hard Disks") + 60)
        self.stack = QStackedWidget()

        # Virtual Hard Disks / Virtual Machines
        self.vhd_folder = QLineEdit(info.virtual_hard_disk_path)
        ids.apply(self.vhd_folder, ids.HOST_VHD_FOLDER)
        page, layout = _page("Virtual Hard Disks",
                             "Specify the default folder to store virtual hard disk files.")
        layout.addWidget(self.vhd_folder)
        layout.addStretch(1)
        self.stack.addWidget(page)
        self.vm_folder = QLineEdit(info.virtual_machine_path)
        ids.apply(self.vm_folder, ids.HOST_VM_FOLDER)
        page, layout = _page("Virtual Machines",
                             "Specify the default folder to store virtual machine "
                             "configuration files.")
        layout.addWidget(self.vm_folder)
        layout.addStretch(1)
        self.stack.addWidget(page)

        # NUMA spanning
        self.numa = QCheckBox("Allow virtual machines to span physical NUMA nodes")
        ids.apply(self.numa, ids.HOST_NUMA_SPANNING)
        self.numa.setChecked(info.numa_spanning)
        page, layout = _page(
            "NUMA Spanning",
            "NUMA spanning lets a virtual machine use memory from more than one physical "
            "NUMA node. It makes more memory available to virtual machines, at some cost in "
            "performance. When it is off, each virtual machine must fit in one node.")
        layout.addWidget(self.numa)
        self.numa_nodes = QLabel("")
        self.numa_nodes.setWordWrap(True)
        layout.addWidget(self.numa_nodes)
        layout.addStretch(1)
        self.stack.addWidget(page)

        # Host hardware
        page, layout = _page("Host Hardware", "")
        self.summary = QLabel("")
        ids.apply(self.summary, ids.HOST_SUMMARY)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        bios = QGroupBox("BIOS and boot settings (applied when the host restarts)")
        bios_layout = QVBoxLayout(bios)
        self.virtualization = QCheckBox("Hardware virtualization (Intel VT-x / AMD-V)")
        ids.apply(self.virtualization, ids.HOST_VIRTUALIZATION)
        self.nx = QCheckBox("No-execute memory protection (Intel XD / AMD NX)")
        ids.apply(self.nx, ids.HOST_NX)
        bios_layout.addWidget(self.virtualization)
        bios_layout.addWidget(self.nx)
        self.launch = QCheckBox("Launch the hypervisor at boot (hypervisorlaunchtype Auto)")
        ids.apply(self.launch, ids.HOST_LAUNCH_TYPE)
        self.role = QCheckBox("Hyper-V role installed")
        ids.apply(self.role, ids.HOST_ROLE)
        bios_layout.addWidget(self.launch)
        bios_layout.addWidget(self.role)
        self.pending = QLabel("")
        self.pending.setWordWrap(True)
        bios_layout.addWidget(self.pending)
        layout.addWidget(bios)
        release = QGroupBox("Hyper-V release (hvlab)")
        release_layout = QVBoxLayout(release)
        self.profile = QComboBox()
        ids.apply(self.profile, ids.HOST_PROFILE)
        for choice in bridge.api.profile_choices():
            self.profile.addItem(f"{choice.name} ({choice.id})", choice.id)
        self.profile.setToolTip("Run another Hyper-V release (and its updates or a Server "
                                "Core installation) on this machine. Every virtual machine "
                                "must be turned off; the console then uses that release's "
                                "words and offers its features.")
        release_layout.addWidget(self.profile)
        layout.addWidget(release)
        buttons = QHBoxLayout()
        self.restart = QPushButton(icon("restart-host"), "Restart Host…")
        ids.apply(self.restart, ids.HOST_RESTART)
        self.restart.setToolTip("Restart the host now. Virtual machines run their Automatic "
                                "Stop Action first; staged BIOS settings then apply.")
        self.crash = QPushButton(icon("crash"), "Simulate Root Partition Crash…")
        ids.apply(self.crash, ids.HOST_CRASH_ROOT)
        self.crash.setToolTip("For trainers: the management operating system bugchecks and "
                              "every virtual machine stops at once.")
        buttons.addWidget(self.restart)
        buttons.addWidget(self.crash)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        self.stack.addWidget(scroll)
        # Root partition load (hvlab's, for trainers)
        page, layout = _page(root_load.TITLE, root_load.INTRO)
        self.root_load = root_load.RootLoadPage(info)
        layout.addWidget(self.root_load)
        layout.addStretch(1)
        self.stack.addWidget(page)

        # The user's pages (Keyboard, Mouse Release Key, Reset Check Boxes), after the
        # server's as in Hyper-V's dialog.
        self.user = UserPages(self)
        for key, _title, _icon in UserPages.PAGES:
            self.stack.addWidget(self.user.widgets[key])
        self.user.changed.connect(self._update_apply)

        for key, title, icon_name in PAGES:
            item = QListWidgetItem(icon(icon_name), title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.pages.addItem(item)
        self.pages.currentRowChanged.connect(self.stack.setCurrentIndex)

        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        self.apply_button.clicked.connect(self.apply)

        top = QHBoxLayout()
        top.addWidget(self.pages)
        top.addWidget(self.stack, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(top, 1)
        outer.addWidget(self.buttons)

        self._loaded: dict[str, Any] = {}
        self._load(info, fields=True)
        for widget in (self.vhd_folder, self.vm_folder):
            widget.textChanged.connect(self._update_apply)
        for box in (self.numa, self.virtualization, self.nx, self.root_load.backup, self.launch,
                    self.role):
            box.toggled.connect(self._update_apply)
        self.root_load.load.valueChanged.connect(self._update_apply)
        self.profile.currentIndexChanged.connect(self._update_apply)
        self.restart.clicked.connect(self._restart)
        self.crash.clicked.connect(self._crash)
        self.pages.setCurrentRow(0)
        self.resize(760, 520)

    # -- showing the host -------------------------------------------------------------------------
    def show_page(self, key: str) -> None:
        for row, (k, _title, _icon) in enumerate(PAGES):
            if k == key:
                self.pages.setCurrentRow(row)

    def _values(self) -> dict[str, Any]:
        return {
            "virtual_hard_disk_path": self.vhd_folder.text().strip(),
            "virtual_machine_path": self.vm_folder.text().strip(),
            "numa_spanning": self.numa.isChecked(),
            "virtualization_enabled": self.virtualization.isChecked(),
            "nx_enabled": self.nx.isChecked(),
            **self.root_load.values(),
            "profile": self.profile.currentData(),
            "hypervisor_launch_type": "Auto" if self.launch.isChecked() else "Off",
            "hyper_v_role": self.role.isChecked(),
        }

    def pending_edits(self) -> dict[str, Any]:
        """The fields the user changed and has not applied."""
        return {k: v for k, v in self._values().items() if self._loaded.get(k) != v}

    def _load(self, info: HostInfo, *, fields: bool) -> None:
        virt, nx = staged_bios(info)
        loaded = {
            "virtual_hard_disk_path": info.virtual_hard_disk_path,
            "virtual_machine_path": info.virtual_machine_path,
            "numa_spanning": info.numa_spanning,
            "virtualization_enabled": virt,
            "nx_enabled": nx,
            **root_load.RootLoadPage.loaded(info),
            "profile": info.profile_id,
            "hypervisor_launch_type": info.pending_launch_type,
            "hyper_v_role": info.pending_role_installed,
        }
        if fields:
            self.root_load.load_fields(info)
            self.vhd_folder.setText(info.virtual_hard_disk_path)
            self.vm_folder.setText(info.virtual_machine_path)
            self.numa.setChecked(info.numa_spanning)
            self.virtualization.setChecked(virt)
            self.nx.setChecked(nx)
            self.profile.setCurrentIndex(self.profile.findData(info.profile_id))
            self.launch.setChecked(info.pending_launch_type == "Auto")
            self.role.setChecked(info.pending_role_installed)
        self._loaded = loaded
        self.root_load.show_cpu(info)
        self._show_summary(info)
        self._update_apply()

    def _show_summary(self, h: HostInfo) -> None:
        def row(label: str, value: str) -> str:
            return f"<tr><td style='padding-right:14px'>{label}</td><td>{value}</td></tr>"

        e = html.escape
        if h.rebooting:
            hv = "<b>The host is restarting.</b>"
        elif h.hypervisor_running:
            hv = "Running"
        else:
            reasons = "".join(f"<li>{e(b)}</li>" for b in h.hypervisor_blockers)
            hv = "<b>Not running.</b>" + (f"<ul style='margin:0'>{reasons}</ul>" if reasons
                                          else "")
        cpu = (f"{e(h.cpu_vendor)} {e(h.cpu_model)} ({e(h.cpu_generation)}), {h.sockets} "
               f"socket(s) × {h.cores_per_socket} cores × {h.threads_per_core} thread(s) = "
               f"{h.logical_processors} logical processors")
        extensions = (f"{e(h.virtualization_extensions)}: "
                      f"{'enabled' if h.virtualization_enabled else 'disabled'} in the BIOS; "
                      f"NX: {'enabled' if h.nx_enabled else 'disabled'}; "
                      f"{'x64' if h.x64 else 'x86 only'}")
        memory = (f"{h.memory_total_mb:,} MB total: hypervisor {h.memory_hypervisor_mb:,} MB, "
                  f"root partition {h.memory_root_mb:,} MB, virtual machines "
                  f"{h.memory_vms_mb:,} MB, free {h.memory_free_mb:,} MB")
        rows = [
            row("Profile", f"{e(h.profile_name)} ({e(h.os_edition)}, {e(h.installation)}"
                           + (", managed remotely" if h.remote_management_only else "") + ")"),
            row("Profile limits", f"{h.max_logical_processors:,} logical processors, "
                                  f"{h.max_running_vms:,} running virtual machines, "
                                  f"{h.max_host_ram_gb:,} GB RAM"),
            row("Configuration version", e(h.configuration_version)),
            row("Processors", cpu),
            row("Virtualization", extensions),
            row("Hypervisor", hv),
            row("Memory", memory),
            row("Available to start VMs", f"{h.memory_available_mb:,} MB"),
            row("Virtual machines", f"{h.running_vms} running of {h.vm_count}"),
            row("Generations", ", ".join(str(g) for g in h.generations)),
        ]
        text = f"<table cellspacing='2'>{''.join(rows)}</table>"
        if self.summary.text() != text:
            self.summary.setText(text)
        pending = ("Pending until the host restarts: " + "; ".join(h.pending_changes) + "."
                   if h.pending_changes else "No changes are waiting for a restart.")
        if self.pending.text() != pending:
            self.pending.setText(pending)
        nodes = "; ".join(f"node {n.id}: {n.ram_mb:,} MB, {n.free_mb:,} MB free"
                          for n in h.numa_nodes)
        self.numa_nodes.setText(f"This host has {len(h.numa_nodes)} NUMA node(s): {nodes}.")
        for button in (self.restart, self.crash):
            button.setEnabled(not h.rebooting)

    def on_tick(self, _snap: object) -> None:
        try:
            info = self.bridge.api.host(self.host_id)
        except HvError:
            return
        # Fields the user has not touched follow the host; edited ones are kept.
        untouched = not self.pending_edits()
        self._load(info, fields=untouched)

    def _update_apply(self) -> None:
        self.apply_button.setEnabled(bool(self.pending_edits() or self.user.pending()))

    # -- applying ---------------------------------------------------------------------------------
    def apply(self) -> bool:
        """Send pending edits to the host; False (and an error box) if the host refused."""
        if self.user.pending():
            self.user.apply()
        edits = self.pending_edits()
        if not edits:
            return True
        try:
            info = self.bridge.call(self.bridge.api.set_host, self.host_id, **edits)
        except HvError as err:
            dialogs.show_error(self, err)
            return False
        self._load(info, fields=True)
        return True

    def _on_ok(self) -> None:
        if self.apply():
            self.accept()

    def _restart(self) -> None:
        dialogs.confirm(
            self, "Restart Host", "Are you sure you want to restart the host?",
            lambda: self._host_job(self.bridge.api.reboot_host), accept_text="Restart",
            informative="Each virtual machine's Automatic Stop Action runs first; staged "
                        "BIOS settings apply when the host starts again.")

    def _crash(self) -> None:
        dialogs.confirm(
            self, "Simulate Root Partition Crash",
            "Simulate a crash of the root partition?",
            lambda: self._host_job(self.bridge.api.crash_root_partition),
            accept_text="Crash the Root Partition",
            informative="Every virtual machine stops at once, without saving, and the host "
                        "restarts.")

    def _host_job(self, command: Callable[[str], object]) -> None:
        if self.pending_edits() and not self.apply():
            return
        try:
            self.bridge.call(command, self.host_id)
        except HvError as err:
            dialogs.show_error(self, err)
