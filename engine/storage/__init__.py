"""Storage: real virtual hard disk files (VHD v1.0) and the operations on them.

The engine's model of Hyper-V's storage stack, as files other tools (qemu-img, libvhdi,
Windows) read. Pure Python and numpy; no GUI and no simulated time. See docs/vhd.md.

Names load on first use (PEP 562): a client that needs only a constant, such as
``MAX_DISK_SIZE`` for ``hvctl``'s options, loads neither numpy nor the disk code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hvlab.engine import lazy

if TYPE_CHECKING:
    from hvlab.engine.storage.disk_ops import CompactResult as CompactResult
    from hvlab.engine.storage.disk_ops import VhdInfo as VhdInfo
    from hvlab.engine.storage.disk_ops import compact_disk as compact_disk
    from hvlab.engine.storage.disk_ops import convert_disk as convert_disk
    from hvlab.engine.storage.disk_ops import expand_disk as expand_disk
    from hvlab.engine.storage.disk_ops import inspect_disk as inspect_disk
    from hvlab.engine.storage.disk_ops import merge_disk as merge_disk
    from hvlab.engine.storage.disk_ops import new_disk as new_disk
    from hvlab.engine.storage.disk_ops import reconnect_disk as reconnect_disk
    from hvlab.engine.storage.errors import OperationCancelled as OperationCancelled
    from hvlab.engine.storage.errors import VhdCorruptError as VhdCorruptError
    from hvlab.engine.storage.errors import VhdError as VhdError
    from hvlab.engine.storage.errors import VhdInUseError as VhdInUseError
    from hvlab.engine.storage.errors import VhdParentError as VhdParentError
    from hvlab.engine.storage.vhd import Cancelled as Cancelled
    from hvlab.engine.storage.vhd import Progress as Progress
    from hvlab.engine.storage.vhd import VhdDifferencing as VhdDifferencing
    from hvlab.engine.storage.vhd import VhdDisk as VhdDisk
    from hvlab.engine.storage.vhd import VhdDynamic as VhdDynamic
    from hvlab.engine.storage.vhd import VhdFixed as VhdFixed
    from hvlab.engine.storage.vhd_create import create_vhd as create_vhd
    from hvlab.engine.storage.vhd_format import DEFAULT_BLOCK_SIZE as DEFAULT_BLOCK_SIZE
    from hvlab.engine.storage.vhd_format import MAX_DISK_SIZE as MAX_DISK_SIZE
    from hvlab.engine.storage.vhd_format import SECTOR as SECTOR
    from hvlab.engine.storage.vhd_format import DiskType as DiskType
    from hvlab.engine.storage.vhd_format import chs_geometry as chs_geometry
    from hvlab.engine.storage.vhd_format import rounded_disk_size as rounded_disk_size
    from hvlab.engine.storage.vhd_open import find_parent as find_parent
    from hvlab.engine.storage.vhd_open import open_vhd as open_vhd
    from hvlab.engine.storage.vhd_open import vhd_problem as vhd_problem

_HOMES: dict[str, str] = {
    "Cancelled": "hvlab.engine.storage.vhd",
    "CompactResult": "hvlab.engine.storage.disk_ops",
    "DEFAULT_BLOCK_SIZE": "hvlab.engine.storage.vhd_format",
    "DiskType": "hvlab.engine.storage.vhd_format",
    "MAX_DISK_SIZE": "hvlab.engine.storage.vhd_format",
    "OperationCancelled": "hvlab.engine.storage.errors",
    "Progress": "hvlab.engine.storage.vhd",
    "SECTOR": "hvlab.engine.storage.vhd_format",
    "VhdCorruptError": "hvlab.engine.storage.errors",
    "VhdDifferencing": "hvlab.engine.storage.vhd",
    "VhdDisk": "hvlab.engine.storage.vhd",
    "VhdDynamic": "hvlab.engine.storage.vhd",
    "VhdError": "hvlab.engine.storage.errors",
    "VhdFixed": "hvlab.engine.storage.vhd",
    "VhdInUseError": "hvlab.engine.storage.errors",
    "VhdInfo": "hvlab.engine.storage.disk_ops",
    "VhdParentError": "hvlab.engine.storage.errors",
    "chs_geometry": "hvlab.engine.storage.vhd_format",
    "compact_disk": "hvlab.engine.storage.disk_ops",
    "convert_disk": "hvlab.engine.storage.disk_ops",
    "create_vhd": "hvlab.engine.storage.vhd_create",
    "expand_disk": "hvlab.engine.storage.disk_ops",
    "find_parent": "hvlab.engine.storage.vhd_open",
    "open_vhd": "hvlab.engine.storage.vhd_open",
    "vhd_problem": "hvlab.engine.storage.vhd_open",
    "inspect_disk": "hvlab.engine.storage.disk_ops",
    "merge_disk": "hvlab.engine.storage.disk_ops",
    "new_disk": "hvlab.engine.storage.disk_ops",
    "reconnect_disk": "hvlab.engine.storage.disk_ops",
    "rounded_disk_size": "hvlab.engine.storage.vhd_format",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    return lazy.load(__name__, _HOMES, name)
