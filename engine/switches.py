"""Virtual switches and the dynamic MAC address pool of a host.

Three switch types as in Virtual Switch Manager: **External** (bound to a physical NIC of the
host, optionally shared with the management operating system), **Internal** (VMs and the
host) and **Private** (VMs only).  Dynamic MAC addresses come from the host's range:
00-15-5D (Microsoft's OUI), two octets from the host, then 00..FF: 256 addresses by default.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from hvlab.engine.errors import ValidationError
from hvlab.engine.names import SWITCH_NAME, normalize


class SwitchType(enum.StrEnum):
    EXTERNAL = "External"
    INTERNAL = "Internal"
    PRIVATE = "Private"


#: Bandwidth of a switch that never leaves the host (memory copies in the root), Mbit/s.
INTERNAL_SWITCH_MBIT = 10_000


@dataclass(frozen=True)
class VirtualSwitch:
    name: str
    type: SwitchType
    #: External switches: the host NIC they are bound to.
    nic: str | None = None
    allow_management_os: bool = True
    #: VLAN of the management OS's adapter on this switch (0 = none).
    management_vlan_id: int = 0
    notes: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.name, str):  # the stored form of a name (hvlab.engine.names)
            object.__setattr__(self, "name", normalize(self.name, SWITCH_NAME))

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type.value,
            "nic": self.nic,
            "allow_management_os": self.allow_management_os,
            "management_vlan_id": self.management_vlan_id,
            "notes": self.notes,
        }

    @staticmethod
    def from_dict(d: dict[str, object]) -> VirtualSwitch:
        nic = d.get("nic")
        return VirtualSwitch(
            str(d["name"]),
            SwitchType(str(d["type"])),
            None if nic is None else str(nic),
            bool(d.get("allow_management_os", True)),
            int(str(d.get("management_vlan_id", 0))),
            str(d.get("notes", "")),
        )


def default_mac_range(host_id: str) -> tuple[str, str]:
    """00-15-5D + two octets derived from the host + 00..FF (Hyper-V uses its IP address)."""
    digest = hashlib.sha256(host_id.encode()).digest()
    prefix = f"00-15-5D-{digest[0]:02X}-{digest[1]:02X}"
    return f"{prefix}-00", f"{prefix}-FF"


def mac_to_int(mac: str) -> int:
    return int(mac.replace("-", ""), 16)


def int_to_mac(value: int) -> str:
    raw = f"{value:012X}"
    return "-".join(raw[i : i + 2] for i in range(0, 12, 2))


def validate_mac_range(minimum: str, maximum: str) -> None:
    import re

    pattern = re.compile(r"[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){5}")
    for field, value in (("mac_minimum", minimum), ("mac_maximum", maximum)):
        if not pattern.fullmatch(value):
            raise ValidationError(field, f"'{value}' is not a MAC address (00-15-5D-00-00-00).")
    if mac_to_int(minimum) > mac_to_int(maximum):
        raise ValidationError("mac_maximum", "The maximum MAC address is below the minimum.")
    if mac_to_int(minimum) & (1 << 40):
        raise ValidationError("mac_minimum", "A multicast MAC address cannot be assigned.")


class MacPool:
    """Dynamic MAC addresses in [minimum, maximum]; each leased to one adapter."""

    def __init__(self, minimum: str, maximum: str) -> None:
        validate_mac_range(minimum, maximum)
        self.minimum = minimum.upper()
        self.maximum = maximum.upper()
        self.leased: set[str] = set()

    @property
    def size(self) -> int:
        return mac_to_int(self.maximum) - mac_to_int(self.minimum) + 1

    def free_count(self) -> int:
        lo, hi = mac_to_int(self.minimum), mac_to_int(self.maximum)
        return self.size - sum(1 for m in self.leased if lo <= mac_to_int(m) <= hi)

    def lease(self) -> str | None:
        """The lowest free address, or None when the pool is exhausted."""
        start = mac_to_int(self.minimum)
        for value in range(start, mac_to_int(self.maximum) + 1):
            mac = int_to_mac(value)
            if mac not in self.leased:
                self.leased.add(mac)
                return mac
        return None

    def release(self, mac: str) -> None:
        self.leased.discard(mac.upper())
