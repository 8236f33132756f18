"""Performance counters with Hyper-V's counter-set names, and their 1-second history.

Every tick adds the per-VM and per-host figures into accumulators; once per simulated second
the averages become one sample in ring buffers (600 samples: ten minutes).  Counter values are
read from the newest sample, so ``hvctl counters``, the graphs and a CSV export all agree.

The scheduler is fluid: it divides processor time exactly without pinning virtual processors
to logical ones, so each logical processor shows the host's average load, and a VM's run time
is split across its virtual processors by the guest's phase (firmware and boot loader run on
VP 0 only).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hvlab.engine.sim.iomodel import DeviceTable
from hvlab.engine.sim.vmtable import ROOT_MAX_VPS, VmTable

FloatArray = npt.NDArray[np.float64]
HISTORY_SAMPLES = 600

#: Per-VM series kept in history, and the VmTable column each comes from.
VM_SERIES = {
    "cpu_lp": "cpu_usage_lp",
    "cpu_hv_lp": "cpu_hv_lp",
    "bsp_share": "bsp_share",
    "memory_assigned_mb": "memory_assigned_mb",
    "memory_demand_mb": "memory_demand_mb",
    "disk_iops": "disk_iops",
    "net_mbit": "net_mbit",
    "dirty_pages": "dirty_pages",
    "hypercalls_s": "hypercalls_s",
    "intercepts_s": "intercepts_s",
}
#: Per-device (virtual disk or adapter) series, from hvlab.engine.sim.iomodel.DeviceTable.
DEV_SERIES = ("rate", "emulated_rate", "root_lp", "intercepts_s", "interrupts_s")
HOST_SERIES = (
    "lps",
    "guest_lp",
    "hypervisor_lp",
    "root_lp",
    "memory_total_mb",
    "memory_free_mb",
    "memory_available_mb",
    "running_vms",
    "partitions",
    "virtual_processors",
    "hypercalls_s",
    "intercepts_s",
)


@dataclass(frozen=True)
class HostSample:
    """One tick of one host, as the lab sees it."""

    lps: float
    guest_lp: float
    hypervisor_lp: float
    root_lp: float
    memory_total_mb: float
    memory_free_mb: float
    memory_available_mb: float
    running_vms: float
    partitions: float
    virtual_processors: float
    hypercalls_s: float
    intercepts_s: float


class History:
    """Ring buffers of 1-second averages for every VM slot and every host.

    Per-VM arrays are laid out [sample, slot] so closing a second writes one contiguous row.
    """

    def __init__(self, samples: int = HISTORY_SAMPLES) -> None:
        self.samples = samples
        self.times_us = np.zeros(samples, dtype=np.int64)
        self.count = 0
        self.head = 0  # index of the next sample to write
        self.capacity = 0
        self.vm: dict[str, npt.NDArray[np.float32]] = {}
        self._vm_acc: dict[str, FloatArray] = {}
        self.host: dict[str, npt.NDArray[np.float64]] = {
            name: np.zeros((0, samples)) for name in HOST_SERIES
        }
        self._host_acc = np.zeros((0, len(HOST_SERIES)))
        self._ticks = 0
        self.dev: dict[str, npt.NDArray[np.float32]] = {}
        self._dev_acc: dict[str, FloatArray] = {}
        self.dev_capacity = 0
        self._grow_vms(64)
        self._grow_devs(64)

    def _grow_vms(self, capacity: int) -> None:
        self._grow_columns(self.vm, self._vm_acc, VM_SERIES, capacity)
        self.capacity = capacity

    def _grow_devs(self, capacity: int) -> None:
        self._grow_columns(self.dev, self._dev_acc, DEV_SERIES, capacity)
        self.dev_capacity = capacity

    def _grow_columns(self, rings: dict[str, npt.NDArray[np.float32]],
                      accs: dict[str, FloatArray], names: Iterable[str], capacity: int) -> None:
        """Widen the [sample, row] rings and the per-row accumulators to ``capacity`` rows,
        keeping what they hold (a series seen for the first time starts empty)."""
        for name in names:
            old = rings.get(name, np.zeros((self.samples, 0), dtype=np.float32))
            new = np.zeros((self.samples, capacity), dtype=np.float32)
            new[:, : old.shape[1]] = old
            rings[name] = new
            acc = accs.get(name, np.zeros(0))
            grown = np.zeros(capacity)
            grown[: len(acc)] = acc
            accs[name] = grown

    def clear_device(self, row: int) -> None:
        """A device row was given to a new disk or adapter: its history starts empty."""
        if row >= self.dev_capacity:
            self._grow_devs(max(self.dev_capacity * 2, row + 1))
        self._clear_column(self.dev, self._dev_acc, DEV_SERIES, row)

    def _ensure_hosts(self, hosts: int) -> None:
        have = self._host_acc.shape[0]
        if hosts <= have:
            return
        for name in HOST_SERIES:
            grown = np.zeros((hosts, self.samples))
            grown[:have] = self.host[name]
            self.host[name] = grown
        acc = np.zeros((hosts, len(HOST_SERIES)))
        acc[:have] = self._host_acc
        self._host_acc = acc

    def drop_host(self, index: int) -> None:
        """The machine at ``index`` left the simulation: the later ones move up a row."""
        if index >= self._host_acc.shape[0]:
            return
        for name in HOST_SERIES:
            self.host[name] = np.delete(self.host[name], index, axis=0)
        self._host_acc = np.delete(self._host_acc, index, axis=0)

    def clear_slot(self, slot: int) -> None:
        """A slot was given to a new VM: it starts with an empty history."""
        if slot >= self.capacity:
            self._grow_vms(max(self.capacity * 2, slot + 1))
        self._clear_column(self.vm, self._vm_acc, VM_SERIES, slot)

    @staticmethod
    def _clear_column(rings: dict[str, npt.NDArray[np.float32]], accs: dict[str, FloatArray],
                      names: Iterable[str], row: int) -> None:
        for name in names:
            rings[name][:, row] = 0.0
            accs[name][row] = 0.0

    def accumulate(self, table: VmTable, hosts: Iterable[HostSample],
                   devices: DeviceTable | None = None) -> None:
        """Add one tick's figures (called every step)."""
        if table.capacity > self.capacity:
            self._grow_vms(table.capacity)
        n = table.size
        for name, column in VM_SERIES.items():
            self._vm_acc[name][:n] += getattr(table, column)[:n]
        if devices is not None and devices.size:
            if devices.capacity > self.dev_capacity:
                self._grow_devs(devices.capacity)
            m = devices.size
            self._dev_acc["rate"][:m] += devices.rate[:m]
            self._dev_acc["emulated_rate"][:m] += devices.rate[:m] * devices.emulated[:m]
            self._dev_acc["root_lp"][:m] += devices.root_lp[:m]
            self._dev_acc["intercepts_s"][:m] += devices.intercepts_s[:m]
            self._dev_acc["interrupts_s"][:m] += devices.interrupts_s[:m]
        rows = [[getattr(h, name) for name in HOST_SERIES] for h in hosts]
        self._ensure_hosts(len(rows))
        if rows:
            self._host_acc[: len(rows)] += np.array(rows)
        self._ticks += 1

    def sample(self, now_us: int) -> None:
        """Close the current second: the averages become the newest sample."""
        if self._ticks == 0:
            return
        i = self.head
        inv = 1.0 / self._ticks
        for name in VM_SERIES:
            acc = self._vm_acc[name]
            np.multiply(acc[: self.capacity], inv, out=self.vm[name][i], casting="unsafe")
            acc[:] = 0.0
        for name in DEV_SERIES:
            acc = self._dev_acc[name]
            np.multiply(acc[: self.dev_capacity], inv, out=self.dev[name][i], casting="unsafe")
            acc[:] = 0.0
        for k, name in enumerate(HOST_SERIES):
            self.host[name][:, i] = self._host_acc[:, k] * inv
        self._host_acc[:] = 0.0
        self.times_us[i] = now_us
        self._ticks = 0
        self.head = (i + 1) % self.samples
        self.count = min(self.count + 1, self.samples)

    # -- persistence (display data: a library keeps it so graphs survive a reopen) --------
    def to_bytes(self, device_rows: dict[tuple[str, str], int]) -> bytes:
        """The rings as an .npz payload; device rows are saved with their (VM, device) keys
        because a reopened lab may number them differently."""
        buf = io.BytesIO()
        keys = sorted(device_rows)
        arrays: dict[str, npt.NDArray[Any]] = {
            "meta": np.array([self.samples, self.count, self.head], dtype=np.int64),
            "times_us": self.times_us,
            "dev_keys": np.array(["|".join(k) for k in keys], dtype=str),
            "dev_rows": np.array([device_rows[k] for k in keys], dtype=np.int64),
        }
        for name in VM_SERIES:
            arrays[f"vm.{name}"] = self.vm[name]
        for name in HOST_SERIES:
            arrays[f"host.{name}"] = self.host[name]
        for name in DEV_SERIES:
            arrays[f"dev.{name}"] = self.dev[name]
        np.savez_compressed(buf, allow_pickle=False, **arrays)
        return buf.getvalue()

    @staticmethod
    def from_bytes(data: bytes, device_rows: dict[tuple[str, str], int],
                   now_us: int) -> History:
        """Rebuild saved rings; raises ValueError if they do not fit this lab."""
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            samples, count, head = (int(x) for x in z["meta"])
            times = z["times_us"]
            if samples <= 0 or not 0 <= count <= samples or not 0 <= head < samples \
                    or times.shape != (samples,) or (count and int(times.max()) > now_us):
                raise ValueError("counter history does not match the lab")
            h = History(samples)
            h.times_us[:] = times
            h.count, h.head = count, head
            for name in VM_SERIES:
                saved = z[f"vm.{name}"]
                if saved.shape[0] != samples:
                    raise ValueError("counter history has the wrong length")
                h._grow_vms(max(h.capacity, saved.shape[1]))
                h.vm[name][:, : saved.shape[1]] = saved
            hosts = z["host.lps"].shape[0]
            h._ensure_hosts(hosts)
            for name in HOST_SERIES:
                h.host[name][:] = z[f"host.{name}"]
            old_rows = {tuple(str(k).split("|", 1)): int(r)
                        for k, r in zip(z["dev_keys"], z["dev_rows"], strict=True)}
            need = max(device_rows.values(), default=-1) + 1
            h._grow_devs(max(h.dev_capacity, need))
            for name in DEV_SERIES:
                saved = z[f"dev.{name}"]
                for key, row in device_rows.items():
                    old = old_rows.get(key)
                    if old is not None and old < saved.shape[1]:
                        h.dev[name][:, row] = saved[:, old]
        return h

    def _order(self) -> npt.NDArray[np.int64]:
        start = (self.head - self.count) % self.samples
        return (start + np.arange(self.count)) % self.samples

    def times_s(self) -> FloatArray:
        out: FloatArray = self.times_us[self._order()] / 1e6
        return out

    def vm_series(self, slot: int, name: str) -> FloatArray:
        out: FloatArray = self.vm[name][self._order(), slot].astype(np.float64)
        return out

    def dev_series(self, row: int, name: str) -> FloatArray:
        out: FloatArray = self.dev[name][self._order(), row].astype(np.float64)
        return out

    def host_series(self, host_index: int, name: str) -> FloatArray:
        if host_index >= self.host[name].shape[0]:
            return np.zeros(0)
        out: FloatArray = self.host[name][host_index, self._order()]
        return out


