"""The architecture diagram as plain data: what the engine says, laid out in boxes and wires.

:func:`read_host` takes one consistent reading of a host through the management API (no Qt
here, and nothing but the API); :func:`layout` turns it into a :class:`Diagram` of boxes,
wires and labels with scene coordinates. The Qt scene (:mod:`hvlab.gui.architecture.scene`) only
draws a Diagram, so the picture on screen, the PNG and the SVG come from the same model, and
tests can check the model without reading pixels.

The picture follows the usual Hyper-V architecture diagram: hardware at the
bottom, the hypervisor on it, and above it the root partition (user mode: the management
service VMMS and one worker process per child; kernel mode: the drivers, the VSPs and VMBus)
next to the child partitions (user mode: the guest's applications; kernel mode: its VSCs and
enlightenments, or its emulated devices). Wires show VMBus channels (VSC to VSP) and, while a
device carries I/O, its path:

* synthetic: VSC → VMBus → VSP → driver → hardware;
* emulated: device → intercept in the hypervisor → the VM's worker process in the root →
  driver → hardware (the round trip that makes emulation expensive).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hvlab.engine.api import DeviceIoInfo, ManagementApi

#: Child partitions drawn at most; more are summarised in the title.
MAX_CHILDREN = 6
#: Device classes with a VMBus channel, in the order of their lanes.
CLASSES = ("storage", "network", "video", "input")
VSP_NAMES = {"storage": "StorVSP", "network": "NetVSP", "video": "SynthVid VSP",
             "input": "SynthHid VSP"}
VSC_NAMES = {"storage": "storvsc", "network": "netvsc", "video": "synthvid", "input": "synthhid"}
#: The channel key's prefix → its class (hvlab.engine.devices keys: scsi0, ide0:0, nic1, video...).
_CHANNEL_CLASS = (("scsi", "storage"), ("ide", "storage"), ("nic", "network"),
                  ("video", "video"), ("input", "input"))
#: Emulated devices as the child's box lists them (key prefix → short name).
_EMULATED_NAMES = (("ide", "IDE (PIIX4)"), ("nic", "DEC 21140"), ("s3", "S3"),
                   ("ps2", "PS/2"), ("floppy", "floppy"), ("com", "COM"))
#: A path carries I/O above this rate (IOPS or Mbit/s).
ACTIVE_RATE = 0.05

Point = tuple[float, float]


# -- what the engine says --------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassIo:
    """One VM's I/O of one class (storage or network) on one path (emulated or synthetic)."""

    rate: float = 0.0
    unit: str = ""
    root_cpu_percent: float = 0.0
    hypervisor_cpu_percent: float = 0.0
    intercepts_s: float = 0.0
    devices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChildState:
    vm_id: str
    name: str
    partition_id: int
    state: str
    guest_os: str
    workload: str
    enlightened: bool
    vscs_loaded: bool  # the guest's VMBus drivers run (channels open)
    channels: dict[str, str]  # class → "Open" / "Offered" (device channels only)
    integration_channels: int
    unknown_devices: int
    emulated: tuple[str, ...]
    io: dict[tuple[str, str], ClassIo]  # (kind, class) → figures
    hypercalls: int


@dataclass(frozen=True)
class HostState:
    host_id: str
    name: str
    os_edition: str
    cpu: str
    logical_processors: int
    ram_gb: int
    nics: tuple[str, ...]
    hypervisor_running: bool
    hypervisor_blockers: tuple[str, ...]
    time_seconds: float
    children: tuple[ChildState, ...]
    more_children: int


def _class_of_channel(key: str) -> str | None:
    for prefix, cls in _CHANNEL_CLASS:
        if key.startswith(prefix):
            return cls
    return None


def _sum_io(rows: list[DeviceIoInfo]) -> ClassIo:
    return ClassIo(sum(r.rate for r in rows), rows[0].unit if rows else "",
                   sum(r.root_cpu_percent for r in rows),
                   sum(r.hypervisor_cpu_percent for r in rows),
                   sum(r.intercepts_s for r in rows), tuple(r.name for r in rows))


