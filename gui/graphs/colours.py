"""Colours of the performance views (no pyqtgraph, no numpy: the sparkline uses them too).

Series colours are distinct on both the light and the dark theme. The CPU stack and the
memory map share their owner colours, so "root" is the same purple in both.
"""

from __future__ import annotations

#: Line colours for counters and virtual processors, in the order they are handed out.
SERIES = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#e377c2", "#8c564b",
    "#bcbd22", "#7f7f7f", "#3b5bdb", "#c2255c", "#2b8a3e", "#e8590c", "#6741d9", "#0c8599",
)
GUEST = "#3b82c4"
HYPERVISOR = "#e0812b"
ROOT = "#8e5bb5"
#: Memory owners other than VMs.
MEMORY_HYPERVISOR = "#6b7785"
MEMORY_ROOT = ROOT
#: VM colours in the memory map: hues away from the root's purple and the hypervisor grey.
VM_MEMORY = ("#3b82c4", "#2ca02c", "#17becf", "#e0a526", "#d62728", "#1b6e8a", "#7cb342",
             "#e377c2", "#c2691b", "#5c7cfa", "#0c8599", "#a0522d")
MEMORY_ASSIGNED = "#3b82c4"
MEMORY_DEMAND = "#e0812b"
DISK = "#2ca02c"
NETWORK = "#9467bd"
RUNNING = "#3b82c4"


def series(index: int) -> str:
    return SERIES[index % len(SERIES)]


def vm_memory(index: int) -> str:
    """The memory-map colour of the host's ``index``-th VM (creation order), so a VM keeps
    its colour while others start and stop, and neighbours differ."""
    return VM_MEMORY[index % len(VM_MEMORY)]
