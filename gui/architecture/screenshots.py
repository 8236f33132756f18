"""Pictures for docs/architecture-view.md:
``python -m hvlab.gui.architecture.screenshots docs/img``.

Run under Xvfb so the windows look like a real desktop::

    xvfb-run -a -s '-screen 0 1280x800x24' \\
        .venv/bin/python -m hvlab.gui.architecture.screenshots docs/img

The scene is the emulated-vs-synthetic demo of the docs, built through the API on a manual
clock (seed 0), so the pictures are the same on every run: an External switch on the host's
first NIC; NT4-LEGACY (no integration services exist) on its legacy network adapter; and
W2K8-DC01 (integration services built in) on a synthetic one, both with the same workload.
"""

from __future__ import annotations

import sys

from hvlab.engine.api import ManagementApi, NetworkAdapter
from hvlab.gui.app import build_parser, create_main_window, open_lab
from hvlab.gui.shots import save, settle, start
from hvlab.gui.theme import Theme

SWITCH = "External"  # the demo lab's switch (engine/api/demo.py)
#: The same load on both VMs: 80 Mbit/s of network traffic and 300 disk IOPS.
WORKLOAD = dict(workload="custom", workload_net_mbit=80, workload_disk_iops=300)


def build_demo(api: ManagementApi, settle_seconds: float = 120.0) -> None:
    """The emulated-vs-synthetic demo on the demo lab (see docs/architecture-view.md)."""
    if SWITCH not in {s.name for s in api.switches()}:
        api.create_switch(SWITCH, "External", nic=api.host().nics[0],
                          notes="The lab's uplink: both demo VMs are connected here.")
    api.create_switch("Host Internal", "Internal", management_vlan_id=20)
    api.create_switch("Lab Private", "Private")
    api.set_vm("NT4-LEGACY", network_adapters=[NetworkAdapter(legacy=True, switch=SWITCH)],
               **WORKLOAD)
    # Adding an adapter needs the VM off, as in Hyper-V.
    api.turn_off("W2K8-DC01")
    api.advance(5)
    api.set_vm("W2K8-DC01", network_adapters=[NetworkAdapter(switch=SWITCH)], **WORKLOAD)
    api.start("W2K8-DC01")
    api.advance(settle_seconds)




def main(argv: list[str] | None = None) -> int:
    app, out = start(argv, __doc__)
    api = open_lab(build_parser().parse_args(["--in-memory", "--seed", "0"]))
    build_demo(api)
    window = create_main_window(api, clock="manual", theme=Theme.LIGHT)
    window.show()
    window.bridge.step(0)
    settle(app)

    # The architecture view during the demo; a few ticks so the dots are spread out.
    arch = window.host_actions.open_architecture()
    arch.resize(1280, 720)
    settle(app)
    for _ in range(3):
        window.bridge.step(1)
    settle(app)
    save(arch, out / "architecture-view.png")
    arch.export_png(out / "architecture-export.png")
    print(out / "architecture-export.png")
    arch.close()

    # Virtual Switch Manager with the external switch selected.
    dialog = window.host_actions.open_switch_manager()
    dialog.resize(880, 620)
    dialog.select_switch(SWITCH)
    settle(app)
    save(dialog, out / "switch-manager.png")
    dialog.show_mac_range()
    settle(app)
    save(dialog, out / "switch-manager-mac-range.png")
    dialog.close()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
