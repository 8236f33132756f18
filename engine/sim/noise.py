"""Deterministic per-VM noise, vectorised.

Each VM owns a 64-bit key derived from the lab seed with ``numpy.random.SeedSequence.spawn``.
The noise for VM *i* at step *k* is a hash (splitmix64) of (key_i, k): a counter-based
stream, so a VM's noise depends only on its own key and the step number.  Adding or removing
other VMs never changes it, and one vectorised call serves every VM in a tick.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def spawn_key(seed: int, index: int) -> int:
    """The 64-bit key of child ``index`` of the seed (what ``SeedSequence.spawn`` yields)."""
    child = np.random.SeedSequence(seed, spawn_key=(index,))
    return int(child.generate_state(1, dtype=np.uint64)[0])


def uniform(keys: npt.NDArray[np.uint64], step: int, stream: int = 0) -> npt.NDArray[np.float64]:
    """Uniform [0, 1) values, one per key, for simulation step ``step`` and a stream id."""
    counter = np.uint64((step * 0x2545F4914F6CDD1D + stream * 0x632BE59BD9B4E019) % (1 << 64))
    with np.errstate(over="ignore"):
        z = keys + counter * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
