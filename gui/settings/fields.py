"""Pages and field bindings: one editor bound to one configuration field.

A binding sends each edit to the :class:`~hvlab.gui.settings.model.SettingsModel` as the user
types (so nothing typed is lost when the page changes) and shows under the editor what the
model knows about the field: the engine's message for the value typed, or why the field
cannot change in the VM's current state (then the editor is disabled). Values are written
into editors only when the page loads, never while the user edits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QBoxLayout,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from hvlab.gui import ids
from hvlab.gui.forms import caption
from hvlab.gui.settings.model import SettingsModel
from hvlab.gui.theme import colours, current_is_dark

#: Spin boxes accept any whole number in this range so that what the user types stays in the
#: field; the engine says whether it is in the range the host profile allows.
WIDE_MAX = 2_147_483_647


def error_colour() -> str:
    app = QApplication.instance()
    dark = isinstance(app, QApplication) and current_is_dark(app)
    return "#ff8a80" if dark else "#c62828"


def message_label(owner: QWidget | None = None) -> QLabel:
    """The label under a field for its message (hidden while empty)."""
    label = QLabel("")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    if owner is not None and owner.objectName():
        label.setObjectName(f"{owner.objectName()}_message")
    return label


def note_colour() -> str:
    app = QApplication.instance()
    return colours(isinstance(app, QApplication) and current_is_dark(app))["disabled"]


def plain_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def note_label(text: str) -> QLabel:
    """An explanation in the muted colour, aligned with the text around it."""
    label = plain_label(text)
    label.setStyleSheet(f"color: {note_colour()};")
    return label


def show_message(label: QLabel, error: str, note: str = "") -> None:
    """An error in the error colour, else a note (a lock reason) in the muted colour."""
    text = error or note
    style = f"color: {error_colour() if error else note_colour()};"
    if label.styleSheet() != style:
        label.setStyleSheet(style)
    if label.text() != text:
        label.setText(text)
        label.setAccessibleDescription(text)
    if label.isHidden() == bool(text):
        label.setVisible(bool(text))


def spin(name: ids.UiName, suffix: str = "", minimum: int = 0,
         maximum: int = WIDE_MAX) -> QSpinBox:
    box = QSpinBox()
    ids.apply(box, name)
    box.setRange(minimum, maximum)
    if suffix:
        box.setSuffix(suffix)
    box.setGroupSeparatorShown(False)
    box.setMinimumWidth(box.fontMetrics().horizontalAdvance("0000000000") + 40)
    box.setMaximumWidth(box.minimumWidth() + 40)
    return box


class Binding:
    """One field's editors: ``read`` gives the value to record, ``write`` shows a value."""

    def __init__(self, model: SettingsModel, field: str, editors: Sequence[QWidget],
                 read: Callable[[], Any], write: Callable[[Any], None],
                 message: QLabel) -> None:
        self.model = model
        self.field = field
        self.editors = list(editors)
        self.read = read
        self.write = write
        self.message = message
        self._loading = False
        #: Extra reason to disable the editors (e.g. Dynamic Memory off); set by the page.
        self.disabled_reason = ""

    def load(self) -> None:
        self._loading = True
        try:
            for e in self.editors:
                e.blockSignals(True)
            self.write(self.model.value(self.field))
        finally:
            for e in self.editors:
                e.blockSignals(False)
            self._loading = False

    def edited(self, *_args: object) -> None:
        if not self._loading:
            self.model.set(self.field, self.read())

    def refresh(self) -> None:
        lock = self.model.lock(self.field)
        enabled = not lock and not self.disabled_reason
        for e in self.editors:
            e.setEnabled(enabled)
            e.setToolTip(lock)
        show_message(self.message, self.model.error(self.field), lock)


