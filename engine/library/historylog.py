"""The counter history on disk: an append-only log, so a save writes only the seconds of
history that passed since the last one instead of recompressing all 600 samples.

The file is a sequence of records, each ``HVHL`` + kind + payload length + CRC-32 of the
payload.  The first record is a *base*: the whole ring (every VM slot, host and device row)
with the layout it was taken in (the VM key of each slot, the (VM, device) key of each
device row).  Each further record holds the samples that followed, in that layout.  A record
cut short by a crash fails its length or CRC and ends the log there; the next append
overwrites it.  When the layout changes (a VM created in a freed slot, a device renumbered,
a new host) or the log has grown to several times its base, the next save writes a new base
in place of the file (atomically).

A payload is a JSON header (array names, dtypes and shapes, and the device keys) followed by
the raw arrays, uncompressed: reading and writing cost a copy, not a codec.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hvlab.engine import fileguard
from hvlab.engine.sim.counters import DEV_SERIES, HOST_SERIES, VM_SERIES, History

MAGIC = b"HVHL"
_HEADER = struct.Struct("<4sBQI")  # magic, kind, payload length, CRC-32 of the payload
_BASE, _ROWS = 1, 2
#: A new base is written when the log passes this many times the size of its base.
COMPACT_FACTOR = 3

DeviceRows = dict[tuple[str, str], int]


@dataclass(frozen=True)
class Layout:
    """What the rows of a history mean: the VM key in each slot (0: free) and the (VM,
    device) key of each device row, with the ring's widths.  Rows may be appended to a log
    only while the lab's layout equals its base's."""

    samples: int
    slot_keys: bytes
    device_rows: tuple[tuple[str, str, int], ...]
    hosts: int
    dev_capacity: int

    @staticmethod
    def of(history: History, slot_keys: npt.NDArray[np.uint64],
           device_rows: DeviceRows) -> Layout:
        keys = np.zeros(history.capacity, dtype=np.uint64)
        n = min(len(slot_keys), history.capacity)
        keys[:n] = slot_keys[:n]
        return Layout(history.samples, keys.tobytes(),
                      tuple(sorted((vm, dev, row) for (vm, dev), row in device_rows.items())),
                      history.host[HOST_SERIES[0]].shape[0], history.dev_capacity)


def _pack(header: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> bytes:
    header = dict(header, arrays=[[name, a.dtype.str, list(a.shape)]
                                  for name, a in arrays.items()])
    head = json.dumps(header).encode()
    return b"".join([struct.pack("<I", len(head)), head,
                     *(np.ascontiguousarray(a).tobytes() for a in arrays.values())])


def _unpack(payload: memoryview) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
    (size,) = struct.unpack_from("<I", payload)
    header = json.loads(bytes(payload[4:4 + size]))
    offset = 4 + size
    arrays = {}
    for name, dtype, shape in header["arrays"]:
        count = int(np.prod(shape))
        array = np.frombuffer(payload, dtype=np.dtype(dtype), count=count, offset=offset)
        arrays[name] = array.reshape(shape)
        offset += array.nbytes
    if offset != len(payload):
        raise ValueError("a history record has trailing bytes")
    return header, arrays


def _record(kind: int, payload: bytes) -> bytes:
    return _HEADER.pack(MAGIC, kind, len(payload), zlib.crc32(payload)) + payload


def _records(data: bytes) -> tuple[list[tuple[int, memoryview]], int]:
    """Every whole record, and the length of the file they fill (the rest is a torn tail)."""
    view = memoryview(data)
    out: list[tuple[int, memoryview]] = []
    offset = 0
    while offset + _HEADER.size <= len(view):
        magic, kind, length, crc = _HEADER.unpack_from(view, offset)
        start = offset + _HEADER.size
        payload = view[start:start + length]
        if magic != MAGIC or len(payload) != length or zlib.crc32(payload) != crc:
            break
        out.append((kind, payload))
        offset = start + length
    return out, offset


def _ring_order(history: History) -> npt.NDArray[np.int64]:
    start = (history.head - history.count) % history.samples
    return (start + np.arange(history.count)) % history.samples


def _put_rows(history: History, times: npt.NDArray[np.int64],
              arrays: dict[str, npt.NDArray[Any]], rows: range) -> None:
    """Write ``rows`` of a record into the ring as its newest samples."""
    for r in rows:
        i = history.head
        history.times_us[i] = times[r]
        for name in VM_SERIES:
            history.vm[name][i] = arrays[f"vm.{name}"][r]
        for name in HOST_SERIES:
            history.host[name][:, i] = arrays[f"host.{name}"][:, r]
        for name in DEV_SERIES:
            history.dev[name][i] = arrays[f"dev.{name}"][r]
        history.head = (i + 1) % history.samples
        history.count = min(history.count + 1, history.samples)


class HistoryLog:
    """The history file of one open library: loads it once, then appends or rebases."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._layout: Layout | None = None  # the base's layout, when rows may be appended
        self._length = 0  # bytes of whole records in the file
        self._base_length = 0
        self._saved_us = -1  # time of the newest sample on disk

    # -- reading -----------------------------------------------------------------------------
    def load(self, slot_keys: npt.NDArray[np.uint64],
             device_rows: DeviceRows, now_us: int) -> History:
        """The saved history in this lab's layout (raises ValueError if it does not fit).
        Rows newer than ``now_us`` (never committed) are left out."""
        records, length = _records(self.path.read_bytes())
        if not records or records[0][0] != _BASE:
            raise ValueError("the history log does not start with a whole base record")
        header, base = _unpack(records[0][1])
        samples, count, head = (int(x) for x in base["meta"])
        times = base["times_us"]
        if samples <= 0 or not 0 <= count <= samples or not 0 <= head < samples \
                or times.shape != (samples,):
            raise ValueError("the counter history does not match the lab")
        history = History(samples)
        history.times_us[:] = times
        history.count, history.head = count, head
        width = base[f"vm.{next(iter(VM_SERIES))}"].shape[1]
        history._grow_vms(max(history.capacity, width))
        hosts = base[f"host.{HOST_SERIES[0]}"].shape[0]
        history._ensure_hosts(hosts)
        saved_rows = {(vm, dev): row for vm, dev, row in header["devices"]}
        dev_width = base[f"dev.{DEV_SERIES[0]}"].shape[1]
        history._grow_devs(max(history.dev_capacity, dev_width))
        # The base and its rows in the file's layout; device rows are mapped at the end.
        for name in VM_SERIES:
            history.vm[name][:, :width] = base[f"vm.{name}"]
        for name in HOST_SERIES:
            history.host[name][:hosts] = base[f"host.{name}"]
        for name in DEV_SERIES:
            history.dev[name][:, :dev_width] = base[f"dev.{name}"]
        for kind, payload in records[1:]:
            _, rows = _unpack(payload)
            if kind != _ROWS or rows[f"vm.{next(iter(VM_SERIES))}"].shape[1] != width \
                    or rows[f"dev.{DEV_SERIES[0]}"].shape[1] != dev_width \
                    or rows[f"host.{HOST_SERIES[0]}"].shape[0] != hosts:
                raise ValueError("a history record does not match its base")
            stamps = rows["times_us"]
            _put_rows(history, stamps, rows, range(int(np.searchsorted(stamps, now_us,
                                                                         side="right"))))
        if history.count and int(history.times_us[_ring_order(history)].max()) > now_us:
            raise ValueError("the counter history is newer than the library")
        if saved_rows != device_rows:
            history = _remap_devices(history, saved_rows, device_rows)
        file_layout = Layout(samples, bytes.fromhex(header["slot_keys"]),
                             tuple(sorted((vm, dev, row) for (vm, dev), row in saved_rows.items())),
                             hosts, dev_width)
        here = Layout.of(history, slot_keys, device_rows)
        self._layout = here if here == file_layout else None
        self._length, self._base_length = length, len(records[0][1])
        self._saved_us = int(history.times_us[(history.head - 1) % samples]) \
            if history.count else -1
        return history

    # -- writing -----------------------------------------------------------------------------
    def save(self, history: History, slot_keys: npt.NDArray[np.uint64],
             device_rows: DeviceRows) -> None:
        """Put the samples taken since the last save on disk: appended to the log when the
        layout is the base's, else (or when the log has grown large) as a new base."""
        layout = Layout.of(history, slot_keys, device_rows)
        order = _ring_order(history)
        fresh = order[history.times_us[order] > self._saved_us]
        if not len(fresh) and self._length:
            return
        if (layout != self._layout or len(fresh) >= history.samples
                or self._length > COMPACT_FACTOR * max(self._base_length, 1)):
            self._write_base(history, layout, device_rows)
        else:
            self._append_rows(history, fresh)
        if len(fresh):
            self._saved_us = int(history.times_us[fresh[-1]])

    def _write_base(self, history: History, layout: Layout, device_rows: DeviceRows) -> None:
        arrays: dict[str, npt.NDArray[Any]] = {
            "meta": np.array([history.samples, history.count, history.head], dtype=np.int64),
            "times_us": history.times_us,
        }
        arrays.update((f"vm.{name}", history.vm[name]) for name in VM_SERIES)
        arrays.update((f"host.{name}", history.host[name]) for name in HOST_SERIES)
        arrays.update((f"dev.{name}", history.dev[name]) for name in DEV_SERIES)
        payload = _pack({"slot_keys": layout.slot_keys.hex(),
                         "devices": [list(d) for d in layout.device_rows]}, arrays)
        record = _record(_BASE, payload)
        fileguard.write_atomic(self.path, record)
        self._layout, self._length, self._base_length = layout, len(record), len(payload)

    def _append_rows(self, history: History, fresh: npt.NDArray[np.int64]) -> None:
        arrays: dict[str, npt.NDArray[Any]] = {"times_us": history.times_us[fresh]}
        arrays.update((f"vm.{name}", history.vm[name][fresh]) for name in VM_SERIES)
        arrays.update((f"host.{name}", history.host[name][:, fresh]) for name in HOST_SERIES)
        arrays.update((f"dev.{name}", history.dev[name][fresh]) for name in DEV_SERIES)
        record = _record(_ROWS, _pack({}, arrays))
        fd = fileguard.open_fd(self.path, os.O_WRONLY)
        try:
            # Past the last whole record: a tail torn by a crash is overwritten.
            fileguard.pwrite_fd(fd, record, self._length, self.path)
            fileguard.truncate_fd(fd, self._length + len(record), self.path)
        finally:
            os.close(fd)
        self._length += len(record)


def _remap_devices(history: History, saved: DeviceRows, wanted: DeviceRows) -> History:
    """Device rows keyed as this lab numbers them (a reopened lab may number them anew)."""
    need = max(wanted.values(), default=-1) + 1
    old = {name: history.dev[name].copy() for name in DEV_SERIES}
    history._grow_devs(max(history.dev_capacity, need))
    for name in DEV_SERIES:
        history.dev[name][:] = 0.0
        for key, row in wanted.items():
            was = saved.get(key)
            if was is not None and was < old[name].shape[1]:
                history.dev[name][:, row] = old[name][:, was]
    return history
