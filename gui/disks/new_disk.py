"""New ▸ Hard Disk…: Hyper-V Manager's New Virtual Hard Disk Wizard.

Before You Begin → Choose Disk Format → Choose Disk Type → Specify Name and Location →
Configure Disk → Summary. Finish calls ``ManagementApi.new_vhd``; the file is written on
the engine's worker thread (a fixed disk is zero-filled, which takes real time) and the
wizard shows the job's progress with Cancel. A cancelled disk leaves no file behind.

Signals (NewDiskWizard):
    created(str path): the disk exists.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from hvlab.engine.api import MAX_DISK_SIZE, HvError, Job
from hvlab.gui import ids
from hvlab.gui.disks import files
from hvlab.gui.disks.sizes import GB, size_text
from hvlab.gui.disks.wizard import (
    IntroPage,
    StepWizard,
    SummaryPage,
    VhdLookup,
    WizardPage,
    message_label,
    note_label,
    path_field,
    show_message,
    wrapped,
)
from hvlab.gui.forms import caption

if TYPE_CHECKING:
    from hvlab.engine.api import VhdInfo
    from hvlab.gui.bridge import Bridge

DEFAULT_NAME = "New Virtual Hard Disk.vhd"
#: Hyper-V's default size for a new blank disk (GB).
DEFAULT_SIZE_GB = 127
MIN_SIZE_GB = 1
MAX_SIZE_GB = MAX_DISK_SIZE // GB
#: The spin box takes any number so that what is typed stays; the message says the range.
SPIN_MAX = 1_000_000_000
BLOCK_SIZES = ((2 * 1024 * 1024, "2 MB (default)"), (512 * 1024, "512 KB"))
_BAD_NAME_CHARS = set('\\/:*?"<>|')

TYPE_LABELS = {"fixed": "Fixed size", "dynamic": "Dynamically expanding",
               "differencing": "Differencing"}


def size_problem(gb: int, minimum: int = MIN_SIZE_GB) -> str | None:
    """The message under a size field (None when ``gb`` is allowed)."""
    if gb < minimum or gb > MAX_SIZE_GB:
        return (f"The size must be between {minimum:,} GB and {MAX_SIZE_GB:,} GB; "
                f"a VHD file cannot hold more than {MAX_SIZE_GB:,} GB.")
    return None


def file_name_problem(name: str) -> str | None:
    """What is wrong with a virtual hard disk's file name (None: nothing)."""
    if not name.strip():
        return "Enter a name for the virtual hard disk."
    if set(name) & _BAD_NAME_CHARS:
        return 'The name cannot contain any of these characters: \\ / : * ? " < > |'
    ext = os.path.splitext(name)[1].lower()
    if ext not in ("", ".vhd"):
        return (f"The name ends in '{ext}'. hvlab creates VHD disks, whose file name "
                "ends in .vhd.")
    return None


def with_extension(name: str) -> str:
    name = name.strip()
    return name if name.lower().endswith(".vhd") else f"{name}.vhd"


def type_text(info: VhdInfo) -> str:
    return TYPE_LABELS.get(info.disk_type.name.lower(), info.disk_type.name.title())


class _FormatPage(WizardPage):
    def __init__(self) -> None:
        super().__init__("Choose Disk Format")
        self.body.addWidget(wrapped("What format do you want to use for the virtual hard "
                                    "disk?"))
        self.vhd = QRadioButton("VH&D")
        ids.apply(self.vhd, ids.NEW_DISK_FORMAT_VHD)
        self.vhd.setChecked(True)
        self.vhdx = QRadioButton("VHD&X")
        ids.apply(self.vhdx, ids.NEW_DISK_FORMAT_VHDX)
        self.vhdx.setEnabled(False)
        self.vhdx.setToolTip("VHDX is not supported by hvlab.")
        self.body.addWidget(self.vhd)
        self.body.addWidget(_indented(wrapped(
            f"Supports virtual hard disks up to {MAX_SIZE_GB:,} GB in size.")))
        self.body.addWidget(self.vhdx)
        note = _indented(wrapped(
            "Supports virtual hard disks up to 64 TB and is resilient to power failures. "
            "This format is not supported by hvlab."))
        note.setEnabled(False)
        self.body.addWidget(note)
        self.body.addStretch(1)


class _TypePage(WizardPage):
    def __init__(self) -> None:
        super().__init__("Choose Disk Type")
        self.body.addWidget(wrapped("What type of virtual hard disk do you want to create?"))
        self.add_choices({
            "fixed": (ids.NEW_DISK_TYPE_FIXED, "&Fixed size",
                      "The file is as large as the disk from the start and does not change "
                      "size when data is added or deleted. Best performance; writing it takes "
                      "a while."),
            "dynamic": (ids.NEW_DISK_TYPE_DYNAMIC, "D&ynamically expanding",
                        "The file starts small and grows, block by block, as the virtual "
                        "machine writes data. Uses physical storage well."),
            "differencing": (ids.NEW_DISK_TYPE_DIFFERENCING, "Di&fferencing",
                             "The disk holds only the changes made to a parent disk, which "
                             "stays as it is. Changes can be discarded easily."),
        })
        self.buttons["dynamic"].setChecked(True)
        self.body.addStretch(1)

    def disk_type(self) -> str:
        for key, button in self.buttons.items():
            if button.isChecked():
                return key
        return "dynamic"


