"""Export… (a VM action) and Import Virtual Machine… (a host action).

Export asks for a folder and calls ``ManagementApi.export_vm``: the engine writes a folder
named after the VM there (configuration, virtual hard disks, checkpoints, saved state), all
or nothing, as a job with progress and Cancel.

Import is Hyper-V Manager's Import Virtual Machine wizard: Before You Begin →
Locate Folder → Select Virtual Machine → Choose Import Type (Register in place, Restore,
Copy with a new unique id) → Summary. The engine validates the export completely before it
writes anything; a refused import leaves nothing behind and the wizard shows why.

Signals:
    ExportVmDialog.exported(str folder)
    ImportVmWizard.imported(str vm_id)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QProgressBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError, Job, JobState
from hvlab.gui import dialogs, ids
from hvlab.gui.disks import files
from hvlab.gui.disks.jobs import JobWatcher
from hvlab.gui.disks.wizard import (
    IntroPage,
    StepWizard,
    SummaryPage,
    WizardPage,
    message_label,
    note_label,
    path_field,
    show_message,
    wrapped,
)
from hvlab.gui.forms import Selection, flat_list, named_button
from hvlab.gui.icons import icon

if TYPE_CHECKING:
    from hvlab.engine.api import ManagementApi
    from hvlab.gui.bridge import Bridge

#: The folder inside an export that holds the configuration (as Hyper-V's exports).
CONFIG_FOLDER = "Virtual Machines"
IMPORT_TYPES = {
    "register": "Register the virtual machine in-place (use the existing unique ID)",
    "restore": "Restore the virtual machine (use the existing unique ID)",
    "copy": "Copy the virtual machine (create a new unique ID)",
}


def default_export_folder(api: ManagementApi) -> str:
    """"Exports" next to the lab's folder of virtual hard disks."""
    return os.path.join(os.path.dirname(api.vhd_folder()), "Exports")