def read_child(api: ManagementApi, vm_id: str, enlightened_os: dict[str, bool],
               hypercalls: dict[str, int]) -> ChildState | None:
    info = api.vm(vm_id)
    if info.partition_id is None:
        return None
    devices = api.devices(vm_id)
    channels: dict[str, str] = {}
    ics = 0
    for ch in api.vmbus_channels(vm_id):
        if ch.key.startswith("ic:"):
            ics += 1
            continue
        cls = _class_of_channel(ch.key)
        if cls is not None and channels.get(cls) != "Open":
            channels[cls] = ch.state
    emulated: list[str] = []
    for d in devices:
        if d.kind != "emulated":
            continue
        name = next((n for p, n in _EMULATED_NAMES if d.key.startswith(p)), d.name)
        if name not in emulated:
            emulated.append(name)
    grouped: dict[tuple[str, str], list[DeviceIoInfo]] = {}
    for row in api.device_io(vm_id):
        cls = "network" if row.unit == "Mbit/s" else "storage"
        grouped.setdefault((row.kind, cls), []).append(row)
    return ChildState(
        vm_id=vm_id, name=info.name, partition_id=info.partition_id, state=info.state,
        guest_os=info.guest_os_name, workload=info.config.workload,
        enlightened=enlightened_os.get(info.guest_os, False) and info.config.guest_is_installed,
        vscs_loaded=any(s == "Open" for s in channels.values()), channels=channels,
        integration_channels=ics,
        unknown_devices=sum(1 for d in devices if d.guest_driver is None),
        emulated=tuple(emulated), io={k: _sum_io(v) for k, v in grouped.items()},
        hypercalls=hypercalls.get(vm_id, 0))


def read_host(api: ManagementApi, host_id: str | None,
              candidates: list[str] | None = None) -> HostState:
    """Everything the diagram shows, read through the API.

    ``candidates``: VM ids that may have a partition (the bridge's snapshot narrows them
    down cheaply); None reads every VM of the host.
    """
    host = api.host(host_id)
    if candidates is None:
        candidates = [v.id for v in api.vms(host.id) if v.partition_id is not None]
    enlightened = {g.id: g.enlightened for g in api.guest_os_list()}
    counters = api.hypercall_counters(host.id)
    calls = {c.vm_id: sum(c.calls.values()) for c in counters}
    children: list[ChildState] = []
    more = 0
    for vm_id in candidates:
        if len(children) >= MAX_CHILDREN:
            more += 1
            continue
        child = read_child(api, vm_id, enlightened, calls)
        if child is not None:
            children.append(child)
    children.sort(key=lambda c: c.partition_id)
    return HostState(
        host_id=host.id, name=host.name, os_edition=host.os_edition,
        cpu=f"{host.cpu_vendor} {host.cpu_model}".strip(),
        logical_processors=host.logical_processors, ram_gb=round(host.memory_total_mb / 1024),
        nics=host.nics, hypervisor_running=host.hypervisor_running,
        hypervisor_blockers=host.hypervisor_blockers, time_seconds=api.now_seconds,
        children=tuple(children), more_children=more)


# -- what the scene draws --------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    key: str
    x: float
    y: float
    w: float
    h: float
    title: str
    body: tuple[str, ...] = ()
    style: str = "region"
    vm_id: str = ""  # a child partition: clicking it selects this VM
    tooltip: str = ""


@dataclass(frozen=True)
class Wire:
    key: str
    points: tuple[Point, ...]
    style: str  # channel-open, channel-offered, synthetic, emulated, idle, hardware
    dots: int = 0  # moving dots while I/O flows (0: still)
    speed: float = 0.0  # fraction of the wire a dot travels per tick
    width: float = 1.0  # pen width (scene units)
    tooltip: str = ""


@dataclass(frozen=True)
class Label:
    key: str
    x: float
    y: float
    text: str
    style: str = "muted"  # synthetic, emulated, muted, title, legend-*
    align: str = "left"  # left, right, center