# -- counter sets ------------------------------------------------------------------------------

SET_LP = "Hyper-V Hypervisor Logical Processor"
SET_VP = "Hyper-V Hypervisor Virtual Processor"
SET_ROOT_VP = "Hyper-V Hypervisor Root Virtual Processor"
SET_HYPERVISOR = "Hyper-V Hypervisor"
SET_BALANCER = "Hyper-V Dynamic Memory Balancer"
SET_DM_VM = "Hyper-V Dynamic Memory VM"
SET_VNIC = "Hyper-V Virtual Network Adapter"
SET_LEGACY_NIC = "Hyper-V Legacy Network Adapter"
SET_STORAGE = "Hyper-V Virtual Storage Device"
SET_IDE = "Hyper-V Virtual IDE Controller (Emulated)"
SET_VMBUS = "Hyper-V VMBus"

COUNTERS: dict[str, tuple[str, ...]] = {
    SET_LP: ("% Total Run Time", "% Guest Run Time", "% Hypervisor Run Time", "% Idle Time"),
    SET_VP: (
        "% Total Run Time",
        "% Guest Run Time",
        "% Hypervisor Run Time",
        "Hypercalls/sec",
        "Total Intercepts/sec",
    ),
    SET_ROOT_VP: ("% Total Run Time", "% Guest Run Time", "% Hypervisor Run Time"),
    SET_HYPERVISOR: (
        "Logical Processors",
        "Partitions",
        "Virtual Processors",
        "Hypercalls/sec",
        "Total Intercepts/sec",
    ),
    SET_BALANCER: ("Available Memory", "Average Pressure"),
    SET_DM_VM: ("Physical Memory", "Current Pressure", "Guest Visible Physical Memory"),
    SET_VNIC: ("Bytes/sec", "Bytes Received/sec", "Bytes Sent/sec", "Packets/sec",
               "Packets Received/sec", "Packets Sent/sec"),
    SET_LEGACY_NIC: ("Bytes Sent/sec", "Bytes Received/sec", "Frames Sent/sec",
                     "Frames Received/sec"),
    SET_STORAGE: ("Read Operations/Sec", "Write Operations/Sec", "Read Bytes/sec",
                  "Write Bytes/sec", "Normalized Throughput"),
    SET_IDE: ("Read Bytes/sec", "Written Bytes/sec", "Read Sectors/sec", "Written Sectors/sec"),
    SET_VMBUS: ("Interrupts Received/sec", "Interrupts Sent/sec"),
}
#: Traffic split assumed by the device counters.
READ_SHARE = 0.6
RECEIVE_SHARE = 0.5