class Page(QWidget):
    """One page of the settings dialog: a heading, a description, fields.

    Signals:
        navigate(str key): show another page (``device:<field>:<uid>`` for a device page).
    """

    navigate = Signal(str)

    #: VmConfig fields edited here (for the tree's pending and error marks).
    fields: tuple[str, ...] = ()

    def __init__(self, model: SettingsModel, key: str, title: str, description: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        name = ids.settings_page(key, title)
        self.setObjectName(name.object_name)
        self.setAccessibleName(name.accessible_name)
        self.model = model
        self.key = key
        self.title = title
        self.bindings: list[Binding] = []
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 12, 16, 12)
        self.layout_.setSpacing(8)
        heading = QLabel(title)
        heading.setProperty("role", "sectionHeader")
        self.layout_.addWidget(heading)
        if description:
            self.layout_.addWidget(self.text(description))

    # -- building -------------------------------------------------------------------------
    @staticmethod
    def text(text: str, note: bool = False) -> QLabel:
        return note_label(text) if note else plain_label(text)

    def grid(self, into: QBoxLayout | None = None) -> QGridLayout:
        """A two-column grid (captions, editors) added to ``into`` (the page by default)."""
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        (into if into is not None else self.layout_).addLayout(grid)
        return grid

    def add_row(self, grid: QGridLayout, label: str, editor: QWidget,
                binding: Binding | None = None, *, after: QWidget | None = None) -> None:
        """A labelled editor in ``grid`` with its message underneath."""
        row = grid.rowCount()
        grid.addWidget(caption(label, editor), row, 0, Qt.AlignmentFlag.AlignVCenter)
        if after is not None:
            line = QWidget()
            h = QGridLayout(line)
            h.setContentsMargins(0, 0, 0, 0)
            h.addWidget(editor, 0, 0)
            h.addWidget(after, 0, 1)
            h.setColumnStretch(2, 1)
            grid.addWidget(line, row, 1)
        else:
            grid.addWidget(editor, row, 1, Qt.AlignmentFlag.AlignLeft)
        if binding is not None:
            grid.addWidget(binding.message, row + 1, 1)

    def bind(self, field: str, editors: Sequence[QWidget], read: Callable[[], Any],
             write: Callable[[Any], None], *edited: SignalInstance) -> Binding:
        """Bind ``field`` to ``editors``: ``read`` and ``write`` the value they show; each of
        ``edited`` (the editors' change signals) records the value as a pending edit."""
        binding = Binding(self.model, field, editors, read, write, message_label(editors[0]))
        for signal in edited:
            signal.connect(binding.edited)
        self.bindings.append(binding)
        return binding

    # One per kind of editor: how it shows a value, and the signal that says it changed.
    def bind_spin(self, field: str, box: QSpinBox) -> Binding:
        return self.bind(field, [box], box.value, lambda v: box.setValue(int(v)),
                         box.valueChanged)

    def bind_check(self, field: str, box: QCheckBox) -> Binding:
        return self.bind(field, [box], box.isChecked, lambda v: box.setChecked(bool(v)),
                         box.toggled)

    def bind_line(self, field: str, edit: QLineEdit) -> Binding:
        return self.bind(field, [edit], edit.text, lambda v: edit.setText(str(v)),
                         edit.textEdited)

    def bind_plain(self, field: str, edit: QPlainTextEdit) -> Binding:
        return self.bind(field, [edit], edit.toPlainText,
                         lambda v: edit.setPlainText(str(v)), edit.textChanged)

    def bind_combo(self, field: str, combo: QComboBox) -> Binding:
        return self.bind(field, [combo], combo.currentData,
                         lambda v: combo.setCurrentIndex(max(combo.findData(v), 0)),
                         combo.currentIndexChanged)

    def bind_slider(self, field: str, slider: QSlider) -> Binding:
        return self.bind(field, [slider], slider.value, lambda v: slider.setValue(int(v)),
                         slider.valueChanged)

    def bind_radios(self, field: str, radios: Mapping[Any, QAbstractButton]) -> Binding:
        """One field chosen among exclusive ``radios`` (by the value each stands for)."""
        def read() -> Any:
            return next((v for v, r in radios.items() if r.isChecked()), None)

        def write(value: Any) -> None:
            for v, r in radios.items():
                r.setChecked(v == value)

        b = self.bind(field, list(radios.values()), read, write)
        for r in radios.values():
            r.toggled.connect(lambda on, b=b: on and b.edited())
        return b

    def add_radios(self, field: str, choices: Sequence[tuple[Any, ids.UiName]]) -> Binding:
        """One exclusive radio button per (value, automation name) in ``choices``, labelled
        with the name's text, bound to ``field``; its message follows them."""
        group = QButtonGroup(self)
        radios: dict[Any, QAbstractButton] = {}
        for value, name in choices:
            radio = QRadioButton(name.accessible_name)
            ids.apply(radio, name)
            group.addButton(radio)
            radios[value] = radio
            self.layout_.addWidget(radio)
        binding = self.bind_radios(field, radios)
        self.layout_.addWidget(binding.message)
        return binding

    # -- state ---------------------------------------------------------------------------
    def load(self) -> None:
        """Show the model's values (when the page opens and after Apply)."""
        for b in self.bindings:
            b.load()
        self.refresh()

    def refresh(self) -> None:
        """Show messages, locks and derived values (after every edit)."""
        for b in self.bindings:
            b.refresh()

    def subtitle(self) -> str:
        """The grey second line under the page's name in the tree."""
        return ""

    def has_pending(self) -> bool:
        return any(self.model.is_pending(f) for f in self.fields)

    def has_error(self) -> bool:
        return any(self.model.error(f) for f in self.fields)

    def error_fields(self) -> tuple[str, ...]:
        return tuple(f for f in self.fields if self.model.error(f))