@dataclass(frozen=True)
class Diagram:
    width: float
    height: float
    boxes: tuple[Box, ...]
    wires: tuple[Wire, ...]
    labels: tuple[Label, ...]
    children: tuple[str, ...] = ()  # VM ids of the child partitions shown
    active_paths: dict[str, str] = field(default_factory=dict)  # wire key → rate text

    def box(self, key: str) -> Box:
        return next(b for b in self.boxes if b.key == key)

    def wire(self, key: str) -> Wire:
        return next(w for w in self.wires if w.key == key)


# -- layout ---------------------------------------------------------------------------------------
MARGIN = 18.0
TITLE_H = 44.0
HEADER_H = 24.0
GAP = 14.0
CHILD_W = 206.0
CHIP_H = 80.0
LANE = 4.0
WORKER_W = 92.0
VMMS_W = 96.0
VID_W = 140.0
DRIVERS_W = 140.0
VSP_W = 70.0
HW_H = 58.0


def rate_text(value: float, unit: str) -> str:
    if unit == "Mbit/s":
        return f"{value:,.1f} Mbit/s" if value < 100 else f"{value:,.0f} Mbit/s"
    return f"{value:,.0f} {unit}"


def _dots(rate: float) -> int:
    return 2 + min(4, int(math.log10(1.0 + rate)))


def _width(rate: float) -> float:
    """Pen width of an I/O path: busier paths are drawn thicker."""
    return 1.2 + min(2.4, 0.8 * math.log10(1.0 + rate))


@dataclass(frozen=True)
class _Bands:
    """The y coordinates every column shares (they depend on the number of children)."""

    part_top: float
    user_top: float
    user_h: float
    worker_bottom: float
    kernel_top: float
    lanes_top: float
    chips_top: float
    rates_top: float
    bus_top: float
    bus_h: float
    part_bottom: float
    hv_top: float
    hv_h: float
    hw_top: float
    height: float


def _bands(n: int) -> _Bands:
    part_top = MARGIN + TITLE_H
    user_top = part_top + HEADER_H
    worker_bottom = user_top + 20 + 48
    user_h = 20 + 48 + 10 + 2 * n * LANE + 4
    kernel_top = user_top + user_h
    lanes_top = kernel_top + 20  # root: VSP→driver and worker→driver lanes
    chips_top = lanes_top + max(4 * n * LANE + 4, 40)
    rates_top = chips_top + CHIP_H + 5
    bus_top = rates_top + 34
    bus_h = 20 + 4 * n * LANE + 4
    part_bottom = bus_top + bus_h + 8
    hv_top = part_bottom + 12
    hv_h = 28 + 2 * n * LANE + 8
    hw_top = hv_top + hv_h + 12
    return _Bands(part_top, user_top, user_h, worker_bottom, kernel_top, lanes_top, chips_top,
                  rates_top, bus_top, bus_h, part_bottom, hv_top, hv_h, hw_top,
                  hw_top + HW_H + MARGIN)


