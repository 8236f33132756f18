"""The simulation's clock and its step: every 100 ms of simulated time the scheduler divides
each machine's processors, the I/O model moves every device's I/O and the counters take
their figures; in between, scheduled actions fire at their exact times.

The simulation knows machines only as :class:`Machine` (what a step reads and writes of a
host) and actions only by kind: whoever schedules an action registers its handler with
:meth:`Simulation.on_action`, and whatever must run once a simulated second registers with
:meth:`Simulation.every_second`.  It never names the management service above it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from hvlab.engine.sim import iomodel
from hvlab.engine.sim.clock import ActionQueue, ScheduledAction, seconds_to_us
from hvlab.engine.sim.counters import History, HostSample
from hvlab.engine.sim.hypervisor import Hypervisor
from hvlab.engine.sim.vmtable import VmTable, root_vps

STEP_US = 100_000
#: Steps between once-a-second work (Dynamic Memory, guest activity, history samples).
SLOW_EVERY = 10

ActionHandler = Callable[[ScheduledAction], None]
SecondHandler = Callable[[int], None]


class Machine(Protocol):
    """A physical server as the step sees it: its processors and storage, whether its
    hypervisor runs, and the CPU figures the step leaves on it."""

    hypervisor: Hypervisor | None
    #: CPU the last tick's I/O cost (charged in the next tick), in logical processors.
    io_root_lp: float
    io_hypervisor_lp: float
    #: What the processors did in the last tick, in logical processors.
    root_cpu_lp: float
    hypervisor_cpu_lp: float
    guest_cpu_lp: float
    #: Of ``root_cpu_lp``, what the root-side load got in the last tick.
    root_load_cpu_lp: float

    @property
    def root_load_lp(self) -> float:
        """Root-side work besides the VMs' (a trainer's load, a backup) wants, in LPs."""
        ...

    @property
    def logical_processors(self) -> int: ...

    @property
    def storage_iops(self) -> float: ...

    def sample(self, lps: float, hypercalls_s: float, intercepts_s: float) -> HostSample: ...


class Simulation:
    """The virtual clock, the action queue and the per-tick tables of every machine."""

    def __init__(self) -> None:
        self.now_us = 0
        self.step_index = 0
        self.queue = ActionQueue()
        self.table = VmTable()
        self.history = History()
        self.devices = iomodel.DeviceTable()
        self.devices.on_new_row = self.history.clear_device
        self.switch_infos: list[iomodel.SwitchInfo] = []
        #: The machines in their index order (a VM row's ``host`` column indexes it).
        self.machines: list[Machine] = []
        self._handlers: dict[str, ActionHandler] = {}
        self._every_second: list[SecondHandler] = []
        self._before_advance: list[Callable[[], None]] = []

    # -- registration -----------------------------------------------------------------------
    def on_action(self, kind: str, handler: ActionHandler) -> None:
        """Scheduled actions of ``kind`` go to ``handler`` when their time comes."""
        self._handlers[kind] = handler

    def every_second(self, handler: SecondHandler) -> None:
        """``handler(second)`` runs after each simulated second's last tick."""
        self._every_second.append(handler)

    def before_advance(self, handler: Callable[[], None]) -> None:
        """``handler()`` runs before time moves (work finished elsewhere is applied)."""
        self._before_advance.append(handler)

    # -- time -------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move simulated time forward by ``seconds`` (>= 0)."""
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        self.advance_to(self.now_us + seconds_to_us(seconds))

    def advance_to(self, target_us: int) -> None:
        for handler in self._before_advance:
            handler()
        while True:
            next_step = (self.step_index + 1) * STEP_US
            next_action = self.queue.peek_time()
            if next_action is not None and next_action <= next_step and next_action <= target_us:
                self.now_us = max(self.now_us, next_action)
                self._fire(self.queue.pop())
                continue
            if next_step > target_us:
                break
            self.now_us = next_step
            self._step()
        self.now_us = max(self.now_us, target_us)

    def _fire(self, action: ScheduledAction) -> None:
        handler = self._handlers.get(action.kind)
        if handler is None:  # pragma: no cover - a kind without a handler is a programming error
            raise AssertionError(f"no handler for action kind {action.kind!r}")
        handler(action)

    def _storage_iops(self) -> np.ndarray:
        return np.array([m.storage_iops if m.hypervisor else 0.0 for m in self.machines])

    def _root_cpu(self) -> iomodel.RootCpu:
        """Each root partition's CPU as the I/O step sees it (hosts whose hypervisor is down
        have none)."""
        lps = np.array([m.logical_processors if m.hypervisor else 0 for m in self.machines],
                       dtype=float)
        return iomodel.RootCpu(
            root_vps(lps),
            self.table.root_base_lp(len(self.machines)),
            np.array([m.root_load_cpu_lp for m in self.machines]),
        )

    def _step(self) -> None:
        self.step_index += 1
        machines = self.machines
        table = self.table
        lps = np.array([m.logical_processors if m.hypervisor else 0 for m in machines],
                       dtype=float)
        io_root = np.array([m.io_root_lp for m in machines])
        io_hv = np.array([m.io_hypervisor_lp for m in machines])
        load = np.array([m.root_load_lp if m.hypervisor else 0.0 for m in machines])
        ticks = table.step(self.step_index, STEP_US / 1e6, lps, io_root, io_hv, load)
        for machine, tick in zip(machines, ticks, strict=True):
            machine.root_load_cpu_lp = tick.root_load_lp if machine.hypervisor else 0.0
        # I/O moves after the guests asked for it; its CPU cost lands in the next tick.
        io_ticks = iomodel.step(self.devices, table, self._storage_iops(), self.switch_infos,
                                self._root_cpu())
        for machine, io_tick in zip(machines, io_ticks, strict=True):
            up = machine.hypervisor is not None
            machine.io_root_lp = io_tick.root_lp if up else 0.0
            machine.io_hypervisor_lp = io_tick.hypervisor_lp if up else 0.0
        extra = self.devices.vm_intercepts_s
        if extra.size:
            table.intercepts_s[: extra.size] += extra
        signals = self.devices.vm_interrupts_s
        if signals.size:
            table.vmbus_signals[: signals.size] += signals * (STEP_US / 1e6)
        n = table.size
        hidx = table.host[:n]
        hypercalls = np.bincount(hidx, weights=table.hypercalls_s[:n], minlength=len(machines))
        intercepts = np.bincount(hidx, weights=table.intercepts_s[:n], minlength=len(machines))
        samples = []
        for i, (machine, tick) in enumerate(zip(machines, ticks, strict=True)):
            up = machine.hypervisor is not None
            machine.root_cpu_lp = tick.root_lp if up else 0.0
            machine.hypervisor_cpu_lp = tick.hypervisor_lp if up else 0.0
            machine.guest_cpu_lp = tick.guest_lp if up else 0.0
            samples.append(machine.sample(lps[i], float(hypercalls[i]), float(intercepts[i])))
        self.history.accumulate(table, samples, self.devices)
        if self.step_index % SLOW_EVERY == 0:
            second = self.step_index // SLOW_EVERY
            for handler in self._every_second:
                handler(second)
            self.history.sample(self.now_us)

    # -- state from a library -----------------------------------------------------------------
    def replace_history(self, history: History) -> None:
        """Use saved counter history (a reopened library)."""
        self.history = history
        self.devices.on_new_row = history.clear_device

    def refresh_derived(self) -> None:
        """Recompute state derived from the saved state (the I/O of the last tick) without
        moving time: a reopened lab then answers reads exactly as before it was closed."""
        iomodel.step(self.devices, self.table, self._storage_iops(), self.switch_infos,
                     self._root_cpu())
