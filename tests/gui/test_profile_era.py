"""The console keeps to the host's release: the same lab on 2008 and on 2012 R2.

Hyper-V Manager on Windows Server 2008 says "Snapshot" and "Virtual Network Manager" and has
no Smart Paging, Guest services or QoS; 2012 R2 says "Checkpoint" and "Virtual Switch
Manager" and has them (docs/engine.md, "What each profile changes", gives the sources).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QGroupBox
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.host_settings import HostSettingsDialog
from hvlab.gui.main_window import MainWindow
from hvlab.gui.settings.dialog import VmSettingsDialog
from hvlab.gui.settings.management import IntegrationServicesPage
from tests.gui.helpers import click_pane, select


def _turn_everything_off(api: ManagementApi) -> None:
    for vm in api.vms():
        if vm.state != "Off":
            api.turn_off(vm.id)
    api.advance(5)


def _choose_release(qtbot: QtBot, window: MainWindow, profile_id: str) -> None:
    """Hyper-V Settings ▸ Host Hardware ▸ Hyper-V release, then OK."""
    click_pane(qtbot, window, ids.ACT_HOST_SETTINGS)
    dialog = next(d for d in window.findChildren(HostSettingsDialog) if d.isVisible())
    dialog.show_page("hardware")
    combo = dialog.findChild(QComboBox, ids.HOST_PROFILE.object_name)
    assert combo is not None
    combo.setCurrentIndex(combo.findData(profile_id))
    assert dialog.pending_edits() == {"profile": profile_id}
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    window.bridge.refresh()


def _settings(qtbot: QtBot, window: MainWindow, vm: str) -> VmSettingsDialog:
    select(window, vm)
    window.vm_actions["settings"].trigger()
    dialog = next(d for d in window.findChildren(VmSettingsDialog) if d.isVisible())
    qtbot.waitExposed(dialog)
    return dialog


def _words(window: MainWindow) -> dict[str, str]:
    cp = window.checkpoints
    return {"checkpoint": window.vm_actions["checkpoint"].text(),
            "delete": cp.delete_action.text(), "subtree": cp.delete_subtree_action.text(),
            "switches": window.host_actions.switch_manager_action.text(),
            "status": window.era.status.text()}


def _pages(dialog: VmSettingsDialog) -> dict[str, str]:
    return {key: page.title for key, page in dialog.pages.items()}


def test_switching_the_lab_between_2008_and_2012_r2_changes_names_and_pages(
        qtbot: QtBot, window: MainWindow, api: ManagementApi) -> None:
    assert window.era.status.text() == "LAB-HOST-01: Windows Server 2008 R2 SP1"
    _turn_everything_off(api)

    _choose_release(qtbot, window, "ws2008")
    assert api.host().profile_id == "ws2008"
    assert _words(window) == {
        "checkpoint": "Snapshot", "delete": "&Delete Snapshot…",
        "subtree": "Delete Snapshot &Subtree…", "switches": "Virtual Network &Manager…",
        "status": "LAB-HOST-01: Windows Server 2008 (Hyper-V RTM)"}
    old = _settings(qtbot, window, "W2K8-DC01")
    pages = _pages(old)
    assert pages["checkpoints"] == "Snapshot File Location"
    assert "smart_paging" not in pages
    services = old.pages["integration_services"]
    assert isinstance(services, IntegrationServicesPage)
    assert "guest_services" not in services.boxes
    disk = old.pages["disk0"]
    qos = [g for g in disk.findChildren(QGroupBox) if g.title() == "Quality of Service"]
    assert qos and qos[0].isHidden()
    nic = old.pages["nic0"]
    assert not [g for g in nic.findChildren(QGroupBox) if g.title() == "Bandwidth Management"]
    old.close()

    _choose_release(qtbot, window, "ws2012r2")
    assert _words(window) == {
        "checkpoint": "Chec&kpoint", "delete": "&Delete Checkpoint…",
        "subtree": "Delete Checkpoint &Subtree…", "switches": "Virtual Switch &Manager…",
        "status": "LAB-HOST-01: Windows Server 2012 R2"}
    new = _settings(qtbot, window, "W2K8-DC01")
    pages = _pages(new)
    assert pages["checkpoints"] == "Checkpoint File Location"
    assert pages["smart_paging"] == "Smart Paging File Location"
    services = new.pages["integration_services"]
    assert isinstance(services, IntegrationServicesPage)
    assert "guest_services" in services.boxes
    disk = new.pages["disk0"]
    assert [g for g in disk.findChildren(QGroupBox)
            if g.title() == "Quality of Service" and not g.isHidden()]
    nic = new.pages["nic0"]
    assert [g for g in nic.findChildren(QGroupBox) if g.title() == "Bandwidth Management"]
    new.close()


def test_a_release_the_vms_do_not_fit_is_refused_in_the_dialog(
        qtbot: QtBot, window: MainWindow, api: ManagementApi, shown: object) -> None:
    """Running VMs keep the host on its release: the error names them."""
    click_pane(qtbot, window, ids.ACT_HOST_SETTINGS)
    dialog = window.findChild(HostSettingsDialog, ids.HOST_SETTINGS_DIALOG.object_name)
    assert dialog is not None
    combo = dialog.findChild(QComboBox, ids.HOST_PROFILE.object_name)
    assert combo is not None
    combo.setCurrentIndex(combo.findData("ws2012r2"))
    assert not dialog.apply()
    assert api.host().profile_id == "ws2008r2"
    errors = shown.errors  # type: ignore[attr-defined]
    assert errors[0][0] == ("The host LAB-HOST-01 cannot change to Windows Server 2012 R2.")
    assert "W2K8-DC01" in errors[0][1]
    dialog.close()


def test_hypervisorlaunchtype_off_is_staged_from_hyper_v_settings(
        qtbot: QtBot, window: MainWindow, api: ManagementApi) -> None:
    """bcdedit /set hypervisorlaunchtype off: the role stays, the hypervisor does not launch
    after the restart (event 5, dd581788 on learn.microsoft.com)."""
    click_pane(qtbot, window, ids.ACT_HOST_SETTINGS)
    dialog = next(d for d in window.findChildren(HostSettingsDialog) if d.isVisible())
    dialog.show_page("hardware")
    assert dialog.launch.isChecked() and dialog.role.isChecked()
    dialog.launch.setChecked(False)
    assert dialog.pending_edits() == {"hypervisor_launch_type": "Off"}
    assert dialog.apply()
    assert "hypervisorlaunchtype Off" in dialog.pending.text()
    api.wait(api.reboot_host())
    window.bridge.refresh()
    dialog.on_tick(None)
    assert "Hyper-V launch aborted due to auto-launch being disabled" in dialog.summary.text()
    assert not dialog.launch.isChecked() and dialog.role.isChecked()
    dialog.close()


def test_the_new_vm_wizard_opens_on_a_host_with_profile_options(
        qtbot: QtBot, window: MainWindow, api: ManagementApi) -> None:
    """A host on ws2008+kb956710 (a profile id no catalogue entry has) still gets the
    wizard, with the release's limits."""
    _turn_everything_off(api)
    api.set_host(profile="ws2008+kb956710")
    window.bridge.refresh()
    wizard = window.host_actions.open_new_vm()
    assert wizard.limits.running_vms == 192  # type: ignore[attr-defined]
    wizard.close()