def layout(state: HostState) -> Diagram:
    """Place every part of ``state``. Positions depend only on the partitions shown, so
    the picture stays still while rates change and moves only when a VM starts or stops."""
    children = state.children
    n = max(len(children), 1)
    b = _bands(n)
    boxes: list[Box] = []
    wires: list[Wire] = []
    labels: list[Label] = []
    active: dict[str, str] = {}

    # Root partition columns: user mode VMMS + workers; kernel mode VID, drivers, VSPs.
    root_x = MARGIN
    vid_x = root_x + 10
    drivers_x = vid_x + VID_W + 8
    vsp_x0 = drivers_x + DRIVERS_W + 12
    kernel_need = vsp_x0 + 4 * (VSP_W + 6) + 4 - root_x
    user_need = 10 + VMMS_W + 10 + n * (WORKER_W + 6) + 4
    corridor = 2 * n * LANE + 14
    root_w = max(kernel_need, user_need) + corridor
    root_right = root_x + root_w
    child_x0 = root_right + GAP
    width = child_x0 + max(len(children), 1) * (CHILD_W + GAP) - GAP + MARGIN

    # -- title and legend
    title = f"{state.name} — {state.os_edition}"
    if state.more_children:
        title += f" (and {state.more_children} more child partitions not shown)"
    labels.append(Label("title", MARGIN, MARGIN - 4, title, "title"))
    labels.append(Label("clock", MARGIN, MARGIN + 20,
                        f"Simulated time {_clock(state.time_seconds)} · hvlab", "muted"))
    for i, (key, text) in enumerate((
            ("legend-synthetic", "synthetic I/O: VSC → VMBus → VSP → driver"),
            ("legend-emulated", "emulated I/O: intercept → worker process → driver"),
            ("legend-offered", "VMBus channel offered, no VSC in the guest"))):
        labels.append(Label(key, width - MARGIN, MARGIN - 6 + i * 14, text, key, "right"))

    # -- hardware and hypervisor
    band_x, band_w = MARGIN, width - 2 * MARGIN
    boxes.append(Box("hardware", band_x, b.hw_top, band_w, HW_H, "Hardware", (), "hardware",
                     tooltip="The physical computer. The hypervisor manages only processors, "
                             "memory and interrupts; the root partition's drivers own the "
                             "devices."))
    half = DRIVERS_W / 2
    storage_hw = Box("hw:storage", drivers_x, b.hw_top + 22, half - 3, HW_H - 28, "Disks", (),
                     "chip-hardware", tooltip="The host's storage")
    nic_hw = Box("hw:nic", drivers_x + half + 3, b.hw_top + 22, half - 3, HW_H - 28,
                 f"NICs ×{len(state.nics)}", (), "chip-hardware", tooltip="\n".join(state.nics))
    cpu_hw = Box("hw:cpu", vsp_x0, b.hw_top + 22, 4 * (VSP_W + 6) - 6, HW_H - 28,
                 f"{state.logical_processors} logical processors · {state.ram_gb} GB", (),
                 "chip-hardware", tooltip=state.cpu)
    boxes += [storage_hw, nic_hw, cpu_hw]
    if state.hypervisor_running:
        hv_text = "partitions · memory isolation · hypercalls · intercepts"
        hv_style = "hypervisor"
    else:
        hv_text = ("not running: " + ("; ".join(state.hypervisor_blockers) or "the host is "
                                       "restarting") + ". No child partition can exist.")
        hv_style = "warning"
    # Its text starts right of the lines from the root's drivers down to the hardware.
    labels.append(Label("hypervisor:text", vsp_x0, b.hv_top + 5, hv_text,
                        "muted" if state.hypervisor_running else "warning"))
    boxes.append(Box("hypervisor", band_x, b.hv_top, band_w, b.hv_h, "Windows hypervisor",
                     (), hv_style,
                     tooltip="A thin layer under every partition: it schedules virtual "
                             "processors, isolates memory and turns a child's privileged "
                             "instructions and device accesses into intercepts."))

    # -- root partition
    boxes.append(Box("root", root_x, b.part_top, root_w, b.part_bottom - b.part_top,
                     "Root partition", ("parent · management operating system",), "root",
                     tooltip=f"{state.os_edition}: owns the devices and runs the "
                             "virtualization stack."))
    boxes.append(Box("root:user", root_x + 4, b.user_top, root_w - 8, b.user_h - 2,
                     "User mode", (), "mode"))
    boxes.append(Box("root:kernel", root_x + 4, b.kernel_top, root_w - 8,
                     b.part_bottom - b.kernel_top - 4, "Kernel mode", (), "mode"))
    boxes.append(Box("vmms", root_x + 10, b.user_top + 20, VMMS_W, 48, "VMMS",
                     ("vmms.exe", "WMI provider"), "process",
                     tooltip="Virtual Machine Management Service: configuration, state and "
                             "the WMI interface every console uses."))
    boxes.append(Box("vid", vid_x, b.chips_top, VID_W, CHIP_H, "VID · WinHv",
                     ("vid.sys: creates and runs", "partitions", "winhv.sys: hypercalls",
                      "to the hypervisor"), "driver",
                     tooltip="The Virtualization Infrastructure Driver and the hypercall "
                             "interface: how the root creates and runs partitions."))
    boxes.append(Box("drivers", drivers_x, b.chips_top, DRIVERS_W, CHIP_H, "Drivers",
                     ("storage: storport", f"net: {_short_nic(state.nics)}",
                      "the devices' own", "Windows drivers"), "driver",
                     tooltip="The Windows drivers of the physical devices run in the root "
                             "partition: the hypervisor has none."))
    vsps: dict[str, Box] = {}
    for i, cls in enumerate(CLASSES):
        vsps[cls] = Box(f"vsp:{cls}", vsp_x0 + i * (VSP_W + 6), b.chips_top, VSP_W, CHIP_H,
                        VSP_NAMES[cls].removesuffix(" VSP"),
                        ("VSP", {"storage": "disks", "network": "VMSwitch", "video": "video",
                                 "input": "input"}[cls]), "vsp",
                        tooltip=f"{VSP_NAMES[cls]}: the virtualization service provider for "
                                f"{cls}, serving the children's VSCs over VMBus.")
    boxes += vsps.values()
    bus_x = vsp_x0 - 6
    boxes.append(Box("vmbus", bus_x, b.bus_top, width - MARGIN - 6 - bus_x, b.bus_h, "VMBus",
                     (), "vmbus", tooltip="Shared-memory channels between the root and each "
                                          "child, one per synthetic device."))
    # The root's drivers own the hardware: the hypervisor does not mediate device access.
    for i, hw in enumerate((storage_hw, nic_hw)):
        x = hw.x + hw.w - 10
        wires.append(Wire(f"hw-link:{i}", ((x, b.chips_top + CHIP_H), (x, hw.y)), "hardware"))

    # -- child partitions and their wires
    corridor_x = root_right - 10
    chip_w = (CHILD_W - 26) / 2
    for k, c in enumerate(children):
        x = child_x0 + k * (CHILD_W + GAP)
        boxes.append(Box(
            f"child:{c.vm_id}", x, b.part_top, CHILD_W, b.part_bottom - b.part_top, c.name,
            (f"partition {c.partition_id}",), "child" if c.enlightened else "child-legacy",
            vm_id=c.vm_id,
            tooltip=f"Child partition {c.partition_id}: {c.name}, {c.guest_os}, {c.state}. "
                    "Click to select it in Hyper-V Manager."))
        boxes.append(Box(f"child:{c.vm_id}:user", x + 4, b.user_top, CHILD_W - 8,
                         b.user_h - 2, "User mode", (), "mode", vm_id=c.vm_id))
        boxes.append(Box(f"child:{c.vm_id}:kernel", x + 4, b.kernel_top, CHILD_W - 8,
                         b.part_bottom - b.kernel_top - 4, "Kernel mode", (), "mode",
                         vm_id=c.vm_id))
        boxes.append(Box(f"child:{c.vm_id}:apps", x + 10, b.user_top + 20, CHILD_W - 20, 48,
                         "Applications", (c.guest_os, f"workload: {c.workload}"), "apps",
                         vm_id=c.vm_id, tooltip=c.guest_os))
        boxes.append(Box(
            f"child:{c.vm_id}:enl", x + 10, b.lanes_top, CHILD_W - 20, 22,
            "Enlightened: hypercalls" if c.enlightened else "Not enlightened: traps", (),
            "enlightened" if c.enlightened else "muted-box", vm_id=c.vm_id,
            tooltip=(f"The guest kernel knows it runs on a hypervisor and asks it with "
                     f"hypercalls ({c.hypercalls:,} so far)." if c.enlightened else
                     "The guest kernel does not know the hypervisor: its privileged "
                     "operations trap to it.")))
        vsc = Box(f"child:{c.vm_id}:vsc", x + 10, b.chips_top, chip_w, CHIP_H,
                  "VSCs" if c.vscs_loaded else "No VSCs", _vsc_body(c),
                  "vsc" if c.vscs_loaded else "warning", vm_id=c.vm_id,
                  tooltip="Virtualization service clients: the guest's VMBus drivers, "
                          "installed with integration services." if c.vscs_loaded else
                          f"{c.unknown_devices} unknown devices in the guest: without "
                          "integration services its synthetic devices have no driver.")
        emu = Box(f"child:{c.vm_id}:emu", x + 16 + chip_w, b.chips_top, chip_w, CHIP_H,
                  "Emulated", _emulated_body(c.emulated), "emulated", vm_id=c.vm_id,
                  tooltip="Devices the worker process emulates: every access traps to the "
                          "hypervisor and is handled in the root partition.")
        boxes += [vsc, emu]
        emu_io = [i for i in (c.io.get(("emulated", cls)) for cls in ("storage", "network"))
                  if i is not None]
        intercepts = sum(i.intercepts_s for i in emu_io)
        busy = intercepts > 1
        worker = Box(f"worker:{c.vm_id}", root_x + 10 + VMMS_W + 10 + k * (WORKER_W + 6),
                     b.user_top + 20, WORKER_W, 48, "vmwp.exe",
                     (c.name, f"CPU {_percent(sum(i.root_cpu_percent for i in emu_io))}")
                     if busy else (c.name,), "worker-busy" if busy else "worker",
                     vm_id=c.vm_id, tooltip=f"The worker process of {c.name}: runs its "
                                            "emulated devices in the root partition.")
        boxes.append(worker)
        if busy:
            labels.append(Label(f"intercepts:{c.vm_id}", x + CHILD_W - 4, b.hv_top + 5,
                                f"{intercepts:,.0f} intercepts/s", "emulated", "right"))

        # VMBus channels: one wire per device class, VSC ↔ VSP through the bus.
        for ci, cls in enumerate(CLASSES):
            if cls not in c.channels:
                continue
            lane_y = b.bus_top + 18 + (k * 4 + ci) * LANE
            vx = vsc.x + 8 + ci * (vsc.w - 16) / 3
            px = vsps[cls].x + 6 + (k + 0.5) * (VSP_W - 12) / n
            open_ = c.channels[cls] == "Open"
            wires.append(Wire(
                f"channel:{c.vm_id}:{cls}",
                ((vx, b.chips_top + CHIP_H), (vx, lane_y), (px, lane_y),
                 (px, b.chips_top + CHIP_H)),
                "channel-open" if open_ else "channel-offered",
                tooltip=f"{c.name}: VMBus channel {VSC_NAMES[cls]} ↔ {VSP_NAMES[cls]} "
                        f"({c.channels[cls]})"))

        # Live I/O paths, one per class and kind.
        for ci, cls in enumerate(("storage", "network")):
            hw_box = storage_hw if ci == 0 else nic_hw
            word = "disk" if ci == 0 else "net"
            io = c.io.get(("synthetic", cls))
            if io is not None and io.rate > ACTIVE_RATE and c.channels.get(cls) == "Open":
                lane_y = b.bus_top + 18 + (k * 4 + ci) * LANE
                vx = vsc.x + 8 + ci * (vsc.w - 16) / 3
                px = vsps[cls].x + 6 + (k + 0.5) * (VSP_W - 12) / n
                up_y = b.lanes_top + (k * 4 + ci) * LANE + 2
                dx = hw_box.x + 6 + k * (hw_box.w - 24) / (2 * n)
                key = f"io:{c.vm_id}:synthetic:{cls}"
                text = rate_text(io.rate, io.unit)
                wires.append(Wire(
                    key, ((vx, b.chips_top + CHIP_H), (vx, lane_y), (px, lane_y),
                          (px, b.chips_top), (px, up_y), (dx, up_y), (dx, hw_box.y)),
                    "synthetic", _dots(io.rate), 0.09, _width(io.rate),
                    tooltip=_io_tip(c.name, "synthetic", cls, io)))
                active[key] = text
                labels.append(Label(f"rate:{key}", vsc.x, b.rates_top + ci * 15,
                                    f"{word} {text}", "synthetic"))
            io = c.io.get(("emulated", cls))
            if io is not None and io.rate > ACTIVE_RATE:
                ex = emu.x + emu.w - 12 - ci * 22
                hv_y = b.hv_top + 24 + (k * 2 + ci) * LANE
                cx = corridor_x - (k * 2 + ci) * LANE
                up_y = b.worker_bottom + 8 + (k * 2 + ci) * LANE
                wx = worker.x + 12 + ci * 26
                down_y = b.lanes_top + (k * 4 + 2 + ci) * LANE + 2
                dx = hw_box.x + 6 + (k + 0.5) * (hw_box.w - 24) / (2 * n) + 2
                key = f"io:{c.vm_id}:emulated:{cls}"
                text = rate_text(io.rate, io.unit)
                wires.append(Wire(
                    key, ((ex, emu.y + CHIP_H), (ex, hv_y), (cx, hv_y), (cx, up_y),
                          (wx, up_y), (wx, worker.y + 48), (wx + 8, worker.y + 48),
                          (wx + 8, down_y), (dx, down_y), (dx, hw_box.y)),
                    "emulated", _dots(io.rate), 0.04, _width(io.rate),
                    tooltip=_io_tip(c.name, "emulated", cls, io)))
                active[key] = text
                labels.append(Label(f"rate:{key}", emu.x + emu.w, b.rates_top + ci * 15,
                                    f"{'IDE' if ci == 0 else 'net'} {text}", "emulated",
                                    "right"))
        syn_io = [i for i in (c.io.get(("synthetic", cls)) for cls in ("storage", "network"))
                  if i is not None and i.rate > ACTIVE_RATE]
        if syn_io and c.vscs_loaded:
            cpu = sum(i.root_cpu_percent for i in syn_io)
            labels.append(Label(f"vspcpu:{c.vm_id}", x + 10, b.bus_top + 3,
                                f"root CPU {_percent(cpu)}", "synthetic"))

    if not children:
        text = ("Start a virtual machine: its partition appears here." if
                state.hypervisor_running else "The hypervisor is not running.")
        boxes.append(Box("no-children", child_x0, b.part_top, CHILD_W,
                         b.part_bottom - b.part_top, "No child partitions", (text,),
                         "placeholder"))
    return Diagram(width, b.height, tuple(boxes), tuple(wires), tuple(labels),
                   tuple(c.vm_id for c in children), active)


