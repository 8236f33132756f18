"""How disk sizes are written: the way Hyper-V Manager shows them (binary units, "127 GB")."""

from __future__ import annotations

KB = 1024
MB = 1024 * KB
GB = 1024 * MB


def _number(value: float) -> str:
    if value >= 100 or abs(value - round(value)) < 0.05:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def size_text(n_bytes: int | float) -> str:
    """``127 GB``, ``4.5 MB``, ``512 KB``, ``0 bytes`` (1 GB = 1,073,741,824 bytes)."""
    n = float(n_bytes)
    if n >= GB:
        return f"{_number(n / GB)} GB"
    if n >= MB:
        return f"{_number(n / MB)} MB"
    if n >= KB:
        return f"{_number(n / KB)} KB"
    return f"{int(n):,} bytes"


def size_with_bytes(n_bytes: int) -> str:
    """``127 GB (136,365,211,648 bytes)``: Inspect Disk's precise form."""
    return f"{size_text(n_bytes)} ({n_bytes:,} bytes)"
