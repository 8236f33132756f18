"""Ready-made scenarios for the performance views, built through the API only (no Qt).

**CPU contention**: host CONTENTION-DEMO has 2 logical processors (1 socket × 2 cores, no
hyper-threading) and three 2-VP VMs running the cpu-burner workload with relative weights
100, 200 and 400. Together they ask for 6 LPs of 2, so the scheduler shares the LPs by
weight: about 1/7, 2/7 and 4/7 of what is left after the root partition and the
hypervisor, i.e. roughly 14 %, 28 % and 56 % of the host in the CPU Usage column.

``hvlab --demo contention`` opens a lab with only this host (see :func:`contention_lab`), and
so does Help ▸ Demos ▸ CPU Contention, in a window of its own: the lab already open is not
changed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hvlab.engine.api import build_lab, load_lab_definition

if TYPE_CHECKING:
    from hvlab.engine.api import ManagementApi

#: The scenario as data (resources/labs/contention.json), which the resource controls
#: lesson starts from too.
CONTENTION = load_lab_definition("contention")
CONTENTION_HOST: str = CONTENTION.hosts[0]["name"]
#: (VM name, relative weight).
CONTENTION_VMS: tuple[tuple[str, int], ...] = tuple(
    (vm["name"], vm["cpu_weight"]) for vm in CONTENTION.hosts[0]["vms"])
#: Simulated seconds after which the burners have booted and compete (for --demo).
SETTLE_SECONDS = CONTENTION.settle_seconds


def add_contention_demo(api: ManagementApi, *, start: bool = True) -> str:
    """Add the contention host and its three VMs (started unless ``start`` is False, without
    settling time); a second call adds nothing. Returns the host id."""
    existing = [h for h in api.hosts() if h.name == CONTENTION_HOST]
    if existing:
        return existing[0].id
    hosts = tuple({**h, "vms": [{**vm, "running": start and vm.get("running", False)}
                                for vm in h["vms"]]} for h in CONTENTION.hosts)
    build_lab(api, replace(CONTENTION, hosts=hosts), settle_seconds=0)
    return api.host(CONTENTION_HOST).id


def contention_lab(seed: int = 0) -> ManagementApi:
    """A lab holding only the contention host, its burners booted and competing."""
    from hvlab.engine.api import ManagementApi

    api = ManagementApi(seed=seed)
    add_contention_demo(api)
    api.advance(SETTLE_SECONDS)
    return api


def is_contention_lab(api: ManagementApi) -> bool:
    """True for the lab :func:`contention_lab` builds (the console then opens the dashboard)."""
    return [h.name for h in api.hosts()] == [CONTENTION_HOST]
