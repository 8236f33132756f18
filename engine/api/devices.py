"""A VM's devices, VMBus channels, device I/O, adapters, KVP and integration services."""

from __future__ import annotations

from dataclasses import replace

from hvlab.engine.api.surface import ApiCore, command, query
from hvlab.engine.api.types import AdapterInfo, DeviceIoInfo, VmbusConnectionInfo
from hvlab.engine.devices import Channel, Device, channels_for, devices_for
from hvlab.engine.guest import integration_services_running
from hvlab.engine.vmms import integration, keyboard, partitions, rules
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime


class DeviceCalls(ApiCore):
    """A VM's devices and integration services."""

    @query
    def devices(self, ref: str) -> list[Device]:
        """The VM's devices as its settings and the guest's Device Manager show them."""
        host, vm = self._resolve(ref)
        return devices_for(vm.config, host.guest_of(vm), self._is_up(host, vm))

    def _is_up(self, host: Host, vm: VmRuntime) -> bool:
        return vm.partition_id is not None and vm.phase.name == "READY"

    @query
    def vmbus_channels(self, ref: str) -> list[Channel]:
        """VMBus channels of a running VM: offered by the root, open once the guest's VSCs
        (integration services) run; each with the id of the child's connection for it."""
        host, vm = self._resolve(ref)
        up = self._is_up(host, vm)
        guest = host.guest_of(vm)
        ids = {c.label: c.id for c in partitions.vmbus_connections(host, vm)}
        return [replace(c, connection_id=ids.get(c.key))
                for c in channels_for(vm.config, guest, vm.partition_id is not None, up,
                                      devices_for(vm.config, guest, up))]

    @query
    def vmbus_connections(self, ref: str) -> list[VmbusConnectionInfo]:
        """The VM's VMBus connections while its partition exists: the VMBus message
        connection and one event connection per offered channel, each to a port the root
        made for this partition (the ids HvPostMessage and HvSignalEvent take)."""
        host, vm = self._resolve(ref)
        hv = host.hypervisor
        out = []
        for c in partitions.vmbus_connections(host, vm):  # none without a hypervisor
            receiver = hv.partitions.get(c.port_partition) if hv is not None else None
            port = receiver.port(c.port_id) if receiver is not None else None
            out.append(VmbusConnectionInfo(c.id, c.label, c.port_partition, c.port_id,
                                           port.type if port is not None else ""))
        return out

    @query
    def device_io(self, ref: str) -> list[DeviceIoInfo]:
        """Live I/O of the VM's disks and network adapters, with what it costs the root."""
        host, vm = self._resolve(ref)
        d = self.lab.sim.devices
        lps = max(host.logical_processors, 1)
        names = {dev.key: dev.name for dev in self.devices(ref)}
        out = []
        for (vm_id, key), row in sorted(d.rows.items()):
            if vm_id != vm.id:
                continue
            nic = key.startswith("nic")
            legacy = nic and vm.config.network_adapters[int(key[3:])].legacy
            out.append(DeviceIoInfo(
                key=key, name=names.get(key, "Legacy Network Adapter" if legacy else key),
                kind="emulated" if d.emulated[row] or legacy else "synthetic",
                carrying=bool(d.carrying[row]), rate=float(d.rate[row]),
                unit="Mbit/s" if nic else "IOPS",
                root_cpu_percent=100.0 * float(d.root_lp[row]) / lps,
                hypervisor_cpu_percent=100.0 * float(d.hv_lp[row]) / lps,
                intercepts_s=float(d.intercepts_s[row]),
                interrupts_s=float(d.interrupts_s[row])))
        return out

    @query
    def network_adapters(self, ref: str) -> list[AdapterInfo]:
        host, vm = self._resolve(ref)
        up = self._is_up(host, vm)
        running = integration_services_running(vm.config, host.guest_of(vm))
        kvp = up and "data_exchange" in running
        out = []
        for i, nic in enumerate(vm.config.network_adapters):
            row = self.lab.sim.devices.row(vm.id, f"nic{i}")
            carrying = row is not None and bool(self.lab.sim.devices.carrying[row])
            ip = host.net.ip_address(vm, i) if kvp and nic.switch else ""
            if nic.switch is None:
                status = "Not connected"
            elif vm.partition_id is None:
                status = ""
            elif not nic.legacy and not (up and vm.config.guest_is_installed):
                status = "No driver in the guest (integration services)"
            else:
                status = "OK" if carrying or up else "Degraded"
            out.append(AdapterInfo(i, "Legacy Network Adapter" if nic.legacy else
                                   "Network Adapter", nic.legacy, nic.switch or "",
                                   host.net.mac_of(vm, i), (ip,) if ip else (), nic.vlan_id,
                                   status))
        return out

    @query
    def kvp(self, ref: str) -> dict[str, str]:
        """Data Exchange (KVP) items the guest publishes; empty unless the service runs."""
        host, vm = self._resolve(ref)
        guest = host.guest_of(vm)
        if not (self._is_up(host, vm)
                and "data_exchange" in integration_services_running(vm.config, guest)):
            return {}
        ips = [ip for a in self.network_adapters(ref) for ip in a.ip_addresses]
        return {"FullyQualifiedDomainName": vm.name.lower(), "OSName": guest.name,
                "OSVersion": guest.kernel, "IntegrationServicesVersion": "6.1.7601.17514",
                "NetworkAddressIPv4": ";".join(ips)}

    @command
    def send_ctrl_alt_del(self, ref: str) -> None:
        """Virtual Machine Connection's Ctrl+Alt+Delete (a running VM only)."""
        host, vm = self._resolve(ref)
        keyboard.send_ctrl_alt_del(host, vm)

    @command
    def send_keys(self, ref: str, combination: str) -> str:
        """Press a key combination in a running VM (``Windows+R``; Virtual Machine
        Connection sends Windows key combinations this way when Hyper-V Settings ▸ Keyboard
        says they go to the virtual machine)."""
        host, vm = self._resolve(ref)
        return keyboard.send_keys(host, vm, combination)

    @command
    def type_text(self, ref: str, text: str) -> int:
        """Clipboard ▸ Type clipboard text: ``text`` as a US keyboard's key presses (printable
        ASCII, Tab, Enter; at most 4,096 characters) into a running VM; how many were typed."""
        host, vm = self._resolve(ref)
        return keyboard.type_text(host, vm, text)

    @command
    def insert_integration_services_disk(self, ref: str) -> None:
        """Action ▸ Insert Integration Services Setup Disk (takes effect at the next boot)."""
        host, vm = self._resolve(ref)
        integration.insert_integration_services_disk(host, vm)

    @query
    def integration_setup_blocker(self, ref: str) -> str | None:
        host, vm = self._resolve(ref)
        return rules.integration_setup_blocker(host, vm)
