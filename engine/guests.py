"""The guest operating system catalogue (``resources/guests/catalogue.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from hvlab.engine.errors import look_up
from hvlab.engine.resources import resources_dir

#: Integration services in Hyper-V Manager's order, with their display names.
INTEGRATION_SERVICES: dict[str, str] = {
    "shutdown": "Operating system shutdown",
    "time_sync": "Time synchronization",
    "data_exchange": "Data Exchange",
    "heartbeat": "Heartbeat",
    "backup": "Backup (volume shadow copy)",
    "guest_services": "Guest services",
}
#: Hyper-V's defaults: everything on except Guest services.
DEFAULT_INTEGRATION_SERVICES: dict[str, bool] = {
    key: key != "guest_services" for key in INTEGRATION_SERVICES
}


@dataclass(frozen=True)
class GuestOs:
    id: str
    name: str
    family: str  # "windows" or "linux"
    architecture: str  # "x86" or "x64"
    enlightened: bool
    integration_services: str  # "builtin", "installable" or "none"
    services: tuple[str, ...]
    generations: tuple[int, ...]
    minimum_ram_mb: int
    working_set_mb: int
    boot_seconds: float
    shutdown_seconds: float
    kernel: str
    note: str = ""

    @property
    def has_integration_services(self) -> bool:
        return self.integration_services != "none"


@lru_cache(maxsize=1)
def load_catalogue() -> dict[str, GuestOs]:
    path = resources_dir() / "guests" / "catalogue.json"
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("schema") != 1:
        raise ValueError(f"{path}: unsupported schema {data.get('schema')!r}")
    out: dict[str, GuestOs] = {}
    for g in data["guests"]:
        services = tuple(str(s) for s in g["services"])
        unknown = set(services) - set(INTEGRATION_SERVICES)
        if unknown:
            raise ValueError(f"{path}: guest {g['id']} lists unknown services {sorted(unknown)}")
        out[str(g["id"])] = GuestOs(
            id=str(g["id"]),
            name=str(g["name"]),
            family=str(g["family"]),
            architecture=str(g["architecture"]),
            enlightened=bool(g["enlightened"]),
            integration_services=str(g["integration_services"]),
            services=services,
            generations=tuple(int(x) for x in g["generations"]),
            minimum_ram_mb=int(g["minimum_ram_mb"]),
            working_set_mb=int(g["working_set_mb"]),
            boot_seconds=float(g["boot_seconds"]),
            shutdown_seconds=float(g["shutdown_seconds"]),
            kernel=str(g["kernel"]),
            note=str(g.get("note", "")),
        )
    return out


def get_guest_os(os_id: str) -> GuestOs:
    return look_up(load_catalogue(), os_id, "guest operating system")