#: Root partition virtual processors: one per LP, at most 64 (the 2008-era root limit).
ROOT_VP_MAX = ROOT_MAX_VPS


def root_vps(lps: int) -> int:
    return max(1, min(lps, ROOT_VP_MAX))


@dataclass(frozen=True)
class DeviceRef:
    """One virtual disk or adapter row of a VM."""

    key: str  # "ide0:0", "scsi0:1", "nic0"
    row: int
    legacy: bool
    path: str  # the virtual hard disk file, for storage devices


@dataclass(frozen=True)
class VmRef:
    """What counter evaluation needs to know about one VM."""

    name: str
    slot: int
    vps: int
    devices: tuple[DeviceRef, ...] = ()


def instances(counter_set: str, lps: int, vms: list[VmRef]) -> tuple[str, ...]:
    """Instance names of a set on a host, as perfmon lists them."""
    if counter_set == SET_LP:
        return ("_Total", *(f"Hv LP {i}" for i in range(lps)))
    if counter_set == SET_VP:
        return ("_Total", *(f"{vm.name}:Hv VP {k}" for vm in vms for k in range(vm.vps)))
    if counter_set == SET_ROOT_VP:
        return ("_Total", *(f"Root VP {i}" for i in range(root_vps(lps))))
    if counter_set == SET_HYPERVISOR:
        return ("",)
    if counter_set == SET_BALANCER:
        return ("System Balancer",)
    if counter_set == SET_DM_VM:
        return tuple(vm.name for vm in vms)
    if counter_set in (SET_VNIC, SET_LEGACY_NIC, SET_STORAGE, SET_IDE):
        return tuple(name for name, _ in _device_instances(counter_set, vms))
    if counter_set == SET_VMBUS:
        return ("_Total", *(vm.name for vm in vms))
    raise KeyError(counter_set)


