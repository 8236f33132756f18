"""A host's virtual networking: its virtual switches and its dynamic MAC address pool."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hvlab.engine.config import RANGES, VmConfig
from hvlab.engine.errors import InvalidStateError, ValidationError
from hvlab.engine.names import SWITCH_NAME, check_name, check_text, name_key
from hvlab.engine.profiles import HostHardware
from hvlab.engine.switches import (
    INTERNAL_SWITCH_MBIT,
    MacPool,
    SwitchType,
    VirtualSwitch,
    default_mac_range,
)

if TYPE_CHECKING:
    from hvlab.engine.vmms.runtime import VmRuntime


class HostNetworking:
    """Virtual Switch Manager's model for one host."""

    def __init__(self, host_id: str) -> None:
        self.switches: dict[str, VirtualSwitch] = {}
        self.mac_pool = MacPool(*default_mac_range(host_id))

    # -- switches --------------------------------------------------------------------------
    def validate_switch(
        self, switch: VirtualSwitch, hardware: HostHardware, replacing: str | None = None
    ) -> None:
        name = check_name(switch.name, SWITCH_NAME)
        check_text("notes", "The switch's notes", switch.notes)
        taken = {name_key(s) for s in self.switches if s != replacing}
        if name_key(name) in taken:
            raise ValidationError("name", f"A virtual switch named '{name}' already exists.")
        if switch.type is SwitchType.EXTERNAL:
            nics = {n.name for n in hardware.nics}
            if switch.nic not in nics:
                raise ValidationError(
                    "nic",
                    f"An external switch needs one of the host's network adapters: "
                    f"{', '.join(sorted(nics))}.",
                )
            for other in self.switches.values():
                if (
                    other.name != replacing
                    and other.nic == switch.nic
                    and other.type is SwitchType.EXTERNAL
                ):
                    raise ValidationError(
                        "nic",
                        f"'{switch.nic}' is already bound to the external switch '{other.name}'.",
                    )
        elif switch.nic is not None:
            raise ValidationError(
                "nic",
                f"A {switch.type.value.lower()} switch is not bound to a physical network adapter.",
            )
        if switch.management_vlan_id != 0 or not isinstance(switch.management_vlan_id, int):
            RANGES["vlan_id"].check(switch.management_vlan_id, "management_vlan_id")

    def capacity_mbit(self, switch: VirtualSwitch, hardware: HostHardware) -> float:
        if switch.type is SwitchType.EXTERNAL:
            for nic in hardware.nics:
                if nic.name == switch.nic:
                    return float(nic.mbit_s)
        return float(INTERNAL_SWITCH_MBIT)

    # -- MAC addresses ---------------------------------------------------------------------
    def set_mac_range(self, minimum: str, maximum: str) -> None:
        """A new dynamic range (Virtual Switch Manager ▸ MAC Address Range).  Addresses
        already leased stay with their adapters, as in Hyper-V."""
        pool = MacPool(minimum, maximum)
        pool.leased = set(self.mac_pool.leased)
        self.mac_pool = pool

    def lease_macs(self, vm: VmRuntime) -> None:
        """Give every adapter without a static address a dynamic one (kept while the VM
        exists).  Raises with Hyper-V's words, leasing nothing, when the pool runs out."""
        leased: list[str] = []
        for index, nic in enumerate(vm.config.network_adapters):
            if nic.static_mac is not None or str(index) in vm.macs:
                continue
            mac = self.mac_pool.lease()
            if mac is None:
                for m in leased:
                    self.mac_pool.release(m)
                for i in [i for i, m in vm.macs.items() if m in leased]:
                    del vm.macs[i]
                raise InvalidStateError(
                    f"'{vm.name}' failed to start.",
                    [
                        f"Synthetic Ethernet Port (Instance ID {vm.id}): Failed to power on with "
                        "Error 'Attempt to access invalid address'.",
                        f"The dynamic MAC address pool ({self.mac_pool.minimum} to "
                        f"{self.mac_pool.maximum}, {self.mac_pool.size} addresses) is exhausted.",
                    ],
                )
            vm.macs[str(index)] = mac
            leased.append(mac)

    def release_macs(self, vm: VmRuntime) -> None:
        for mac in vm.macs.values():
            self.mac_pool.release(mac)
        vm.macs.clear()

    def mac_of(self, vm: VmRuntime, index: int) -> str:
        nic = vm.config.network_adapters[index]
        if nic.static_mac:
            return nic.static_mac.upper()
        return vm.macs.get(str(index), "00-00-00-00-00-00")

    def ip_address(self, vm: VmRuntime, index: int) -> str:
        """The address the guest would report over Data Exchange (KVP)."""
        nic = vm.config.network_adapters[index]
        mac = self.mac_of(vm, index).split("-")
        low, last = int(mac[4], 16), int(mac[5], 16)
        switch = self.switches.get(nic.switch or "")
        if switch is None:
            return ""
        if switch.type is SwitchType.EXTERNAL:
            return f"10.{low % 250}.{last // 250}.{last % 250 + 2}"
        if switch.type is SwitchType.INTERNAL:
            return f"192.168.137.{last % 250 + 2}"
        return f"169.254.{low}.{last % 254 + 1}"  # APIPA: no DHCP on a private switch


def renamed_switch(cfg: VmConfig, old: str, new: str | None) -> VmConfig:
    """The configuration with adapters on switch ``old`` moved to ``new`` (None: unplugged)."""
    adapters = tuple(replace(n, switch=new) if n.switch == old else n for n in cfg.network_adapters)
    return replace(cfg, network_adapters=adapters) if adapters != cfg.network_adapters else cfg
