"""Package names imported on first use (PEP 562).

The engine's packages re-export names from their modules, and a client should pay only for
what it uses: ``hvctl vm list`` needs the library's listing but not the simulation, the
console's first paint needs ``resources_dir`` but not the VHD code. Such a package keeps a
table of name to home module and answers a missing attribute with :func:`load`::

    def __getattr__(name: str) -> Any:
        return lazy.load(__name__, _HOMES, name)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any


def load(package: str, homes: Mapping[str, str], name: str) -> Any:
    """``name`` from its home module in ``homes``, kept in ``package`` so that later lookups
    find it without calling this; AttributeError for a name the table does not have."""
    home = homes.get(name)
    if home is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    setattr(sys.modules[package], name, value)
    return value