def _device_instances(counter_set: str, vms: list[VmRef]) -> list[tuple[str, list[int]]]:
    """(instance name, device rows) for the device counter sets."""
    out: list[tuple[str, list[int]]] = []
    for vm in vms:
        ide_rows = []
        for d in vm.devices:
            if d.key.startswith("nic"):
                if counter_set == SET_VNIC and not d.legacy:
                    out.append((f"{vm.name}_Network Adapter_{d.key[3:]}", [d.row]))
                elif counter_set == SET_LEGACY_NIC and d.legacy:
                    out.append((f"{vm.name}_Legacy Network Adapter_{d.key[3:]}", [d.row]))
            else:
                if counter_set == SET_STORAGE:
                    out.append((d.path, [d.row]))
                if d.key.startswith("ide"):
                    ide_rows.append(d.row)
        if counter_set == SET_IDE and ide_rows:
            out.append((f"{vm.name}:Ide Controller", ide_rows))
    return out


class CounterError(KeyError):
    """An unknown counter set, counter or instance."""


def series(
    history: History,
    host_index: int,
    counter_set: str,
    counter: str,
    instance: str,
    vms: list[VmRef],
) -> FloatArray:
    """The history of one counter instance, aligned with ``history.times_s()``."""
    if counter_set not in COUNTERS or counter not in COUNTERS[counter_set]:
        raise CounterError(f"No counter \\{counter_set}\\{counter}.")

    def host(name: str) -> FloatArray:
        return history.host_series(host_index, name)

    lps = np.maximum(host("lps"), 1.0)
    if counter_set == SET_LP:
        guest = (host("guest_lp") + host("root_lp")) / lps * 100.0
        hv = host("hypervisor_lp") / lps * 100.0
        values = {
            "% Guest Run Time": guest,
            "% Hypervisor Run Time": hv,
            "% Total Run Time": guest + hv,
            "% Idle Time": 100.0 - guest - hv,
        }
        _check_instance(instance, instances(SET_LP, int(lps[-1]) if len(lps) else 0, vms))
        return np.clip(values[counter], 0.0, 100.0)
    if counter_set == SET_ROOT_VP:
        count = float(root_vps(int(lps[-1]) if len(lps) else 1))
        root = host("root_lp") / count * 100.0
        _check_instance(instance, instances(SET_ROOT_VP, int(count), vms))
        if counter == "% Hypervisor Run Time":
            return root * 0.05
        if counter == "% Guest Run Time":
            return root * 0.95
        return root
    if counter_set == SET_HYPERVISOR:
        key = {
            "Logical Processors": "lps",
            "Partitions": "partitions",
            "Virtual Processors": "virtual_processors",
            "Hypercalls/sec": "hypercalls_s",
            "Total Intercepts/sec": "intercepts_s",
        }[counter]
        return host(key)
    if counter_set == SET_BALANCER:
        if counter == "Available Memory":
            return host("memory_available_mb")
        used = host("memory_total_mb") - host("memory_free_mb")
        return (
            np.divide(
                used,
                host("memory_total_mb"),
                out=np.zeros_like(used),
                where=host("memory_total_mb") > 0,
            )
            * 100.0
        )
    if counter_set == SET_DM_VM:
        vm = _vm_named(instance, vms)
        assigned = history.vm_series(vm.slot, "memory_assigned_mb")
        if counter in ("Physical Memory", "Guest Visible Physical Memory"):
            return assigned
        demand = history.vm_series(vm.slot, "memory_demand_mb")
        return np.divide(demand, assigned, out=np.zeros_like(demand), where=assigned > 0) * 100
    if counter_set in (SET_VNIC, SET_LEGACY_NIC, SET_STORAGE, SET_IDE):
        found = dict(_device_instances(counter_set, vms))
        if instance not in found:
            raise CounterError(f"No instance '{instance}' of {counter_set}.")
        return _device_counter(history, counter_set, counter, found[instance])
    if counter_set == SET_VMBUS:
        chosen = vms if instance == "_Total" else [_vm_named(instance, vms)]
        rows = [d.row for vm in chosen for d in vm.devices]
        total = sum((history.dev_series(r, "interrupts_s") for r in rows),
                    np.zeros(history.count))
        return total

    # Virtual processors.
    if instance == "_Total":
        total_vps = sum(vm.vps for vm in vms) or 1
        parts = [vp_series(history, vm, None, counter) * vm.vps for vm in vms]
        return np.sum(parts, axis=0) / total_vps if parts else np.zeros(history.count)
    name, _, vp = instance.rpartition(":Hv VP ")
    if not name or not vp.isdigit():
        raise CounterError(f"No instance '{instance}' of {counter_set}.")
    vm = _vm_named(name, vms)
    if int(vp) >= vm.vps:
        raise CounterError(f"No instance '{instance}' of {counter_set}.")
    return vp_series(history, vm, int(vp), counter)