class _NamePage(WizardPage):
    def __init__(self, folder: str) -> None:
        super().__init__("Specify Name and Location")
        self.body.addWidget(wrapped("Specify the name and location of the virtual hard disk "
                                    "file."))
        grid = QGridLayout()
        self.name = QLineEdit(DEFAULT_NAME)
        ids.apply(self.name, ids.NEW_DISK_NAME)
        grid.addWidget(caption("&Name:", self.name), 0, 0)
        grid.addWidget(self.name, 0, 1)
        self.location, self.browse = path_field(
            grid, 1, "&Location:", (ids.NEW_DISK_LOCATION, ids.NEW_DISK_LOCATION_BROWSE), folder)
        self.body.addLayout(grid)
        self.message = message_label()
        self.body.addWidget(self.message)
        self.body.addStretch(1)
        self.follow(self.name.textChanged, self.location.textChanged)
        self.browse.clicked.connect(self._browse)
        self.report(self.message)

    def _browse(self) -> None:
        files.choose_folder(self, "Select Folder", self.location.text(),
                            self.location.setText)

    def path(self) -> str:
        return os.path.join(self.location.text().strip(), with_extension(self.name.text()))

    def problem(self) -> str | None:
        problem = file_name_problem(self.name.text())
        if problem:
            return problem
        folder = self.location.text().strip()
        if not folder:
            return "Enter the folder in which to store the virtual hard disk."
        if not os.path.isabs(folder):
            return "The location must be a full path, such as /srv/hvlab/Virtual Hard Disks."
        if os.path.exists(self.path()):
            return (f"The file '{with_extension(self.name.text())}' already exists in "
                    f"'{folder}'. Choose another name.")
        return None


class _ConfigurePage(WizardPage):
    def __init__(self, bridge: Bridge, type_page: _TypePage) -> None:
        super().__init__("Configure Disk")
        self._type_page = type_page
        # New blank disk
        self.blank = QWidget()
        bl = QGridLayout(self.blank)
        bl.setContentsMargins(0, 0, 0, 0)
        self.blank_choice = QRadioButton("Create a new &blank virtual hard disk")
        ids.apply(self.blank_choice, ids.NEW_DISK_BLANK)
        self.blank_choice.setChecked(True)
        self.size_box = QSpinBox()
        ids.apply(self.size_box, ids.NEW_DISK_SIZE)
        self.size_box.setRange(0, SPIN_MAX)
        self.size_box.setValue(DEFAULT_SIZE_GB)
        self.size_box.setSuffix(" GB")
        self.size_box.setMinimumWidth(self.fontMetrics().averageCharWidth() * 16)
        self.size_range = QLabel(f"(Maximum: {MAX_SIZE_GB:,} GB)")
        self.size_message = message_label()
        self.block_size = QComboBox()
        ids.apply(self.block_size, ids.NEW_DISK_BLOCK_SIZE)
        for value, text in BLOCK_SIZES:
            self.block_size.addItem(text, value)
        self.block_label = caption("Bloc&k size:", self.block_size)
        self.block_note = note_label("Hyper-V sets the block size only from PowerShell "
                                     "(New-VHD -BlockSizeBytes).")
        self.fixed_note = wrapped("")
        bl.addWidget(self.blank_choice, 0, 0, 1, 4)
        bl.addWidget(caption("&Size:", self.size_box), 1, 1)
        bl.addWidget(self.size_box, 1, 2)
        bl.addWidget(self.size_range, 1, 3)
        bl.addWidget(self.size_message, 2, 1, 1, 3)
        bl.addWidget(self.block_label, 3, 1)
        bl.addWidget(self.block_size, 3, 2)
        bl.addWidget(self.block_note, 4, 1, 1, 3)
        bl.addWidget(self.fixed_note, 5, 1, 1, 3)
        bl.setColumnMinimumWidth(0, 18)
        bl.setColumnStretch(3, 1)
        # Differencing: the parent
        self.differencing = QWidget()
        dl = QGridLayout(self.differencing)
        dl.setContentsMargins(0, 0, 0, 0)
        self.parent_path, self.parent_browse = path_field(
            dl, 1, "&Path:", (ids.NEW_DISK_PARENT, ids.NEW_DISK_PARENT_BROWSE),
            browse="B&rowse…")
        self.parent_path.setPlaceholderText("Path to the parent .vhd file")
        self.parent_disk = VhdLookup(bridge, self.parent_path)
        self.parent_details = wrapped("")
        self.parent_message = message_label()
        dl.addWidget(wrapped("Specify the parent virtual hard disk. The new disk records "
                             "only the changes made to it."), 0, 0, 1, 2)
        dl.addWidget(self.parent_details, 2, 1)
        dl.addWidget(self.parent_message, 3, 1)
        self.body.addWidget(self.blank)
        self.body.addWidget(self.differencing)
        self.body.addStretch(1)
        self.follow(self.size_box.valueChanged, self.parent_path.textChanged)
        self.parent_browse.clicked.connect(lambda: self.parent_disk.browse(self))
        self.changed.connect(self._refresh)

    def entered(self) -> None:
        self._refresh()

    def is_differencing(self) -> bool:
        return self._type_page.disk_type() == "differencing"

    def _refresh(self) -> None:
        differencing = self.is_differencing()
        self.blank.setVisible(not differencing)
        self.differencing.setVisible(differencing)
        dynamic = self._type_page.disk_type() == "dynamic"
        for w in (self.block_label, self.block_size, self.block_note):
            w.setVisible(dynamic)
        self.fixed_note.setVisible(self._type_page.disk_type() == "fixed")
        self.fixed_note.setText(
            f"A fixed size disk is written in full now: {self.size_box.value():,} GB of zeros. "
            "The wizard shows the progress and can cancel.")
        show_message(self.size_message, size_problem(self.size_box.value()))
        info = self.parent_disk.info() if differencing else None
        if isinstance(info, HvError):
            show_message(self.parent_message, info.message)
            self.parent_details.setText("")
        else:
            show_message(self.parent_message, None)
            self.parent_details.setText(
                "" if info is None else
                f"{type_text(info)}, {size_text(info.maximum_size)} "
                f"(the new disk has the same size).")

    def problem(self) -> str | None:
        if self.is_differencing():
            return self.parent_disk.problem("Enter the path of the parent virtual hard disk.")
        return size_problem(self.size_box.value())