def _percent(value: float) -> str:
    return "< 0.01 %" if 0 < value < 0.01 else f"{value:.2f} %"


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def _short_nic(nics: tuple[str, ...]) -> str:
    if not nics:
        return "no NIC"
    name = nics[0].replace("(R)", "").replace("  ", " ")
    return name.split(" Gigabit")[0] + (f" ×{len(nics)}" if len(nics) > 1 else "")


def _vsc_body(c: ChildState) -> tuple[str, ...]:
    if not c.vscs_loaded:
        offered = len(c.channels) + c.integration_channels
        return (f"{c.unknown_devices} devices", "without driver;", f"{offered} channels",
                "offered")
    lines = [VSC_NAMES[cls] for cls in CLASSES if cls in c.channels]
    if c.integration_channels:
        lines.append(f"+ {c.integration_channels} ICs")
    return tuple(lines[:4])


def _emulated_body(names: tuple[str, ...]) -> tuple[str, ...]:
    if not names:
        return ("none",)
    lines: list[str] = []
    row: list[str] = []
    for name in names:
        if row and len(" · ".join([*row, name])) > 13:
            lines.append(" · ".join(row))
            row = []
        row.append(name)
    if row:
        lines.append(" · ".join(row))
    return tuple(lines[:4])


def _io_tip(vm: str, kind: str, cls: str, io: ClassIo) -> str:
    path = ("VSC → VMBus → VSP → driver" if kind == "synthetic" else
            "intercept → hypervisor → worker process → driver")
    return (f"{vm}: {kind} {cls} ({', '.join(io.devices)}), {rate_text(io.rate, io.unit)}\n"
            f"Path: {path}\nIntercepts: {io.intercepts_s:,.1f}/s · root CPU "
            f"{io.root_cpu_percent:.3f} % · hypervisor CPU {io.hypervisor_cpu_percent:.3f} %")