def vp_series(history: History, vm: VmRef, vp: int | None, counter: str) -> FloatArray:
    """One virtual processor's counter (or the VM's average over its VPs when vp is None)."""
    total = history.vm_series(vm.slot, "cpu_lp")
    hv = history.vm_series(vm.slot, "cpu_hv_lp")
    if vp is None:
        share: FloatArray | float = 1.0 / vm.vps
    else:
        bsp = history.vm_series(vm.slot, "bsp_share")
        share = bsp if vp == 0 else (1.0 - bsp) / max(vm.vps - 1, 1)
    if counter == "Hypercalls/sec":
        return history.vm_series(vm.slot, "hypercalls_s") * share
    if counter == "Total Intercepts/sec":
        return history.vm_series(vm.slot, "intercepts_s") * share
    value = {
        "% Total Run Time": total,
        "% Guest Run Time": total - hv,
        "% Hypervisor Run Time": hv,
    }[counter]
    out: FloatArray = np.clip(value * share * 100.0, 0.0, 100.0)
    return out


def _vm_named(name: str, vms: list[VmRef]) -> VmRef:
    for vm in vms:
        if vm.name == name:
            return vm
    raise CounterError(f"No running virtual machine named '{name}'.")


def _check_instance(instance: str, known: tuple[str, ...]) -> None:
    if instance not in known:
        raise CounterError(f"No instance '{instance}'.")


def _device_counter(history: History, counter_set: str, counter: str,
                    rows: list[int]) -> FloatArray:
    name = "emulated_rate" if counter_set == SET_IDE else "rate"
    rate = sum((history.dev_series(r, name) for r in rows), np.zeros(history.count))
    if counter_set == SET_STORAGE:
        bytes_per_op = 8 * 1024
        if counter == "Normalized Throughput":
            return rate
        share = READ_SHARE if counter.startswith("Read") else 1 - READ_SHARE
        ops = rate * share
        return ops * bytes_per_op if "Bytes" in counter else ops
    if counter_set == SET_IDE:
        share = READ_SHARE if counter.startswith("Read") else 1 - READ_SHARE
        per_sec = rate * share * 8 * 1024
        return per_sec / 512 if "Sectors" in counter else per_sec
    # Network adapters: rate in Mbit/s.
    byte_rate = rate * 1e6 / 8
    if counter in ("Bytes/sec",):
        return byte_rate
    direction = RECEIVE_SHARE if "Received" in counter else 1 - RECEIVE_SHARE
    if "Bytes" in counter:
        return byte_rate * direction
    packets = byte_rate / 1536
    return packets if counter == "Packets/sec" else packets * direction
