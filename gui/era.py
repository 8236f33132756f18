"""The console speaks the release of the host it shows.

Hyper-V Manager on Windows Server 2008 and 2008 R2 says "Snapshot" and "Virtual Network
Manager"; 2012 R2 says "Checkpoint" and "Virtual Switch Manager". The words are the engine's
(``ManagementApi.host_profile(host).words``, the one record hvctl reads too); this module
only applies them to the window: every action and pane header written with the later words
is relabelled when the selected host's profile changes, and the status bar names the profile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow, QToolButton

from hvlab.gui import ids

if TYPE_CHECKING:
    from hvlab.engine.api import HostInfo, ManagementApi

Say = Callable[[str], str]

#: The text a widget or action had when it was built (the later releases' words).
_BASE = "hvlabEraBaseText"
#: Set (True) on a widget whose text is a name from a file, such as a lesson's title: a
#: trainer's words are not the console's to change.
VERBATIM = "hvlabEraVerbatim"
#: Words a relabelled text holds in its base form.
_ERA_WORDS = ("Checkpoint", "checkpoint", "Virtual Switch", "virtual switch")


def with_mnemonic(base: str, say: Say) -> str:
    """``base`` (which may hold an ``&`` mnemonic) in the release's words, keeping the
    mnemonic on the same letter when the new text has it."""
    plain = _plain(base)
    new = say(plain)
    if new == plain:
        return base
    marked = base.replace("&&", "\0\0")
    if "&" not in marked:
        return new
    at = marked.index("&")  # the mnemonic's letter is plain[at]
    tail = say(plain[at:])
    if new.endswith(tail):  # the same word, where the new text has it
        at = len(new) - len(tail)
    else:
        at = new.lower().find(plain[at].lower())
    return new if at < 0 else new[:at] + "&" + new[at:]


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def relabel(target: QAction | QLabel, say: Say) -> None:
    """Give ``target`` its base text in the release's words (its base text is kept)."""
    if target.property(VERBATIM) is True:
        return
    base = target.property(_BASE)
    if not isinstance(base, str):
        base = target.text()
        if not any(word in _plain(base) for word in _ERA_WORDS):
            return
        target.setProperty(_BASE, base)
    text = with_mnemonic(base, say)
    if target.text() != text:
        target.setText(text)
        if isinstance(target, QAction):
            target.setIconText(_plain(text))
        if ids.accessible_name(target):  # a screen reader says what the user sees
            ids.set_accessible_name(target, _plain(text))


class EraWords:
    """Keeps one main window in the words of its selected host's release, and shows that
    release in the status bar (``status``)."""

    def __init__(self, window: QMainWindow) -> None:
        self._window = window
        self._profile_id = ""
        self.say: Say = str
        #: Told the new words when the release changes (the Checkpoints pane's dialogs).
        self.listeners: list[Callable[[Say], None]] = []
        self.status = QLabel("")
        ids.apply(self.status, ids.STATUS_PROFILE)
        window.statusBar().insertPermanentWidget(0, self.status)

    def listen(self, listener: Callable[[Say], None]) -> None:
        """Tell ``listener`` the words now and whenever the release changes."""
        self.listeners.append(listener)
        listener(self.say)

    def follow(self, api: ManagementApi, host: HostInfo | None) -> None:
        """Relabel the window when ``host`` runs another release than the last one seen."""
        if host is None or host.profile_id == self._profile_id:
            return
        self._profile_id = host.profile_id
        profile = api.host_profile(host.id)
        self.say = profile.words.say
        for action in self._window.findChildren(QAction):
            relabel(action, self.say)
        for button in self._window.findChildren(QToolButton):  # toolbar and pane buttons
            bound = button.defaultAction()
            if bound is not None and isinstance(bound.property(_BASE), str):
                button.setAccessibleName(_plain(bound.text()))
        for label in self._window.findChildren(QLabel):
            if label.property("role") == "paneHeader":
                relabel(label, self.say)
        for listener in self.listeners:
            listener(self.say)
        remote = "; managed remotely (Server Core)" if host.remote_management_only else ""
        self.status.setText(f"{host.name}: {profile.name}{remote}")
        self.status.setToolTip(f"The host runs {profile.name} ({profile.id}); the console "
                               "uses that release's words and offers its features.")
