"""File and folder choosers for the disk wizards, Inspect Disk, Export and Import.

Each opens a QFileDialog with ``open()`` (no nested event loop) and calls ``on_chosen`` with
the path when the user accepts. Tests replace these functions with monkeypatch (callers use
``files.choose_…`` so the replacement is seen).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget

#: Name filters of the file dialogs.
VHD_FILTER = "Virtual hard disks (*.vhd *.avhd);;All files (*)"


def _dialog(parent: QWidget | None, title: str, directory: str, mode: QFileDialog.FileMode,
            on_chosen: Callable[[str], None], name_filter: str = "",
            save: bool = False) -> QFileDialog:
    dialog = QFileDialog(parent, title, directory, name_filter)
    dialog.setFileMode(mode)
    if save:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("vhd")
    if mode is QFileDialog.FileMode.Directory:
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def accepted() -> None:
        chosen = dialog.selectedFiles()
        if chosen:
            on_chosen(chosen[0])

    dialog.accepted.connect(accepted)
    dialog.open()
    return dialog


def choose_disk(parent: QWidget | None, title: str, directory: str,
                on_chosen: Callable[[str], None]) -> QFileDialog:
    """Pick an existing virtual hard disk (.vhd, .avhd)."""
    return _dialog(parent, title, directory, QFileDialog.FileMode.ExistingFile, on_chosen,
                   VHD_FILTER)


def choose_new_disk(parent: QWidget | None, title: str, directory: str,
                    on_chosen: Callable[[str], None]) -> QFileDialog:
    """Pick the path of a virtual hard disk that does not exist yet."""
    return _dialog(parent, title, directory, QFileDialog.FileMode.AnyFile, on_chosen,
                   VHD_FILTER, save=True)


def choose_folder(parent: QWidget | None, title: str, directory: str,
                  on_chosen: Callable[[str], None]) -> QFileDialog:
    return _dialog(parent, title, directory, QFileDialog.FileMode.Directory, on_chosen)


#: Name filters of the media choosers (Virtual Machine Connection's Media menu).
MEDIA_FILTERS = {"dvd_path": "DVD images (*.iso);;All files (*)",
                 "diskette_path": "Virtual floppy disks (*.vfd);;All files (*)"}


def choose_media(parent: QWidget | None, title: str, directory: str, field: str,
                 on_chosen: Callable[[str], None]) -> QFileDialog:
    """Pick an existing DVD image (``field`` dvd_path) or virtual floppy disk
    (diskette_path)."""
    return _dialog(parent, title, directory, QFileDialog.FileMode.ExistingFile, on_chosen,
                   MEDIA_FILTERS[field])
