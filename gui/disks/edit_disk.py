"""Edit Disk…: Hyper-V Manager's Edit Virtual Hard Disk Wizard.

Before You Begin → Locate Disk → Choose Action → the action's page → Summary. The actions
offered follow the disk's type, as in Hyper-V Manager for VHD files:

| disk | actions |
|---|---|
| fixed size | Convert, Expand |
| dynamically expanding | Compact, Convert, Expand |
| differencing | Compact, Merge |
| differencing, parent not found | Reconnect (only) |

Finish starts the engine's job (``compact_vhd``, ``convert_vhd``, ``expand_vhd``,
``merge_vhd``, ``reconnect_vhd``) with progress and Cancel. The engine refuses a disk in use
by a running virtual machine or part of a checkpoint chain; its reason is shown as it says it.

Signals (EditDiskWizard):
    edited(str message): one line for the status bar ("… was compacted: 40 MB → 12 MB.").
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from hvlab.engine.api import HvError, Job
from hvlab.gui import ids
from hvlab.gui.disks import files
from hvlab.gui.disks.new_disk import SPIN_MAX, file_name_problem, size_problem, type_text
from hvlab.gui.disks.sizes import GB, size_text
from hvlab.gui.disks.wizard import (
    IntroPage,
    StepWizard,
    SummaryPage,
    VhdLookup,
    WizardPage,
    message_label,
    path_field,
    show_message,
    wrapped,
)
from hvlab.gui.forms import caption

if TYPE_CHECKING:
    from hvlab.engine.api import VhdInfo
    from hvlab.gui.bridge import Bridge

ACTION_LABELS = {"compact": "Compact", "convert": "Convert", "expand": "Expand",
                 "merge": "Merge", "reconnect": "Reconnect"}


def offered_actions(info: VhdInfo) -> tuple[str, ...]:
    """The actions Hyper-V Manager offers for a VHD of this type (see the module table)."""
    kind = info.disk_type.name
    if kind == "DIFFERENCING":
        return ("reconnect",) if not info.parent_found else ("compact", "merge")
    if kind == "FIXED":
        return ("convert", "expand")
    return ("compact", "convert", "expand")


def _sibling(path: str, suffix: str) -> str:
    stem, ext = os.path.splitext(path)
    candidate = f"{stem}-{suffix}{ext or '.vhd'}"
    n = 2
    while os.path.exists(candidate):
        candidate = f"{stem}-{suffix}-{n}{ext or '.vhd'}"
        n += 1
    return candidate


def new_disk_path_problem(path: str) -> str | None:
    if not path.strip():
        return "Enter the path of the new virtual hard disk."
    if not os.path.isabs(path):
        return "The path must be a full path, such as /srv/hvlab/disk.vhd."
    name_problem = file_name_problem(os.path.basename(path))
    if name_problem:
        return name_problem
    if not os.path.splitext(path)[1]:
        return "The file name must end in .vhd."
    if os.path.exists(path):
        return f"The file '{path}' already exists. Choose another name."
    return None


class _LocatePage(WizardPage):
    def __init__(self, bridge: Bridge, path: str) -> None:
        super().__init__("Locate Disk")
        self.body.addWidget(wrapped("Where is the virtual hard disk that you want to edit?"))
        grid = QGridLayout()
        self.path, self.browse = path_field(grid, 0, "&Path:",
                                            (ids.EDIT_DISK_PATH, ids.EDIT_DISK_BROWSE), path)
        self.path.setPlaceholderText("Path to a .vhd or .avhd file")
        self.lookup = VhdLookup(bridge, self.path)
        self.body.addLayout(grid)
        self.details = wrapped("")
        self.message = message_label()
        self.body.addWidget(self.details)
        self.body.addWidget(self.message)
        self.body.addStretch(1)
        self.follow(self.path.textChanged)
        self.browse.clicked.connect(lambda: self.lookup.browse(self))
        self.changed.connect(self._refresh)
        self._refresh()

    def disk_path(self) -> str:
        return self.lookup.path()

    def info(self) -> VhdInfo | HvError | None:
        return self.lookup.info()

    def disk(self) -> VhdInfo | None:
        """The disk to edit, once the path names one the engine can read."""
        return self.lookup.disk()

    def entered(self) -> None:
        self.lookup.forget()  # the file may have changed
        self.changed.emit()

    def _refresh(self) -> None:
        info = self.info()
        if isinstance(info, HvError) or info is None:
            self.details.setText("")
            show_message(self.message, None if info is None else info.message)
            return
        show_message(self.message, None)
        text = (f"{type_text(info)} disk of {size_text(info.maximum_size)}; the file is "
                f"{size_text(info.file_size)}.")
        if info.disk_type.name == "DIFFERENCING":
            text += (f" Parent: {info.parent_path}." if info.parent_found else
                     f" Its parent cannot be found ({info.parent_path or 'no path recorded'}).")
        self.details.setText(text)

    def problem(self) -> str | None:
        return self.lookup.problem("Enter the path of the virtual hard disk to edit.")


class _ActionPage(WizardPage):
    def __init__(self, locate: _LocatePage) -> None:
        super().__init__("Choose Action")
        self._locate = locate
        self.body.addWidget(wrapped("What do you want to do to the virtual hard disk?"))
        self.notes = self.add_choices({
            "compact": (ids.EDIT_DISK_COMPACT, "&Compact",
                        "Reduces the size of the file by removing blocks that hold no data "
                        "(blocks of zeros; for a differencing disk, blocks with no sector "
                        "written). The capacity of the disk stays the same."),
            "convert": (ids.EDIT_DISK_CONVERT, "Con&vert",
                        "Copies the contents into a new virtual hard disk of another type "
                        "(fixed size or dynamically expanding). The original stays."),
            "expand": (ids.EDIT_DISK_EXPAND, "&Expand",
                       "Increases the capacity of the virtual hard disk. The guest sees the "
                       "new space as unallocated; extend its volume inside the guest."),
            "merge": (ids.EDIT_DISK_MERGE, "&Merge",
                      "Merges the changes stored in this differencing disk into its parent, "
                      "or into a new virtual hard disk that combines both."),
            "reconnect": (ids.EDIT_DISK_RECONNECT, "&Reconnect",
                          "The parent of this differencing disk cannot be found. Reconnect "
                          "the disk to its parent at its new location."),
        })
        self.body.addStretch(1)

    def offered(self) -> tuple[str, ...]:
        info = self._locate.disk()
        return () if info is None else offered_actions(info)

    def entered(self) -> None:
        offered = self.offered()
        for key, button in self.buttons.items():
            button.setVisible(key in offered)
            self.notes[key].setVisible(key in offered)
        if self.action() not in offered and offered:
            self.buttons[offered[0]].setChecked(True)

    def action(self) -> str:
        for key, button in self.buttons.items():
            if button.isChecked() and key in self.offered():
                return key
        return ""

    def problem(self) -> str | None:
        if not self.action():
            return "Choose what to do to the virtual hard disk."
        return None


class _ConvertPage(WizardPage):
    def __init__(self, locate: _LocatePage, action: _ActionPage) -> None:
        super().__init__("Convert Disk")
        self._locate, self._action = locate, action
        self.body.addWidget(wrapped("What type of virtual hard disk do you want to convert "
                                    "to? The copy is a new file; the original stays."))
        self.fixed = QRadioButton("&Fixed size")
        ids.apply(self.fixed, ids.EDIT_DISK_CONVERT_FIXED)
        self.dynamic = QRadioButton("&Dynamically expanding")
        ids.apply(self.dynamic, ids.EDIT_DISK_CONVERT_DYNAMIC)
        group = QButtonGroup(self)
        group.addButton(self.fixed)
        group.addButton(self.dynamic)
        self.body.addWidget(self.fixed)
        self.body.addWidget(self.dynamic)
        grid = QGridLayout()
        grid.addWidget(wrapped("Where do you want to save the new virtual hard disk?"),
                       0, 0, 1, 2)
        self.path, self.browse = path_field(
            grid, 1, "&Path:", (ids.EDIT_DISK_CONVERT_PATH, ids.EDIT_DISK_CONVERT_BROWSE))
        self.body.addSpacing(8)
        self.body.addLayout(grid)
        self.message = message_label()
        self.body.addWidget(self.message)
        self.body.addStretch(1)
        group.buttonToggled.connect(lambda *_: self._on_type_changed())
        self.follow(self.path.textChanged)
        self.browse.clicked.connect(self._browse)
        self.report(self.message)
        self._suggested = ""
        self._source = ""

    def applies(self) -> bool:
        return self._action.action() == "convert"

    def entered(self) -> None:
        info = self._locate.disk()
        if info is None:
            return
        if self._source != info.path:
            self._source = info.path
            target = self.dynamic if info.disk_type.name == "FIXED" else self.fixed
            target.setChecked(True)
            self._suggest()
        self.changed.emit()

    def _on_type_changed(self) -> None:
        self._suggest()
        self.changed.emit()

    def _suggest(self) -> None:
        if not self._source:
            return
        if self.path.text() in ("", self._suggested):
            self._suggested = _sibling(self._source, self.disk_type())
            self.path.setText(self._suggested)

    def _browse(self) -> None:
        files.choose_new_disk(self, "Save As", os.path.dirname(self.path.text()),
                              self.path.setText)

    def disk_type(self) -> str:
        return "fixed" if self.fixed.isChecked() else "dynamic"

    def problem(self) -> str | None:
        return new_disk_path_problem(self.path.text().strip())


class _ExpandPage(WizardPage):
    def __init__(self, locate: _LocatePage, action: _ActionPage) -> None:
        super().__init__("Configure Disk", "Expand Virtual Hard Disk")
        self._locate, self._action = locate, action
        self.current = wrapped("")
        self.size_box = QSpinBox()
        ids.apply(self.size_box, ids.EDIT_DISK_EXPAND_SIZE)
        self.size_box.setRange(0, SPIN_MAX)
        self.size_box.setSuffix(" GB")
        self.size_box.setMinimumWidth(self.fontMetrics().averageCharWidth() * 16)
        grid = QGridLayout()
        grid.addWidget(caption("&New size:", self.size_box), 0, 0)
        grid.addWidget(self.size_box, 0, 1)
        grid.setColumnStretch(2, 1)
        self.message = message_label()
        self.body.addWidget(self.current)
        self.body.addLayout(grid)
        self.body.addWidget(self.message)
        self.body.addStretch(1)
        self.follow(self.size_box.valueChanged)
        self.report(self.message)
        self._source = ""

    def applies(self) -> bool:
        return self._action.action() == "expand"

    def current_gb(self) -> float:
        info = self._locate.disk()
        return 0.0 if info is None else info.maximum_size / GB

    def entered(self) -> None:
        info = self._locate.disk()
        if info is None:
            return
        self.current.setText(f"The current size is {size_text(info.maximum_size)}. What "
                             "size do you want the virtual hard disk to be?")
        if self._source != info.path:
            self._source = info.path
            self.size_box.setValue(int(self.current_gb()) + 1)
        self.changed.emit()

    def problem(self) -> str | None:
        minimum = int(self.current_gb()) + 1
        problem = size_problem(self.size_box.value(), minimum)
        if problem and self.size_box.value() < minimum:
            return (f"The new size must be larger than the current size "
                    f"({size_text(self.current_gb() * GB)}): at least {minimum:,} GB.")
        return problem


class _MergePage(WizardPage):
    def __init__(self, locate: _LocatePage, action: _ActionPage) -> None:
        super().__init__("Configure Disk", "Merge Virtual Hard Disk")
        self._locate, self._action = locate, action
        self.intro = wrapped("")
        self.into_parent = QRadioButton("To the &parent virtual hard disk")
        ids.apply(self.into_parent, ids.EDIT_DISK_MERGE_PARENT)
        self.into_parent.setChecked(True)
        self.into_new = QRadioButton("To a &new virtual hard disk")
        ids.apply(self.into_new, ids.EDIT_DISK_MERGE_NEW)
        group = QButtonGroup(self)
        group.addButton(self.into_parent)
        group.addButton(self.into_new)
        self.parent_note = wrapped("")
        self.parent_note.setContentsMargins(24, 0, 0, 6)
        self.new_row = QWidget()
        nl = QGridLayout(self.new_row)
        nl.setContentsMargins(24, 0, 0, 0)
        self.path, self.browse = path_field(
            nl, 0, "P&ath:", (ids.EDIT_DISK_MERGE_PATH, ids.EDIT_DISK_MERGE_BROWSE))
        nl.addWidget(wrapped("The new disk is dynamically expanding; the differencing disk "
                             "and its parent stay as they are."), 1, 1)
        self.message = message_label()
        self.body.addWidget(self.intro)
        self.body.addWidget(self.into_parent)
        self.body.addWidget(self.parent_note)
        self.body.addWidget(self.into_new)
        self.body.addWidget(self.new_row)
        self.body.addWidget(self.message)
        self.body.addStretch(1)
        self.follow(group.buttonToggled, self.path.textChanged)
        self.browse.clicked.connect(self._browse)
        self.changed.connect(self._refresh)
        self._source = ""

    def applies(self) -> bool:
        return self._action.action() == "merge"

    def entered(self) -> None:
        info = self._locate.disk()
        if info is None:
            return
        self.intro.setText(f"The differencing disk {os.path.basename(info.path)} holds "
                           f"{size_text(info.file_size)} of changes. Where do you want to "
                           "merge them?")
        self.parent_note.setText(
            f"{info.parent_path}\nThe differencing disk is deleted afterwards. Other "
            "differencing disks made from that parent are no longer valid.")
        if self._source != info.path:
            self._source = info.path
            self.path.setText(_sibling(info.path, "merged").replace(".avhd", ".vhd"))
        self.changed.emit()

    def _refresh(self) -> None:
        self.new_row.setEnabled(self.into_new.isChecked())
        show_message(self.message, self.problem())

    def _browse(self) -> None:
        files.choose_new_disk(self, "Save As", os.path.dirname(self.path.text()),
                              self.path.setText)

    def destination(self) -> str | None:
        return self.path.text().strip() if self.into_new.isChecked() else None

    def problem(self) -> str | None:
        if self.into_new.isChecked():
            return new_disk_path_problem(self.path.text().strip())
        return None


class _ReconnectPage(WizardPage):
    def __init__(self, bridge: Bridge, locate: _LocatePage, action: _ActionPage) -> None:
        super().__init__("Reconnect", "Reconnect Differencing Disk")
        self._locate, self._action = locate, action
        self.intro = wrapped("")
        grid = QGridLayout()
        self.path, self.browse = path_field(
            grid, 0, "&Parent:", (ids.EDIT_DISK_RECONNECT_PARENT, ids.EDIT_DISK_RECONNECT_BROWSE))
        self.path.setPlaceholderText("Path to the parent .vhd file")
        self.parent_disk = VhdLookup(bridge, self.path)
        self.ignore_id = QCheckBox("&Ignore ID mismatch")
        ids.apply(self.ignore_id, ids.EDIT_DISK_RECONNECT_IGNORE_ID)
        self.ignore_id.setToolTip("Use this parent even though it is not the disk the "
                                  "differencing disk was made from. Its data may not match.")
        grid.addWidget(self.ignore_id, 1, 1)
        self.details = wrapped("")
        self.message = message_label()
        self.body.addWidget(self.intro)
        self.body.addLayout(grid)
        self.body.addWidget(self.details)
        self.body.addWidget(self.message)
        self.body.addStretch(1)
        self.follow(self.path.textChanged, self.ignore_id.toggled)
        self.browse.clicked.connect(self._browse)
        self.changed.connect(self._refresh)

    def applies(self) -> bool:
        return self._action.action() == "reconnect"

    def entered(self) -> None:
        info = self._locate.disk()
        if info is None:
            return
        self.intro.setText(
            f"The parent of {os.path.basename(info.path)} was "
            f"'{info.parent_path or 'not recorded'}' and cannot be found there. Where is it "
            "now?")
        self.changed.emit()

    def _browse(self) -> None:
        child = self._locate.disk()
        self.parent_disk.browse(self, os.path.dirname(child.path) if child is not None else "")

    def _refresh(self) -> None:
        info = self.parent_disk.disk()
        self.details.setText("" if info is None else
                             f"{type_text(info)} disk of {size_text(info.maximum_size)}.")
        show_message(self.message, self.problem())

    def problem(self) -> str | None:
        missing = self.parent_disk.problem("Enter the path of the parent virtual hard disk.")
        info = self.parent_disk.disk()
        if missing is not None or info is None:
            return missing
        child = self._locate.disk()
        if child is not None and info.maximum_size != child.maximum_size:
            return (f"This disk is {size_text(info.maximum_size)}; the parent must be the same "
                    f"size as the differencing disk ({size_text(child.maximum_size)}).")
        return None


class EditDiskWizard(StepWizard):
    edited = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None,
                 path: str = "") -> None:
        super().__init__(bridge, ids.EDIT_DISK, "Edit Virtual Hard Disk Wizard", "edit-disk",
                         parent)
        self.intro = IntroPage(
            "This wizard helps you edit a virtual hard disk: compact it, convert it to "
            "another type, expand it, merge a differencing disk, or reconnect a differencing "
            "disk to a parent that moved.",
            "Edit a disk only while no running virtual machine uses it, and never a disk that "
            "is part of a checkpoint: its differencing disks depend on it staying as it is. "
            "hvlab refuses both, with the reason.",
            "To continue, click Next.")
        self.locate = _LocatePage(bridge, path)
        self.action_page = _ActionPage(self.locate)
        self.convert_page = _ConvertPage(self.locate, self.action_page)
        self.expand_page = _ExpandPage(self.locate, self.action_page)
        self.merge_page = _MergePage(self.locate, self.action_page)
        self.reconnect_page = _ReconnectPage(bridge, self.locate, self.action_page)
        self.summary = SummaryPage("You have successfully completed the Edit Virtual Hard "
                                   "Disk Wizard. You are about to make the following change.",
                                   ids.EDIT_DISK_SUMMARY)
        for page in (self.intro, self.locate, self.action_page, self.convert_page,
                     self.expand_page, self.merge_page, self.reconnect_page, self.summary):
            self.add_page(page)
        self.locate.changed.connect(self.action_page.entered)
        self._before: VhdInfo | None = None
        self.show_first_page()
        if path:
            self.go_to(self.locate)
            if self.locate.problem() is None:
                self.go_to(self.action_page)

    def disk_path(self) -> str:
        return self.locate.disk_path()

    def action(self) -> str:
        return self.action_page.action()

    def summary_rows(self) -> list[tuple[str, str]]:
        rows = [("Virtual hard disk", self.disk_path()),
                ("Action", ACTION_LABELS.get(self.action(), ""))]
        action = self.action()
        if action == "convert":
            rows += [("Type", "Fixed size" if self.convert_page.disk_type() == "fixed"
                      else "Dynamically expanding"),
                     ("New virtual hard disk", self.convert_page.path.text().strip())]
        elif action == "expand":
            rows.append(("New size", f"{self.expand_page.size_box.value():,} GB"))
        elif action == "merge":
            destination = self.merge_page.destination()
            rows.append(("Merge into", destination or "The parent virtual hard disk"))
        elif action == "reconnect":
            rows.append(("Parent", self.reconnect_page.path.text().strip()))
            if self.reconnect_page.ignore_id.isChecked():
                rows.append(("Ignore ID mismatch", "Yes"))
        return rows

    def progress_text(self) -> str:
        verbs = {"compact": "Compacting", "convert": "Converting", "expand": "Expanding",
                 "merge": "Merging", "reconnect": "Reconnecting"}
        return f"{verbs.get(self.action(), 'Editing')} {self.disk_path()}…"

    def start_job(self) -> Job:
        self._before = self.locate.disk()
        path = self.disk_path()
        action = self.action()
        if action == "compact":
            return self.bridge.api.compact_vhd(path)
        if action == "convert":
            return self.bridge.api.convert_vhd(path, self.convert_page.path.text().strip(),
                                        self.convert_page.disk_type())
        if action == "expand":
            return self.bridge.api.expand_vhd(path, self.expand_page.size_box.value() * GB)
        if action == "merge":
            return self.bridge.api.merge_vhd(path, self.merge_page.destination())
        if action == "reconnect":
            return self.bridge.api.reconnect_vhd(path, self.reconnect_page.path.text().strip(),
                                          self.reconnect_page.ignore_id.isChecked())
        raise HvError("Choose what to do to the virtual hard disk.")

    def succeeded(self, job: Job) -> None:
        self.edited.emit(self.result_text())

    def result_text(self) -> str:
        """What changed, read back from the files."""
        name = os.path.basename(self.disk_path())
        action = self.action()
        before = self._before
        if action == "convert":
            return f"{name} was converted into {self.convert_page.path.text().strip()}."
        if action == "merge":
            target = self.merge_page.destination() or (before.parent_path if before else "")
            return f"{name} was merged into {target}."
        if action == "reconnect":
            return f"{name} was reconnected to {self.reconnect_page.path.text().strip()}."
        try:
            after = self.bridge.api.inspect_vhd(self.disk_path())
        except HvError:
            return f"{name} was edited."
        if action == "compact" and before is not None:
            return (f"{name} was compacted: {size_text(before.file_size)} → "
                    f"{size_text(after.file_size)}.")
        return f"{name} was expanded to {size_text(after.maximum_size)}."