def test_a_virtual_server_machine_is_imported_from_the_host_menu(
        qtbot: QtBot, tmp_path: object, shown: object) -> None:
    """The console shows what the move from Virtual Server 2005 R2 changes before it copies
    (https://www.microsoftpressstore.com/articles/article.aspx?p=2231765&seqNum=3)."""
    from pathlib import Path

    from hvlab.engine.api import ManagementApi, populate_demo
    from hvlab.engine.resources import resources_dir
    from hvlab.gui.app import create_main_window

    assert isinstance(tmp_path, Path)
    api = ManagementApi(seed=0, storage_root=tmp_path / "lib")
    populate_demo(api, empty=True)
    window = create_main_window(api, clock="manual")
    qtbot.addWidget(window)
    sample = resources_dir() / "virtual-server" / "W2K3-WEB.vmc"
    window.storage.open_import_virtual_server(str(sample))
    recorder = shown
    assert recorder.confirmations == ["Import Virtual Server Machine"]  # type: ignore
    qtbot.waitUntil(lambda: "W2K3-WEB" in [v.name for v in api.vms()], timeout=30_000)
    assert api.vm("W2K3-WEB").config.network_adapters[0].legacy
    qtbot.waitUntil(lambda: "Virtual Server machine W2K3-WEB was imported"
                    in window.statusBar().currentMessage(), timeout=10_000)
    window.bridge.close()
    window.close()
