"""A management API that notes the thread of every declared call made on it: tests of the
engine thread check that no call ran anywhere else."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from hvlab.engine.api import ManagementApi, declared_calls

_DECLARED = frozenset(declared_calls(ManagementApi))


class RecordingApi(ManagementApi):
    """Appends the current thread to :attr:`called_from` at each declared call."""

    called_from: ClassVar[list[threading.Thread]] = []

    def __getattribute__(self, name: str) -> Any:
        if name in _DECLARED:
            RecordingApi.called_from.append(threading.current_thread())
        return super().__getattribute__(name)
