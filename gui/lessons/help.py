"""Help inside the app: F1 shows the user guide (docs/) rendered, at the page about the
window or dialog in front.

The pages are the Markdown files of ``docs/`` next to the code (a checkout, or an editable
install); a copy installed without them shows the keyboard shortcuts and says where the
guide is published instead.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QUrl
from PySide6.QtGui import QKeyEvent, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QTextBrowser,
    QWidget,
)

from hvlab.gui import ids

#: The guide's pages, in the order the topic list shows them.
PAGES = (
    ("console.md", "The console"), ("lessons.md", "Lessons, exercises, presenter mode"),
    ("settings.md", "Virtual machine settings"), ("performance.md", "Performance"),
    ("architecture-view.md", "Devices, VMBus and the architecture view"),
    ("disks.md", "Disks and checkpoints"), ("vhd.md", "VHD files"),
    ("engine.md", "How the simulation works"), ("library.md", "The library"),
    ("cli.md", "hvctl, the command line"), ("automation.md", "GUI automation"),
)
#: The page about each window or dialog, by its object name.
CONTEXT = {
    ids.MAIN_WINDOW.object_name: "console.md",
    ids.CONNECT_WINDOW.object_name: "console.md",
    ids.HOST_SETTINGS_DIALOG.object_name: "console.md",
    ids.NEW_VM_DIALOG.object_name: "settings.md",
    ids.VM_SETTINGS_DIALOG.object_name: "settings.md",
    ids.PERFMON_WINDOW.object_name: "performance.md",
    ids.ADD_COUNTERS_DIALOG.object_name: "performance.md",
    ids.SWITCH_DIALOG.object_name: "architecture-view.md",
    ids.ARCH_WINDOW.object_name: "architecture-view.md",
    ids.INSPECT_DISK_DIALOG.object_name: "disks.md",
    ids.CHECKPOINT_APPLY_DIALOG.object_name: "disks.md",
    ids.EXPORT_DIALOG.object_name: "disks.md",
}
SHORTCUTS = (
    "<h2>Keyboard shortcuts</h2><p>Start Ctrl+S · Turn Off Ctrl+T · Shut Down Ctrl+D · "
    "Save Ctrl+Shift+S · Pause Ctrl+P · Resume Ctrl+R · Reset Ctrl+E · Connect Ctrl+Enter · "
    "Rename F2 · Delete Del · Find Ctrl+F · Refresh F5</p><p>Clock: Pause Ctrl+0 · 1x Ctrl+1 "
    "· 10x Ctrl+2 · 60x Ctrl+3 · Step F8 · Step 1 minute Shift+F8</p><p>Presenter mode, in "
    "a lesson window: Page Down next · Page Up back · B blank the screen</p>")


def docs_dir() -> Path:
    """``docs/`` beside the code (it may be absent from an installed copy)."""
    return Path(__file__).resolve().parents[2] / "docs"


def page_for(widget: QWidget | None) -> str:
    """The guide's page about ``widget``'s window (a lesson window: the lessons page)."""
    while widget is not None:
        if widget.findChild(QWidget, ids.LESSON_DOCK.object_name) is not None \
                and widget.objectName() == ids.MAIN_WINDOW.object_name:
            return "lessons.md"
        page = CONTEXT.get(widget.objectName())
        if page is not None:
            return page
        widget = widget.parentWidget()
    return "console.md"


class HelpWindow(QMainWindow):
    """The guide: its topics on the left, the page on the right (links between pages work)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        ids.apply(self, ids.HELP_WINDOW)
        self.setWindowTitle("hvlab Help")
        self.topics = QListWidget()
        ids.apply(self.topics, ids.HELP_PAGES)
        for file, title in PAGES:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, file)
            self.topics.addItem(item)
        self.text = QTextBrowser()
        ids.apply(self.text, ids.HELP_TEXT)
        self.text.setOpenExternalLinks(True)
        self.text.setSearchPaths([str(docs_dir())])
        split = QSplitter()
        split.addWidget(self.topics)
        split.addWidget(self.text)
        split.setStretchFactor(1, 1)
        self.setCentralWidget(split)
        self.resize(1000, 700)
        self.page = ""
        self.topics.currentItemChanged.connect(self._on_topic_changed)

    def _on_topic_changed(self, item: QListWidgetItem | None, _old: object) -> None:
        if item is not None:
            self.show_page(str(item.data(Qt.ItemDataRole.UserRole)))

    def show_page(self, file: str) -> None:
        """Show ``docs/<file>`` (or, without the guide, the shortcuts and where it is)."""
        self.page = file
        path = docs_dir() / file
        if path.is_file():
            self.text.setSource(QUrl.fromLocalFile(str(path)),
                                QTextDocument.ResourceType.MarkdownResource)
        else:
            self.text.setHtml(SHORTCUTS + "<p>The user guide is not installed with this copy "
                              "of hvlab; it is the docs/ folder of hvlab's source.</p>")
        for row in range(self.topics.count()):
            item = self.topics.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == file and not item.isSelected():
                self.topics.blockSignals(True)
                self.topics.setCurrentRow(row)
                self.topics.blockSignals(False)


def show_help(front: QWidget | None = None) -> HelpWindow:
    """F1: the help window (one per application) at the page about the window in front."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if front is None:
        front = app.activeModalWidget() or app.activeWindow()
    if front is not None and front is app.activeModalWidget():
        # A modal dialog blocks other windows, but not its own children.
        window = front.findChild(HelpWindow) or HelpWindow(front)
    else:
        window = next((w for w in app.topLevelWidgets()
                       if isinstance(w, HelpWindow) and w.parentWidget() is None),
                      None) or HelpWindow()
    if front is not window:
        window.show_page(page_for(front))
    window.show()
    window.raise_()
    return window


class DialogHelpKey(QObject):
    """F1 while a modal dialog is in front: help about that dialog (a main window's F1 is
    its Help ▸ Help Topics action).  One per application."""

    @staticmethod
    def install() -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication) and app.findChild(DialogHelpKey) is None:
            app.installEventFilter(DialogHelpKey(app))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_F1):
            modal = QApplication.activeModalWidget()
            if modal is not None:
                show_help(modal)
                return True
        return False
