"""Take the screenshots of docs/cluster.md: ``python -m hvlab.gui.cluster_screenshots
docs/img``.

Run under Xvfb at 1280×800 so they look like a real desktop::

    xvfb-run -a -s '-screen 0 1280x800x24' \\
        .venv/bin/python -m hvlab.gui.cluster_screenshots docs/img

The lab is the sample two-node cluster (``resources/labs/cluster.json``, seed 0) on a
manual clock.
"""

from __future__ import annotations

import sys

from hvlab.engine.api import ManagementApi, build_lab, load_lab_definition
from hvlab.gui.app import create_main_window
from hvlab.gui.shots import save, settle, start
from hvlab.gui.theme import Theme


def main(argv: list[str] | None = None) -> int:
    app, out = start(argv, __doc__)
    api = ManagementApi(seed=0)
    build_lab(api, load_lab_definition("cluster"))
    window = create_main_window(api, clock="manual", theme=Theme.LIGHT)
    window.resize(1280, 800)
    window.show()
    settle(app)
    bridge = window.bridge

    # A live migration of the web server: in pre-copy, then finished with its chart.
    window.vm_list.select_ids([api.vm("WEB01").id])
    bridge.step(0)
    dialog = window.host_actions.cluster.open_migration(live=True)
    assert dialog is not None
    dialog.resize(560, 260)
    dialog.start()
    bridge.step(4.0)
    settle(app)
    save(dialog, out / "cluster-live-migration-running.png")
    while dialog.job_id is not None and not dialog.outcome_label.isVisible():
        bridge.step(0.5)
    dialog.resize(560, 460)
    settle(app)
    save(dialog, out / "cluster-live-migration.png")
    dialog.close()

    # NODE1 fails: its VMs are off, the cluster removes it, WEB01 (on NODE2) runs on.
    node1 = api.host("NODE1").id
    window.tree.select_key(("host", node1))
    bridge.step(0)
    bridge.call(api.fail_node, node1)
    bridge.step(6.0)
    window.tree.select_key(("root",))
    bridge.step(2.0)
    window.vm_list.select_ids([api.vm("SQL01").id])
    settle(app)
    save(window, out / "cluster-node-failure.png")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
