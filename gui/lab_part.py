"""Parts of a window built before its lab is open.

The main window paints before the engine is even imported, so the parts whose actions appear
in its menus and toolbars are built without a lab: their actions stay disabled until
``attach(bridge)`` hands them the lab's bridge, and using one earlier is a programming error
that says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from hvlab.gui.bridge import Bridge


class LabPart:
    """Mixin (before the Qt base class) for a part that waits for the lab."""

    _bridge: Bridge | None = None
    _waiting: Sequence[QAction] = ()

    def wait_for_lab(self, actions: Sequence[QAction]) -> None:
        """Keep ``actions`` disabled until :meth:`attach`."""
        self._waiting = list(actions)
        for action in self._waiting:
            action.setEnabled(False)

    def attach(self, bridge: Bridge) -> None:
        """Work on the lab behind ``bridge`` from now on."""
        self._bridge = bridge
        for action in self._waiting:
            action.setEnabled(True)

    @property
    def bridge(self) -> Bridge:
        if self._bridge is None:
            raise RuntimeError("no lab is open yet")
        return self._bridge