def _indented(widget: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(24, 0, 0, 6)
    layout.addWidget(widget)
    return holder


class NewDiskWizard(StepWizard):
    created = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None, *,
                 folder: str | None = None) -> None:
        super().__init__(bridge, ids.NEW_DISK, "New Virtual Hard Disk Wizard", "new-disk", parent)
        self.intro = IntroPage(
            "This wizard helps you create a new virtual hard disk. A virtual hard disk is a "
            "file that a virtual machine uses as its hard disk; attach it to a virtual "
            "machine in the Hard Drive page of the virtual machine's settings.",
            "hvlab writes real VHD files in Microsoft's published format, so other tools "
            "(qemu-img, libvhdi, Windows) can open the disks you create here.",
            "To create a virtual hard disk, click Next.")
        self.format_page = _FormatPage()
        self.type_page = _TypePage()
        self.name_page = _NamePage(folder or bridge.api.vhd_folder())
        self.configure_page = _ConfigurePage(bridge, self.type_page)
        self.summary = SummaryPage("You have successfully completed the New Virtual Hard "
                                   "Disk Wizard. You are about to create the following "
                                   "virtual hard disk.", ids.NEW_DISK_SUMMARY)
        for page in (self.intro, self.format_page, self.type_page, self.name_page,
                     self.configure_page, self.summary):
            self.add_page(page)
        self.type_page.changed.connect(self.configure_page.changed)
        self.show_first_page()

    def path(self) -> str:
        return self.name_page.path()

    def summary_rows(self) -> list[tuple[str, str]]:
        kind = self.type_page.disk_type()
        rows = [("Format", "VHD"), ("Type", TYPE_LABELS[kind]),
                ("Name", with_extension(self.name_page.name.text())),
                ("Location", self.name_page.location.text().strip())]
        if kind == "differencing":
            rows.append(("Parent", self.configure_page.parent_disk.path()))
            parent = self.configure_page.parent_disk.disk()
            if parent is not None:
                rows.append(("Size", size_text(parent.maximum_size)))
        else:
            rows.append(("Size", f"{self.configure_page.size_box.value():,} GB"))
            if kind == "dynamic":
                rows.append(("Block size", self.configure_page.block_size.currentText()
                             .replace(" (default)", "")))
        return rows

    def progress_text(self) -> str:
        return f"Creating the virtual hard disk {self.path()}…"

    def start_job(self) -> Job:
        kind = self.type_page.disk_type()
        if kind == "differencing":
            parent = self.configure_page.parent_disk.disk()
            return self.bridge.api.new_vhd(
                self.path(), 0 if parent is None else parent.maximum_size, disk_type=kind,
                parent=self.configure_page.parent_disk.path())
        return self.bridge.api.new_vhd(
            self.path(), self.configure_page.size_box.value() * GB, disk_type=kind,
            block_size=int(self.configure_page.block_size.currentData()))

    def succeeded(self, job: Job) -> None:
        self.created.emit(self.path())
