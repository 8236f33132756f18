"""Storage: real virtual hard disk files (VHD v1.0) and the operations on them.

The engine's model of Hyper-V's storage stack, as files other tools (qemu-img, libvhdi,
Windows) read. Pure Python and numpy; no GUI and no simulated time. See docs/vhd.md.
"""

from hvlab.engine.storage.disk_ops import (
    CompactResult,
    VhdInfo,
    compact_disk,
    convert_disk,
    expand_disk,
    inspect_disk,
    merge_disk,
    new_disk,
    reconnect_disk,
)
from hvlab.engine.storage.errors import (
    OperationCancelled,
    VhdCorruptError,
    VhdError,
    VhdInUseError,
    VhdParentError,
)
from hvlab.engine.storage.vhd import (
    Cancelled,
    Progress,
    VhdDifferencing,
    VhdDisk,
    VhdDynamic,
    VhdFixed,
)
from hvlab.engine.storage.vhd_create import create_vhd
from hvlab.engine.storage.vhd_format import (
    DEFAULT_BLOCK_SIZE,
    MAX_DISK_SIZE,
    SECTOR,
    DiskType,
    chs_geometry,
    rounded_disk_size,
)
from hvlab.engine.storage.vhd_open import find_parent, open_vhd, vhd_problem

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "MAX_DISK_SIZE",
    "SECTOR",
    "Cancelled",
    "CompactResult",
    "DiskType",
    "OperationCancelled",
    "Progress",
    "VhdCorruptError",
    "VhdDifferencing",
    "VhdDisk",
    "VhdDynamic",
    "VhdError",
    "VhdFixed",
    "VhdInUseError",
    "VhdInfo",
    "VhdParentError",
    "chs_geometry",
    "compact_disk",
    "convert_disk",
    "create_vhd",
    "expand_disk",
    "find_parent",
    "inspect_disk",
    "merge_disk",
    "new_disk",
    "open_vhd",
    "reconnect_disk",
    "rounded_disk_size",
    "vhd_problem",
]
