"""The management API: the one facade every client uses (Hyper-V's WMI provider).

Plain data in, plain data out.  Commands take VM names or ids and values; lifecycle
commands return a :class:`~hvlab.engine.jobs.Job`.  Reads return immutable snapshots from
:mod:`hvlab.engine.api.types`.  No engine object is handed out, so a remote transport can wrap this
class without changes to its clients.

The facade is assembled from one class per area (sessions and jobs, hosts, VMs, devices,
counters, storage, the cluster), each sharing :class:`~hvlab.engine.api.surface.ApiCore`;
every public method is declared a query, a command or a clock call
(:mod:`hvlab.engine.api.surface`).

Units: memory in MB, CPU in percent, time in seconds of simulated time (``*_us`` fields are
microseconds).
"""

from __future__ import annotations

import json

from hvlab.engine.api.cluster import ClusterCalls
from hvlab.engine.api.counters import CounterCalls
from hvlab.engine.api.devices import DeviceCalls
from hvlab.engine.api.hosts import HostCalls
from hvlab.engine.api.session import SessionCalls
from hvlab.engine.api.snapshots import LabState
from hvlab.engine.api.storage import StorageCalls
from hvlab.engine.api.vms import VmCalls
from hvlab.engine.library.state import restore_lab


class ManagementApi(SessionCalls, HostCalls, VmCalls, DeviceCalls, CounterCalls, StorageCalls,
                    ClusterCalls):
    """Facade over a :class:`~hvlab.engine.vmms.lab.Lab` (``ManagementApi(seed=1)`` makes an empty
    in-memory lab; see :class:`~hvlab.engine.api.surface.ApiCore` for the options)."""


def restore_state(state: LabState) -> ManagementApi:
    """A new in-memory lab exactly as it was at ``state`` (see
    :meth:`ManagementApi.capture_state`), behind its own facade."""
    return ManagementApi(restore_lab(json.loads(state.data), state.events))
