"""Take docs/settings.md's screenshots: ``python -m hvlab.gui.settings.screenshots docs/img``.

Run under Xvfb at 1280×800 so they look like a real desktop::

    xvfb-run -a -s '-screen 0 1280x800x24' \\
        .venv/bin/python -m hvlab.gui.settings.screenshots docs/img

Every scene is built through the API on a manual clock from a new demo library (seed 0) in
the temporary folder, so the pictures are the same on every run. The wizard's QSettings go
to a temporary file.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from hvlab.engine.api import open_library
from hvlab.gui.bridge import Bridge
from hvlab.gui.settings.dialog import VmSettingsDialog
from hvlab.gui.shots import save, settle, start
from hvlab.gui.wizard.wizard import NewVmWizard


def _save(app: QApplication, widget: QWidget, path: Path) -> None:
    settle(app)
    save(widget, path)


def main(argv: list[str] | None = None) -> int:
    app, out = start(argv, __doc__)
    # A demo library in a fixed place, so the wizard shows a real disk folder.
    folder = Path(tempfile.gettempdir()) / "hvlab-demo"
    shutil.rmtree(folder, ignore_errors=True)
    library = open_library(folder, program="screenshots", seed=0)
    api = library.api
    if "Lab Network" not in {sw.name for sw in api.switches()}:
        api.create_switch("Lab Network", "Internal", notes="The training network")
    bridge = Bridge(api, clock="manual")
    ini = Path(tempfile.mkdtemp()) / "hvlab.ini"

    # The wizard, guided: Assign Memory, with a value the profile refuses.
    wizard = NewVmWizard(bridge, None, ["Web"],
                         settings=QSettings(str(ini), QSettings.Format.IniFormat))
    wizard.show()
    wizard.go_to("name")
    wizard.name_panel.name.setText("LAB-WEB02")
    wizard.name_panel.name.textEdited.emit("LAB-WEB02")
    wizard.go_to("memory")
    wizard.memory.memory.setValue(70000)
    _save(app, wizard, out / "wizard-memory-invalid.png")
    wizard.memory.memory.setValue(2048)
    wizard.go_to("disk")
    _save(app, wizard, out / "wizard.png")
    # Expert Mode: every field on one page.
    wizard.set_expert(True)
    wizard.network.switch.setCurrentIndex(1)
    _save(app, wizard, out / "wizard-expert.png")
    wizard.set_expert(False)
    wizard.close()

    # Settings of a stopped VM: Memory with Dynamic Memory being switched on (not applied
    # yet, so the page is bold in the tree and Apply is enabled).
    dialog = VmSettingsDialog(bridge, api.vm("XP-CLIENT").id)
    dialog.show()
    dialog.show_page("memory")
    dialog.page("memory").dynamic.setChecked(True)  # type: ignore[attr-defined]
    _save(app, dialog, out / "settings-memory.png")
    dialog.cancel()

    # Settings of a running VM: Processor, the count locked with the engine's reason.
    dialog = VmSettingsDialog(bridge, api.vm("W2K8-DC01").id)
    dialog.show()
    dialog.show_page("processor")
    page = dialog.page("processor")
    page.reserve.setValue(25)  # type: ignore[attr-defined]
    page.limit.setValue(75)  # type: ignore[attr-defined]
    _save(app, dialog, out / "settings-processor.png")
    # The engine refuses a change set: the dialog names the field and changes nothing.
    page.reserve.setValue(80)  # type: ignore[attr-defined]
    page.limit.setValue(50)  # type: ignore[attr-defined]
    dialog.show_page("memory")
    dialog.page("memory").weight.setValue(80)  # type: ignore[attr-defined]
    dialog.apply()
    _save(app, dialog, out / "settings-refused.png")
    dialog.cancel()

    # A network adapter: connected, with a VLAN (the demo's 2008 R2 has no bandwidth
    # management, which arrived with 2012).
    api.set_vm("SQL-BIG", network_adapters=[{"switch": "Lab Network", "vlan_id": 20}])
    dialog = VmSettingsDialog(bridge, api.vm("SQL-BIG").id)
    dialog.show()
    dialog.show_page("nic0")
    _save(app, dialog, out / "settings-network-adapter.png")
    dialog.cancel()
    bridge.close()
    library.close()
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
