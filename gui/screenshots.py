"""Take the README's screenshots: ``python -m hvlab.gui.screenshots docs/img``.

Run under Xvfb at 1280×800 so they look like a real desktop::

    xvfb-run -a -s '-screen 0 1280x800x24' \\
        .venv/bin/python -m hvlab.gui.screenshots docs/img

Every scene is built through the API on a manual clock, so the pictures are the same on
every run (seed 0).
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from hvlab.gui.app import build_parser, create_main_window, open_lab
from hvlab.gui.main_window import MainWindow
from hvlab.gui.shots import save, settle, start
from hvlab.gui.theme import Theme, apply_theme


def _window(app: QApplication, theme: Theme) -> MainWindow:
    apply_theme(app, theme)
    api = open_lab(build_parser().parse_args(["--in-memory", "--seed", "0"]))
    window = create_main_window(api, clock="manual", theme=theme)
    window.resize(1280, 800)
    window.show()
    settle(app)
    return window


def main(argv: list[str] | None = None) -> int:
    app, out = start(argv, __doc__)

    # The main window: a save in progress, the demo VMs, the domain controller selected.
    window = _window(app, Theme.LIGHT)
    api = window.bridge.api
    api.start("XP-CLIENT")
    window.bridge.step(30)
    api.save("SLES10-WEB01")
    window.bridge.step(0.3)
    window.vm_list.select_ids([api.vm("W2K8-DC01").id])
    settle(app)
    save(window, out / "main-window.png")

    # Its Virtual Machine Connection window, with the guest booted.
    connect = window.vm_windows.open_connect(api.vm("W2K8-DC01").id)
    connect.resize(820, 560)
    settle(app)
    save(connect, out / "connect-window.png")
    connect.close()

    # The jobs panel and the Start pre-check for the VM that does not fit.
    window.jobs_panel.show()
    window.vm_list.select_ids([api.vm("SQL-BIG").id])
    window.bridge.step(0)
    settle(app)
    save(window, out / "jobs-and-memory-check.png")
    window.close()

    # Dark theme, filtered to one VM group.
    window = _window(app, Theme.DARK)
    host = window.bridge.api.host().id
    window.tree.select_key(("group", host, "Legacy applications"))
    window.vm_list.select_ids([window.bridge.api.vm("W2K3-APP01").id])
    window.bridge.step(0)
    settle(app)
    save(window, out / "main-window-dark.png")

    # Hyper-V Settings: the hypervisor stopped because VT-x was switched off in the BIOS.
    api = window.bridge.api
    api.set_host(virtualization_enabled=False)
    api.reboot_host()
    window.bridge.step(300)
    dialog = window.host_actions.open_host_settings()
    dialog.show_page("hardware")
    dialog.resize(820, 560)
    settle(app)
    save(dialog, out / "hyper-v-settings.png")
    dialog.close()

    # The Event Viewer at the hypervisor's launch failure, as an error's Details opens it.
    viewer = window.host_actions.open_event_viewer("The hypervisor did not start")
    viewer.resize(1000, 600)
    settle(app)
    save(viewer, out / "event-viewer.png")
    viewer.close()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
