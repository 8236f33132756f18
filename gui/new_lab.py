"""File ▸ New Lab…: a new lab library on the Hyper-V release the trainer picks (docs/console.md).

The dialog offers every host profile with its options (the KB956710 update, a Server Core
parent: ``profile_choices()``), the library's folder, and what the lab starts with (the demo
virtual machines or the host only) and its seed.  OK creates the library through
:func:`~hvlab.engine.api.open_library` with ``profile=`` (the one engine function that
``hvctl --library DIR --profile ID`` and ``hvlab --profile ID`` use too), on the engine thread
that will own it, and shows it in a Hyper-V Manager window of its own.  Closing that window
saves the lab and releases its library, as closing the console does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import SEED, HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.bars import first_in_file_menu

if TYPE_CHECKING:
    from hvlab.engine.api import EngineThread
    from hvlab.gui.main_window import MainWindow

#: The release a new lab gets unless the trainer picks another: the era the lab teaches.
DEFAULT_PROFILE = "ws2008"


class NewLabs(QObject):
    """Adds File ▸ New Lab… to ``window`` and owns the windows of the labs it made."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.windows: list[MainWindow] = []
        self.dialog: NewLabDialog | None = None
        self.action = QAction("New &Lab…", window)
        ids.apply(self.action, ids.ACT_NEW_LAB)
        self.action.setStatusTip("Create a new lab library on the Hyper-V release you choose "
                                 "and open it in a window of its own.")
        self.action.triggered.connect(self.open_dialog)
        first_in_file_menu(window, self.action)

    def open_dialog(self) -> NewLabDialog:
        dialog = NewLabDialog(self, self.window)
        self.dialog = dialog
        dialog.show()
        return dialog

    def create(self, folder: Path, profile: str, *, empty: bool, seed: int) -> MainWindow:
        """Create the library at ``folder`` and show it; raises the engine's HvError (a bad
        profile, a folder that is not empty, a library in use) with nothing made."""
        from hvlab.engine.api import EngineThread, open_library
        from hvlab.gui.bridge import Bridge
        from hvlab.gui.main_window import MainWindow

        engine: EngineThread = EngineThread(lambda: open_library(
            folder, program="hvlab", seed=seed, empty=empty, profile=profile))
        bridge = Bridge(engine=engine, clock="manual")
        window = MainWindow(note=f"Lab library {folder}.")
        bridge.setParent(window)
        window.attach(bridge)
        window.installEventFilter(self)
        self.windows.append(window)
        window.show()
        return window

    def close_all(self) -> None:
        for window in list(self.windows):
            window.close()

    def eventFilter(self, watched: QObject, event: Any) -> bool:
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.Close and watched in self.windows:
            window = self.windows.pop(self.windows.index(watched))
            window.bridge.close()  # the final save, then the library's lock is released
        return False


class NewLabDialog(QDialog):
    """New Lab: the Hyper-V release, the library folder, the lab's contents and seed."""

    def __init__(self, labs: NewLabs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.NEW_LAB)
        self.setWindowTitle("New Lab")
        self._labs = labs
        self.created: MainWindow | None = None
        layout = QVBoxLayout(self)
        intro = QLabel("Create a lab library whose host runs the Hyper-V release you "
                       "choose. The console then uses that release's words and offers its "
                       "features.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        # Loaded when the dialog opens: the console's first paint does not wait for them.
        from hvlab.engine.api import profile_choices

        form = QFormLayout()
        self.profile = QComboBox()
        ids.apply(self.profile, ids.NEW_LAB_PROFILE)
        for choice in profile_choices():
            self.profile.addItem(f"{choice.name} ({choice.id})", choice.id)
        self.profile.setCurrentIndex(max(0, self.profile.findData(DEFAULT_PROFILE)))
        form.addRow("Hyper-V &release:", self.profile)
        folder_row = QHBoxLayout()
        self.folder = QLineEdit()
        ids.apply(self.folder, ids.NEW_LAB_FOLDER)
        self.folder.setPlaceholderText("an empty or new folder")
        self.browse = QPushButton("&Browse…")
        ids.apply(self.browse, ids.NEW_LAB_BROWSE)
        self.browse.clicked.connect(self._browse)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.browse)
        folder_label = QLabel("Library &folder:")
        folder_label.setBuddy(self.folder)  # a row of a layout gets no buddy by itself
        form.addRow(folder_label, folder_row)
        contents = QVBoxLayout()
        self.demo = QRadioButton("The demo &virtual machines")
        ids.apply(self.demo, ids.NEW_LAB_DEMO)
        self.empty = QRadioButton("The host &only (no virtual machines)")
        ids.apply(self.empty, ids.NEW_LAB_EMPTY)
        self.demo.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.demo)
        group.addButton(self.empty)
        contents.addWidget(self.demo)
        contents.addWidget(self.empty)
        form.addRow("Contents:", contents)
        self.seed = QLineEdit("0")
        ids.apply(self.seed, ids.NEW_LAB_SEED)
        self.seed.setToolTip("The same seed gives the same lab, run after run.")
        form.addRow("&Seed:", self.seed)
        layout.addLayout(form)
        self.status = dialogs.status_label(ids.NEW_LAB_STATUS)
        layout.addWidget(self.status)
        self.buttons, _ok, _cancel = dialogs.ok_cancel((ids.NEW_LAB_OK, ids.NEW_LAB_CANCEL))
        self.buttons.accepted.connect(self._create)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    @property
    def ok_button(self) -> QPushButton:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert button is not None
        return button

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Library folder", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def _refuse(self, widget: QWidget, text: str) -> None:
        self.status.setText(text)
        widget.setFocus()

    def _create(self) -> None:
        text = self.folder.text().strip()
        if not text:
            self._refuse(self.folder, "Library folder: type or browse to an empty or new "
                                      "folder for the new lab.")
            return
        from hvlab.engine.api import is_library

        folder = Path(text).expanduser()
        if is_library(folder):
            self._refuse(self.folder, f"Library folder: {folder} already holds a lab library. "
                                      "A new lab needs an empty or new folder.")
            return
        try:
            seed = int(SEED.check(SEED.parse(self.seed.text()), "seed"))
        except HvError as err:
            self._refuse(self.seed, f"Seed: {err.message}")
            return
        self.status.setText(f"Creating the lab in {folder}…")
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.created = self._labs.create(folder, str(self.profile.currentData()),
                                             empty=self.empty.isChecked(), seed=seed)
        except HvError as err:
            self.status.setText(err.text)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.accept()
