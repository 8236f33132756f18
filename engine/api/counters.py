"""Performance counters and the 1 s history behind the graphs."""

from __future__ import annotations

from typing import Any

from hvlab.engine.api.surface import ApiCore, query
from hvlab.engine.api.types import CounterSetInfo, CounterValue
from hvlab.engine.errors import NotFoundError
from hvlab.engine.sim import counters
from hvlab.engine.vmms.host import Host


class CounterCalls(ApiCore):
    """Performance counters and history."""

    def _vm_refs(self, h: Host) -> list[counters.VmRef]:
        rows = self.lab.sim.devices.rows
        out = []
        for v in h.vms.values():
            if v.partition_id is None:
                continue
            devs = []
            for d in v.config.hard_drives:
                key = f"{d.controller.lower()}{d.controller_number}:{d.location}"
                if (v.id, key) in rows:
                    devs.append(counters.DeviceRef(key, rows[(v.id, key)], False, d.path))
            for i, n in enumerate(v.config.network_adapters):
                if (v.id, f"nic{i}") in rows:
                    devs.append(counters.DeviceRef(f"nic{i}", rows[(v.id, f"nic{i}")],
                                                   n.legacy, ""))
            out.append(counters.VmRef(v.name, v.slot, v.config.cpu_count, tuple(devs)))
        return out

    @query
    def counter_sets(self, host: str | None = None) -> list[CounterSetInfo]:
        """Counter sets with their counters and current instances (perfmon's Add Counters)."""
        h = self._host(host)
        refs = self._vm_refs(h)
        return [CounterSetInfo(name, names, counters.instances(name, h.logical_processors, refs))
                for name, names in counters.COUNTERS.items()]

    @query
    def counter_history(self, counter_set: str, counter: str, instance: str = "_Total",
                        host: str | None = None) -> tuple[Any, Any]:
        """(times in simulated seconds, values) of one counter: 1 s samples, newest last."""
        h = self._host(host)
        try:
            values = counters.series(self.lab.sim.history, h.index, counter_set, counter, instance,
                                     self._vm_refs(h))
        except KeyError as exc:
            raise NotFoundError(str(exc.args[0]) if exc.args else str(exc)) from None
        return self.lab.sim.history.times_s(), values

    @query
    def counter_values(self, host: str | None = None,
                       counter_set: str | None = None) -> list[CounterValue]:
        """The newest sample of every counter instance (of one set, if given)."""
        out = []
        for info in self.counter_sets(host):
            if counter_set is not None and info.name.casefold() != counter_set.casefold():
                continue
            for counter in info.counters:
                for instance in info.instances:
                    _, values = self.counter_history(info.name, counter, instance, host)
                    out.append(CounterValue(info.name, counter, instance,
                                            float(values[-1]) if len(values) else 0.0))
        if counter_set is not None and not out:
            known = ", ".join(counters.COUNTERS)
            raise NotFoundError(f"No counter set named '{counter_set}'.", [f"Known: {known}."])
        return out

    @query
    def vm_history(self, ref: str) -> dict[str, Any]:
        """A VM's 1 s history: ``times`` (simulated s) and series named as in
        ``hvlab.engine.sim.counters.VM_SERIES`` (CPU in LPs, memory in MB, I/O rates)."""
        _, vm = self._resolve(ref)
        out: dict[str, Any] = {"times": self.lab.sim.history.times_s()}
        for name in counters.VM_SERIES:
            out[name] = self.lab.sim.history.vm_series(vm.slot, name)
        return out

    @query
    def host_history(self, host: str | None = None) -> dict[str, Any]:
        """A host's 1 s history: ``times`` and ``hvlab.engine.sim.counters.HOST_SERIES``."""
        h = self._host(host)
        out: dict[str, Any] = {"times": self.lab.sim.history.times_s()}
        for name in counters.HOST_SERIES:
            out[name] = self.lab.sim.history.host_series(h.index, name)
        return out
