"""Virtual machines: create, read, change, dry runs, lifecycle, the bulk table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hvlab.engine import bounds, fileguard
from hvlab.engine.api.records import vm_info, vm_status
from hvlab.engine.api.surface import ApiCore, command, query
from hvlab.engine.api.types import StartCheckInfo, VmInfo, VmTableSnapshot
from hvlab.engine.api.values import coerce_fields
from hvlab.engine.config import VmConfig
from hvlab.engine.errors import InvalidStateError, ValidationError
from hvlab.engine.faults import ENVIRONMENT
from hvlab.engine.guests import load_catalogue
from hvlab.engine.jobs import Job
from hvlab.engine.lifecycle import Operation
from hvlab.engine.sim.clock import us_to_seconds
from hvlab.engine.sim.hypervisor import HypercallResult
from hvlab.engine.sim.memory import pages_mb, vm_overhead_mb
from hvlab.engine.vmms import admission, guest_runner, inventory, power, rules, settings, vm_files
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime


@dataclass(frozen=True)
class _VmRows:
    """The parts of the VM table that change only with an engine event."""

    members: list[tuple[Host, VmRuntime]]
    ids: tuple[str, ...]
    names: tuple[str, ...]
    host_ids: tuple[str, ...]
    states: tuple[str, ...]
    groups: tuple[str, ...]
    generations: npt.NDArray[np.int32]
    index: npt.NDArray[np.int64]
    host_lps: npt.NDArray[np.float64]


class VmCalls(ApiCore):
    """Virtual machines and their lifecycle."""

    #: The version-keyed rows :meth:`vm_table` reuses (see :meth:`_vm_rows`).
    _vm_rows_cache: tuple[int, _VmRows] | None = None

    @command
    def create_vm(self, name: str, *, host: str | None = None, **fields: Any) -> VmInfo:
        """Create a VM (Off).  ``fields`` are :class:`~hvlab.engine.config.VmConfig` fields."""
        h = self._host(host)
        fields = coerce_fields(fields)
        vm_id, key = self.lab.new_vm_identity()
        cfg = self._new_config(name, fields, vm_id)
        # The disks named here are the user's: a missing one is created where it was named.
        named = [p.parent for d in cfg.hard_drives
                 if (p := vm_files.base_path(self.lab, d)) is not None]
        with fileguard.granted(*named):
            vm = inventory.add_vm(h, cfg, key)
        return vm_info(self.lab, h, vm)

    def _new_config(self, name: str, fields: dict[str, Any], vm_id: str) -> VmConfig:
        """The configuration ``create_vm`` builds from coerced ``fields`` (not yet validated
        against the host)."""
        bad = set(fields) - set(VmConfig.__dataclass_fields__) | {"id", "created_us"} & set(fields)
        if bad:
            field = sorted(bad)[0]
            raise ValidationError(field, f"'{field}' is not a virtual machine setting.")
        if "guest_is_installed" not in fields:
            os_id = fields.get("guest_os", VmConfig.__dataclass_fields__["guest_os"].default)
            catalogue = load_catalogue()
            if os_id in catalogue:
                fields["guest_is_installed"] = catalogue[os_id].integration_services == "builtin"
        try:
            return VmConfig(id=vm_id, name=name, created_us=self.lab.sim.now_us, **fields)
        except TypeError as exc:
            raise ValidationError("name", str(exc)) from None

    @query
    def vms(self, host: str | None = None) -> list[VmInfo]:
        hosts = [self._host(host)] if host is not None else list(self.lab.hosts.values())
        return [vm_info(self.lab, h, v) for h in hosts for v in h.vms.values()]

    @query
    def vm(self, ref: str) -> VmInfo:
        return vm_info(self.lab, *self._resolve(ref))

    @command
    def set_vm(self, ref: str, **changes: Any) -> VmInfo:
        """Apply a change set atomically: every field is validated (range and hot-add rules
        for the VM's state) before any changes; an error names the field."""
        host, vm = self._resolve(ref)
        settings.set_vm(host, vm, coerce_fields(changes))
        return vm_info(self.lab, host, vm)

    @query
    def validate_new_vm(self, name: str, *, host: str | None = None, **fields: Any) -> None:
        """Raise the :class:`ValidationError` that ``create_vm(name, host=host, **fields)``
        would raise, naming the field; create nothing (no VM id is used up)."""
        h = self._host(host)
        cfg = self._new_config(name, coerce_fields(fields), "")
        settings.validate(h, cfg)

    @query
    def vm_change_errors(self, ref: str, **changes: Any) -> dict[str, str]:
        """Every reason ``set_vm(ref, **changes)`` would refuse, by field (empty: it would
        apply): ranges, the hot-add rules for the VM's state, and CPU reserve admission for a
        running VM.  The Settings dialog's live check; changes nothing."""
        host, vm = self._resolve(ref)
        return settings.change_errors(host, vm, coerce_fields(changes))

    @query
    def validate_vm_changes(self, ref: str, **changes: Any) -> None:
        """Raise the :class:`ValidationError` that ``set_vm(ref, **changes)`` would raise
        (naming every wrong field in ``fields``); change nothing."""
        errors = self.vm_change_errors(ref, **changes)
        if errors:
            raise ValidationError.for_fields(errors)

    @query
    def memory_check(self, memory_startup_mb: int, host: str | None = None) -> StartCheckInfo:
        """Would a new VM with ``memory_startup_mb`` of startup RAM fit in the host's memory
        now?  Memory only (startup RAM + overhead against what is available, MB);
        :meth:`start_check` is the full check for an existing VM."""
        h = self._host(host)
        # A question, not a setting: any whole number is answered (a size no host holds
        # does not fit), but NaN, infinity or a fraction is refused.
        memory_startup_mb = bounds.whole("memory_startup_mb", "Startup RAM", memory_startup_mb,
                                         0, 2**53, "MB")
        needed = pages_mb(memory_startup_mb + vm_overhead_mb(memory_startup_mb))
        if h.hypervisor is None:
            reason = " ".join(["The hypervisor is not running.", *h.blockers])
            return StartCheckInfo(False, reason, needed, 0)
        available = h.memory_available_mb()
        if h.memory.fits(needed, h.numa_spanning):
            return StartCheckInfo(True, None, needed, available)
        return StartCheckInfo(
            False, f"It needs {needed:,} MB (startup RAM plus {needed - memory_startup_mb:,} MB "
                   f"overhead); {available:,} MB is available.", needed, available)

    @query
    def locked_fields(self, ref: str) -> dict[str, str]:
        """Fields that cannot change in the VM's current state, with the reason."""
        host, vm = self._resolve(ref)
        return rules.locked_fields(host, vm)

    @query
    def available_operations(self, ref: str) -> dict[Operation, str | None]:
        """Each lifecycle operation: None when available now, else the reason it is not."""
        host, vm = self._resolve(ref)
        return rules.available_operations(host, vm)

    @query
    def start_check(self, ref: str) -> StartCheckInfo:
        """Would Start succeed now?  Memory needed (startup RAM + overhead) and available,
        and a warning for a start the profile does not support (beyond its VP:LP ratio)."""
        host, vm = self._resolve(ref)
        c = admission.start_check(host, vm)
        return StartCheckInfo(c.ok, c.reason, c.needed_mb, c.available_mb, c.warning)

    @query
    def console(self, ref: str, since_serial: int = 0) -> tuple[int, list[tuple[float, str]]]:
        """Console lines (simulated time, text) newer than ``since_serial``, and the serial."""
        _, vm = self._resolve(ref)
        since_serial = bounds.whole("since_serial", "The console serial", since_serial, 0,
                                    2**63 - 1)
        lines = list(vm.console)
        new = vm.console_serial - since_serial
        if since_serial > 0:
            lines = lines[-new:] if 0 < new <= len(lines) else ([] if new <= 0 else lines)
        return vm.console_serial, [(us_to_seconds(t), text) for t, text in lines]

    @command
    def start(self, ref: str) -> Job:
        return self._op(ref, power.start)

    @command
    def turn_off(self, ref: str) -> Job:
        self._refuse_stop(ref, "turn off")
        return self._op(ref, power.turn_off)

    @command
    def shut_down(self, ref: str) -> Job:
        self._refuse_stop(ref, "shut down")
        return self._op(ref, power.shut_down)

    def _refuse_stop(self, ref: str, verb: str) -> None:
        """A VM an injected fault keeps running (``refuse-stop:VM``) does not answer."""
        _host, vm = self._resolve(ref)
        if self.faults.refuses_stop(vm.name):
            raise InvalidStateError(
                f"'{vm.name}' failed to {verb}.",
                ["The virtual machine is not responding. (0x8007045B)",
                 f"A fault injected with {ENVIRONMENT} (refuse-stop:{vm.name})."])

    @command
    def save(self, ref: str) -> Job:
        return self._op(ref, power.save)

    @command
    def pause(self, ref: str) -> Job:
        return self._op(ref, power.pause)

    @command
    def resume(self, ref: str) -> Job:
        return self._op(ref, power.resume)

    @command
    def reset(self, ref: str) -> Job:
        return self._op(ref, power.reset)

    @command
    def delete_saved_state(self, ref: str) -> Job:
        return self._op(ref, power.delete_saved_state)

    def _op(self, ref: str, method: Callable[[Host, VmRuntime], Any]) -> Job:
        host, vm = self._resolve(ref)
        record = method(host, vm)
        view: Job = record.view(self.lab.sim.now_us)
        return view

    @command
    def rename(self, ref: str, new_name: str) -> VmInfo:
        host, vm = self._resolve(ref)
        settings.rename(host, vm, new_name)
        return vm_info(self.lab, host, vm)

    @command
    def delete_vm(self, ref: str) -> None:
        host, vm = self._resolve(ref)
        inventory.delete(host, vm)

    @command
    def issue_hypercall(self, ref: str, call: str, /, target_vm: str | None = None,
                        **params: Any) -> HypercallResult:
        """Have the guest in VM ``ref`` issue hypercall ``call`` with ``params`` (a training
        demonstration: a child partition trying a privileged call, or a message on a
        connection it does not own, is refused, counted and logged).  ``target_vm`` names
        the VM acted on, or the one a message is meant for; ``"root"`` is the root."""
        host, vm = self._resolve(ref)
        if host.hypervisor is None or vm.partition_id is None:
            raise InvalidStateError(f"'{vm.name}' has no running partition to issue a hypercall.")
        target: int | None = None
        if target_vm is not None and target_vm.casefold() == "root":
            target = host.hypervisor.ROOT_ID
        elif target_vm is not None:
            _, tvm = self._resolve(target_vm)
            target = tvm.partition_id if tvm.partition_id is not None else -1
        return host.hypervisor.hypercall(vm.partition_id, call, target, **params)

    @query
    def vm_table(self) -> VmTableSnapshot:
        """All VMs in one read: what the VM list needs each tick.  What changes only with an
        event (the VMs, names, states, groups) is gathered once per table version."""
        now = self.lab.sim.now_us
        t = self.lab.sim.table
        rows = self._vm_rows()
        # One pass, and no calls for a VM that is neither running nor in a job (most of a
        # big lab): its heartbeat and status are empty (guest_runner.heartbeat, vm_status).
        heartbeats: list[str] = []
        statuses: list[str] = []
        uptimes_us: list[int] = []
        beating = guest_runner.HEARTBEAT_STATES
        for h, v in rows.members:
            uptimes_us.append(v.uptime_us(now))
            if v.job_id is None and v.state not in beating:
                heartbeats.append("")
                statuses.append("")
                continue
            beat = guest_runner.heartbeat(h, v)
            heartbeats.append(beat)
            statuses.append(vm_status(self.lab, h, v, beat))
        uptimes = np.array(uptimes_us, dtype=np.float64) / 1e6
        index = rows.index
        return VmTableSnapshot(
            time_us=now,
            version=self._version,
            ids=rows.ids,
            names=rows.names,
            host_ids=rows.host_ids,
            states=rows.states,
            statuses=tuple(statuses),
            generations=rows.generations.copy(),
            cpu_counts=t.vps[index].copy(),
            cpu_usage_percent=100.0 * t.cpu_usage_lp[index] / rows.host_lps,
            memory_assigned_mb=t.memory_assigned_mb[index].copy(),
            memory_demand_mb=t.memory_demand_mb[index].copy(),
            uptime_seconds=uptimes,
            heartbeats=tuple(heartbeats),
            groups=rows.groups,
        )

    def _vm_rows(self) -> _VmRows:
        cached = self._vm_rows_cache
        if cached is not None and cached[0] == self._version:
            return cached[1]
        members = [(h, v) for h in self.lab.hosts.values() for v in h.vms.values()]
        rows = _VmRows(
            members=members,
            ids=tuple(v.id for _, v in members),
            names=tuple(v.config.name for _, v in members),
            host_ids=tuple(h.id for h, _ in members),
            states=tuple(v.state.value for _, v in members),
            groups=tuple(v.config.group for _, v in members),
            generations=np.array([v.config.generation for _, v in members], dtype=np.int32),
            index=np.array([v.slot for _, v in members], dtype=np.int64),
            host_lps=np.array([float(max(h.logical_processors, 1)) for h, _ in members]),
        )
        self._vm_rows_cache = (self._version, rows)
        return rows
