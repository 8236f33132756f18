"""How the console writes numbers: the way Hyper-V Manager shows them.

Plain functions, no Qt, so the VM list model can call them for visible cells only.
"""

from __future__ import annotations

#: States in which Hyper-V Manager leaves CPU Usage, Assigned Memory and Uptime blank.
_IDLE_STATES = frozenset({"Off", "Saved"})


def megabytes(mb: float) -> str:
    """A list cell: ``2048 MB`` (no thousands separator, as Hyper-V Manager's list)."""
    return f"{round(mb)} MB"


def cpu_percent(percent: float) -> str:
    """``3 %``: Hyper-V Manager rounds CPU usage to whole percent."""
    return f"{round(percent)} %"


def uptime(seconds: float) -> str:
    """``00:01:29``, or ``2.03:04:05`` past a day (d.hh:mm:ss, as Hyper-V's TimeSpan)."""
    total = int(seconds)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}.{clock}" if days else clock


def sim_time(seconds: float) -> str:
    """The simulated clock in the toolbar: ``Day 1, 00:01:30`` style (from the lab's start)."""
    total = int(seconds)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    return f"Day {days + 1}, {hours:02d}:{minutes:02d}:{secs:02d}"


def shows_live_figures(state: str) -> bool:
    """False for Off and Saved VMs, whose CPU, memory and uptime cells stay empty."""
    return state not in _IDLE_STATES


def fit_text(needed_mb: int, available_mb: int) -> str:
    """The memory pre-check sentence of the Start action."""
    return f"Needs {needed_mb:,} MB; {available_mb:,} MB available"