# -- Export --------------------------------------------------------------------------------------
class ExportVmDialog(QDialog):
    exported = Signal(str)

    def __init__(self, bridge: Bridge, vm_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        dialogs.dress(self, ids.EXPORT_DIALOG, "export", "Export Virtual Machine")
        self.bridge = bridge
        self.vm_id = vm_id
        self.vm_name = bridge.api.vm(vm_id).name
        self._watcher: JobWatcher | None = None

        grid = QGridLayout()
        self.folder, self.browse = path_field(grid, 0, "&Location:",
                                              (ids.EXPORT_FOLDER, ids.EXPORT_BROWSE),
                                              default_export_folder(bridge.api))
        self.where = note_label("")
        self.message = message_label()
        self.progress = QProgressBar()
        ids.apply(self.progress, ids.EXPORT_PROGRESS)
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.export_button = named_button("&Export", ids.EXPORT_OK)
        self.export_button.setDefault(True)
        self.cancel_button = named_button("Cancel", ids.EXPORT_CANCEL)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.addWidget(wrapped(f"Specify where you want to save the files of "
                                 f"'{self.vm_name}'."))
        layout.addLayout(grid)
        layout.addWidget(self.where)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.folder.textChanged.connect(self._on_folder_changed)
        self.browse.clicked.connect(
            lambda: files.choose_folder(self, "Select Folder", self.folder.text(),
                                        self.folder.setText))
        self.export_button.clicked.connect(self.export)
        self.cancel_button.clicked.connect(self.reject)
        self._on_folder_changed()
        self.resize(560, self.sizeHint().height())

    def target(self) -> str:
        return os.path.join(self.folder.text().strip(), self.vm_name)

    def _on_folder_changed(self) -> None:
        folder = self.folder.text().strip()
        self.where.setText(f"hvlab creates the folder '{self.target()}' holding the "
                           "configuration, the virtual hard disks, the checkpoints and the "
                           "saved state." if folder else "")
        problem = None
        if not folder:
            problem = "Enter the folder to export to."
        elif not os.path.isabs(folder):
            problem = "The location must be a full path."
        elif os.path.exists(self.target()):
            problem = (f"'{self.target()}' already exists. Choose another folder, or move "
                       "the earlier export away.")
        show_message(self.message, problem)
        self.export_button.setEnabled(problem is None and self._watcher is None)

    def export(self) -> None:
        if self._watcher is not None or not self.export_button.isEnabled():
            return
        try:
            job = self.bridge.api.export_vm(self.vm_id, self.folder.text().strip())
        except HvError as err:
            show_message(self.message, err.text)
            dialogs.show_error(self, err, title="Export Virtual Machine")
            return
        self.progress.setValue(job.percent)
        self.progress.show()
        for w in (self.folder, self.browse, self.export_button):
            w.setEnabled(False)
        self._watcher = JobWatcher(self.bridge, job, self)
        self._watcher.progressed.connect(self.progress.setValue)
        self._watcher.finished.connect(self._on_finished)

    def watcher(self) -> JobWatcher | None:
        return self._watcher

    def _on_finished(self, job: Job) -> None:
        self._watcher = None
        self.progress.hide()
        for w in (self.folder, self.browse):
            w.setEnabled(True)
        if job.state is JobState.COMPLETED:
            self.exported.emit(self.target())
            self.accept()
            return
        self._on_folder_changed()
        if job.state is JobState.CANCELLED:
            show_message(self.message, "The export was cancelled; nothing was written.")
            return
        show_message(self.message, job.error or "The export failed.")
        dialogs.show_error(self, job.error or "The export failed.",
                           title="Export Virtual Machine")

    def reject(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            return
        super().reject()


# -- Import --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportedVm:
    """A virtual machine found in a folder: what Select Virtual Machine lists."""

    folder: str
    name: str
    vm_id: str
    created_seconds: float


def find_exported_vms(folder: str) -> list[ExportedVm]:
    """Exports in ``folder`` itself and in its subfolders (a folder of several exports).

    Reads only the name, id and creation time of each export's configuration, to list it;
    the engine validates everything when the import starts.
    """
    found: list[ExportedVm] = []
    if not os.path.isdir(folder):
        return found
    below = sorted(os.path.join(folder, name) for name in os.listdir(folder)
                   if os.path.isdir(os.path.join(folder, name, CONFIG_FOLDER)))
    candidates = [folder, *below]
    for candidate in candidates:
        config_dir = os.path.join(candidate, CONFIG_FOLDER)
        if not os.path.isdir(config_dir):
            continue
        for name in sorted(os.listdir(config_dir)):
            if not name.endswith(".json"):
                continue
            try:
                with open(os.path.join(config_dir, name), encoding="utf-8") as f:
                    config = json.load(f).get("config", {})
                found.append(ExportedVm(candidate, str(config.get("name", name)),
                                        str(config.get("id", "")),
                                        float(config.get("created_us", 0)) / 1e6))
            except (OSError, ValueError, AttributeError, TypeError):
                found.append(ExportedVm(candidate, f"{name} (cannot be read)", "", 0.0))
    return found


class _LocateFolder(WizardPage):
    def __init__(self, folder: str) -> None:
        super().__init__("Locate Folder")
        self.body.addWidget(wrapped("Specify the folder containing the virtual machine to "
                                    "import."))
        grid = QGridLayout()
        self.folder, self.browse = path_field(grid, 0, "&Folder:",
                                              (ids.IMPORT_FOLDER, ids.IMPORT_BROWSE), folder)
        self.body.addLayout(grid)
        self.message = message_label()
        self.body.addWidget(self.message)
        self.body.addStretch(1)
        self._found: tuple[str, list[ExportedVm]] | None = None
        self.follow(self.folder.textChanged)
        self.browse.clicked.connect(lambda: files.choose_folder(
            self, "Select Folder", self.folder.text(), self.folder.setText))
        self.report(self.message)

    def found(self) -> list[ExportedVm]:
        folder = self.folder.text().strip()
        if self._found is None or self._found[0] != folder:
            self._found = (folder, find_exported_vms(folder) if folder else [])
        return self._found[1]

    def entered(self) -> None:
        self._found = None
        self.changed.emit()

    def problem(self) -> str | None:
        folder = self.folder.text().strip()
        if not folder:
            return "Enter the folder that holds the exported virtual machine."
        if not os.path.isdir(folder):
            return f"The folder '{folder}' does not exist."
        if not self.found():
            return (f"No virtual machine was found in '{folder}'. Choose the folder an export "
                    f"made (it holds a '{CONFIG_FOLDER}' folder), or the folder above it.")
        return None


class _SelectVm(WizardPage):
    def __init__(self, locate: _LocateFolder) -> None:
        super().__init__("Select Virtual Machine")
        self._locate = locate
        self.body.addWidget(wrapped("Select the virtual machine to import:"))
        self.list = flat_list(QTreeWidget(), ids.IMPORT_VM_LIST, ["Name", "Folder"], (200,),
                              Selection.SingleSelection)
        self.body.addWidget(self.list, 1)
        self._shown: list[ExportedVm] = []
        self.list.itemSelectionChanged.connect(self.changed.emit)

    def entered(self) -> None:
        found = self._locate.found()
        if found != self._shown:
            self._shown = found
            self.list.clear()
            for vm in found:
                item = QTreeWidgetItem([vm.name, vm.folder])
                item.setIcon(0, icon("vm"))
                item.setToolTip(1, vm.folder)
                self.list.addTopLevelItem(item)
            if found:
                first = self.list.topLevelItem(0)
                if first is not None:
                    first.setSelected(True)
        self.changed.emit()

    def selected(self) -> ExportedVm | None:
        items = self.list.selectedItems()
        if not items:
            return self._shown[0] if len(self._shown) == 1 else None
        index = self.list.indexOfTopLevelItem(items[0])
        return self._shown[index] if 0 <= index < len(self._shown) else None

    def problem(self) -> str | None:
        if not self._shown and self._locate.found():
            return None  # not visited yet: the first one is taken
        return None if self.selected() is not None else "Select a virtual machine."


class _ImportType(WizardPage):
    def __init__(self) -> None:
        super().__init__("Choose Import Type")
        self.body.addWidget(wrapped("Choose the type of import to perform:"))
        notes = {
            "register": "The virtual machine uses its files where they are now, and keeps "
                        "its unique ID.",
            "restore": "The files are copied into the lab's library; the virtual machine "
                       "keeps its unique ID.",
            "copy": "The files are copied into the lab's library and the virtual machine "
                    "gets a new unique ID, so it can sit next to the original.",
        }
        names = {"register": ids.IMPORT_REGISTER, "restore": ids.IMPORT_RESTORE,
                 "copy": ids.IMPORT_COPY}
        mnemonics = {"register": "&Register", "restore": "R&estore", "copy": "&Copy"}
        self.add_choices({
            key: (names[key], text.replace(text.split()[0], mnemonics[key], 1), notes[key])
            for key, text in IMPORT_TYPES.items()})
        self.buttons["register"].setChecked(True)
        self.body.addStretch(1)

    def mode(self) -> str:
        return next((k for k, b in self.buttons.items() if b.isChecked()), "register")


class ImportVmWizard(StepWizard):
    imported = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None,
                 folder: str = "") -> None:
        super().__init__(bridge, ids.IMPORT, "Import Virtual Machine", "import-vm", parent)
        self.intro = IntroPage(
            "This wizard helps you import a virtual machine from a folder that an export "
            "made: its configuration, virtual hard disks, checkpoints and saved state.",
            "hvlab checks the whole folder before it changes anything: no path in the "
            "configuration may point outside the folder, and an import that cannot complete "
            "leaves nothing behind.",
            "To continue, click Next.")
        self.locate = _LocateFolder(folder or default_export_folder(bridge.api))
        self.select = _SelectVm(self.locate)
        self.import_type = _ImportType()
        self.summary = SummaryPage("You are about to import the following virtual machine.",
                                   ids.IMPORT_SUMMARY)
        for page in (self.intro, self.locate, self.select, self.import_type, self.summary):
            self.add_page(page)
        self._before: set[str] = set()
        self.show_first_page()

    def chosen(self) -> ExportedVm | None:
        chosen = self.select.selected()
        if chosen is None:
            found = self.locate.found()
            chosen = found[0] if len(found) == 1 else None
        return chosen

    def summary_rows(self) -> list[tuple[str, str]]:
        chosen = self.chosen()
        return [("Virtual machine", chosen.name if chosen else ""),
                ("Import file location", chosen.folder if chosen else ""),
                ("Import type", IMPORT_TYPES[self.import_type.mode()])]

    def progress_text(self) -> str:
        chosen = self.chosen()
        return f"Importing {chosen.name if chosen else 'the virtual machine'}…"

    def start_job(self) -> Job:
        chosen = self.chosen()
        if chosen is None:
            raise HvError("Select a virtual machine to import.")
        self._before = {v.id for v in self.bridge.api.vms()}
        return self.bridge.api.import_vm(chosen.folder, self.import_type.mode())

    def succeeded(self, job: Job) -> None:
        new = [v.id for v in self.bridge.api.vms() if v.id not in self._before]
        if new:
            self.imported.emit(new[0])
