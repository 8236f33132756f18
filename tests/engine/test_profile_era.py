"""Host profiles keep to their era: words, capabilities, limits and options per release.

One test per rule; each docstring names the public source of the fact it checks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hvlab.engine.api import ManagementApi, open_library, populate_demo
from hvlab.engine.config import HardDrive, NetworkAdapter
from hvlab.engine.errors import (
    HvError,
    InvalidStateError,
    NotFoundError,
    OutOfMemoryError,
    ResourceLimitError,
    ValidationError,
)
from hvlab.engine.profiles import get_profile

from .helpers import make_api, new_vm


def test_2008_and_2008_r2_say_snapshot_and_virtual_network_manager() -> None:
    """Hyper-V Manager on Windows Server 2008 and 2008 R2 names "Snapshots" and the "Virtual
    Network Manager"; 2012 R2 renamed snapshots to checkpoints and has the "Virtual Switch
    Manager" (https://mikefrobbins.com/2012/08/14/hyper-v-live-merge-snapshot-feature-in-windows-server-2012/,
    https://learn.microsoft.com/windows-server/virtualization/hyper-v/get-started/create-a-virtual-switch-for-hyper-v-virtual-machines)."""
    for profile_id in ("ws2008", "hvs2008", "ws2008r2"):
        words = get_profile(profile_id).words
        assert (words.checkpoint, words.checkpoints) == ("Snapshot", "Snapshots")
        assert words.switch_manager == "Virtual Network Manager"
        assert words.say("Delete Checkpoint Subtree…") == "Delete Snapshot Subtree…"
        assert words.say("Take Checkpoint and Apply") == "Take Snapshot and Apply"
        assert words.say("Virtual Switch Manager…") == "Virtual Network Manager…"
        assert words.say("No virtual switch named 'X'") == "No virtual network named 'X'"
    for profile_id in ("ws2012r2", "ws2019"):
        words = get_profile(profile_id).words
        assert (words.checkpoint, words.switch_manager) == ("Checkpoint",
                                                            "Virtual Switch Manager")
        assert words.say("Delete Checkpoint Subtree…") == "Delete Checkpoint Subtree…"


def test_guest_services_integration_service_is_refused_before_2012_r2() -> None:
    """Guest services (vmicguestinterface, Copy-VMFile) arrived with Windows Server 2012 R2
    (https://learn.microsoft.com/virtualization/hyper-v-on-windows/reference/integration-services)."""
    services = {"shutdown", "heartbeat", "guest_services"}
    for profile_id in ("ws2008", "ws2008r2"):
        api = make_api(profile_id)
        with pytest.raises(ValidationError, match="no Guest services integration service") as err:
            new_vm(api, "VM", integration_services=services)
        assert err.value.field == "integration_services"
    api = make_api("ws2012r2")
    new_vm(api, "VM", integration_services=services)
    assert "guest_services" in api.vm("VM").config.integration_services


def test_storage_qos_is_refused_before_2012_r2() -> None:
    """Minimum and maximum IOPS per virtual hard disk (storage QoS) arrived with Windows
    Server 2012 R2 (https://learn.microsoft.com/powershell/module/hyper-v/set-vmharddiskdrive)."""
    drive = [HardDrive("IDE", 0, 0, "q.vhd", max_iops=800)]
    with pytest.raises(ValidationError, match="no storage Quality of Service") as err:
        make_api("ws2008r2").create_vm("VM", hard_drives=drive)
    assert err.value.field == "hard_drives"
    api = make_api("ws2012r2")
    api.create_vm("VM", hard_drives=drive)
    assert api.vm("VM").config.hard_drives[0].max_iops == 800


def test_bandwidth_management_is_refused_before_2012() -> None:
    """Minimum and maximum bandwidth of a network adapter arrived with Windows Server 2012
    (https://learn.microsoft.com/powershell/module/hyper-v/set-vmnetworkadapter)."""
    nic = [NetworkAdapter(max_mbit=100)]
    for profile_id in ("ws2008", "ws2008r2"):
        with pytest.raises(ValidationError, match="no bandwidth management") as err:
            new_vm(make_api(profile_id), "VM", network_adapters=nic)
        assert err.value.field == "network_adapters"
    api = make_api("ws2012r2")
    new_vm(api, "VM", network_adapters=nic)
    assert api.vm("VM").config.network_adapters[0].max_mbit == 100


def test_dynamic_memory_is_refused_before_2008_r2_sp1() -> None:
    """Dynamic Memory arrived with Windows Server 2008 R2 SP1
    (https://blogs.msdn.microsoft.com/virtual_pc_guy/2010/10/29/updates-to-dynamic-memory-ui-in-sp1-rc-part-1/)."""
    dynamic = {"dynamic_memory_enabled": True, "memory_minimum_mb": 512,
               "memory_maximum_mb": 4096}
    with pytest.raises(ValidationError, match="does not support Dynamic Memory"):
        new_vm(make_api("ws2008"), "VM", **dynamic)
    api = make_api("ws2008r2")  # SP1
    new_vm(api, "VM", **dynamic)
    assert api.vm("VM").config.dynamic_memory_enabled


def test_live_migration_exists_from_2008_r2_quick_migration_from_2008() -> None:
    """2008 moves a clustered VM by quick migration only (save, move, restore); live
    migration arrived with 2008 R2; the free Hyper-V Server 2008 has no clustering
    (http://technet.microsoft.com/en-us/library/ee405267%28WS.10%29.aspx,
    http://www.redcomm.com/sample/DOMIS/update/2008/10oct/1008lws_sb2.htm)."""
    ws2008, r2, free = (get_profile(p).features for p in ("ws2008", "ws2008r2", "hvs2008"))
    assert (ws2008.quick_migration, ws2008.live_migration) == (True, False)
    assert (r2.quick_migration, r2.live_migration) == (True, True)
    assert (free.failover_clustering, free.quick_migration) == (False, False)


def test_the_migration_facts_have_one_home() -> None:
    """Live migration exists exactly where the release's migration policy has pre-copy
    passes, Quick Migration where failover clustering does; a profile file that states
    either flag itself is refused, so the two can never disagree."""
    import json

    from hvlab.engine.profiles import load_profiles, profile_from_dict
    from hvlab.engine.resources import resources_dir

    for profile in load_profiles().values():
        assert profile.features.live_migration == (profile.migration.max_passes > 0)
        assert profile.features.live_migration == (profile.migration.simultaneous > 0)
        assert profile.features.quick_migration == profile.features.failover_clustering
    data = json.loads((resources_dir() / "profiles" / "ws2008.json").read_text())
    data["features"]["live_migration"] = True
    with pytest.raises(ValueError, match="derived from the 'migration' block"):
        profile_from_dict(data)


def _vm_with_a_deleted_snapshot(profile_id: str, tmp_path: Path) -> ManagementApi:
    api = ManagementApi(seed=0, storage_root=tmp_path)
    api.add_host("HOST", profile_id)
    new_vm(api, "VM")
    api.start("VM")
    api.advance(60)
    api.checkpoint("VM", "Before the update")
    api.advance(5)
    api.delete_checkpoint("VM", api.checkpoints("VM")[0].id)
    return api


def test_snapshot_merge_waits_until_the_vm_is_turned_off_on_2008_r2(tmp_path: Path) -> None:
    """Before Windows Server 2012 a deleted snapshot's .avhd is merged into its parent only
    when the VM is turned off; 2012 merges it while the VM runs ("live merge")
    (https://mikefrobbins.com/2012/08/14/hyper-v-live-merge-snapshot-feature-in-windows-server-2012/,
    https://qa.social.technet.microsoft.com/wiki/contents/articles/670.hyper-v-concepts-snapshots.aspx)."""
    api = _vm_with_a_deleted_snapshot("ws2008r2", tmp_path / "r2")
    assert api.checkpoints("VM") == []
    waiting = api.vm_disks("VM")[0]
    assert waiting.chain_length == 2 and waiting.path.endswith(".avhd")  # still differencing
    assert "merged when the virtual machine is turned off" in api.event_log()[-1].message
    assert "Snapshot 'Before the update'" in api.event_log()[-1].message
    api.turn_off("VM")
    api.advance(5)
    merged = api.vm_disks("VM")[0]
    assert merged.chain_length == 1 and merged.path.endswith(".vhd")  # merged at turn-off
    assert any("were merged now that it is turned off" in e.message for e in api.event_log())

    live = _vm_with_a_deleted_snapshot("ws2012r2", tmp_path / "r2012")
    assert live.vm("VM").state == "Running"
    assert live.vm_disks("VM")[0].chain_length == 1  # merged at once, while running


def test_2008_memory_error_has_the_eras_text_and_code() -> None:
    """Windows Server 2008 refuses a start for memory with "An error occurred while
    attempting to change the state of virtual machine X. X failed to initialize. Unable to
    allocate N Mb of RAM: Insufficient system resources exist to complete the requested
    service. (0x800705AA)"
    (https://learn.microsoft.com./de-de/archive/blogs/latam/erro-0x800705aa-ao-iniciar-uma-mquina-virtual-no-hyper-v);
    later releases say "Not enough memory in the system to start the virtual machine ...
    (0x8007000E)" (https://github.com/kubernetes/minikube/issues/18049)."""
    old = make_api("ws2008", ram_gb=8)
    new_vm(old, "BIG", memory_startup_mb=16384)
    with pytest.raises(OutOfMemoryError) as err:
        old.start("BIG")
    assert err.value.message == ("An error occurred while attempting to change the state of "
                                 "virtual machine BIG.")
    assert err.value.details[:2] == (
        "'BIG' failed to initialize.",
        "Unable to allocate 16384 Mb of RAM: Insufficient system resources exist to complete "
        "the requested service. (0x800705AA)")
    later = make_api("ws2012r2", ram_gb=8)
    new_vm(later, "BIG", memory_startup_mb=16384)
    with pytest.raises(OutOfMemoryError) as err:
        later.start("BIG")
    assert err.value.message == "'BIG' failed to start."
    assert "(0x8007000E)." in err.value.text and "0x800705AA" not in err.value.text


def test_kb956710_raises_the_2008_host_to_24_lps_and_192_running_vms() -> None:
    """Windows Server 2008 RTM supports 16 logical processors and 128 running VMs; with
    update KB956710 (for six-core Xeon 7400 hosts) 24 and 192
    (https://support.microsoft.com/kb/956710,
    http://technet.microsoft.com/en-us/library/cc816844(WS.10).aspx)."""
    big = {"sockets": 4, "cores_per_socket": 6, "ram_gb": 256}  # 24 cores
    rtm = make_api("ws2008", **big).host()
    assert (rtm.logical_processors, rtm.max_logical_processors, rtm.max_running_vms) == (
        16, 16, 128)
    api = make_api("ws2008+kb956710", **big)
    updated = api.host()
    assert updated.profile_name == "Windows Server 2008 (Hyper-V RTM) with KB956710"
    assert (updated.logical_processors, updated.max_logical_processors,
            updated.max_running_vms) == (24, 24, 192)
    for i in range(192):
        api.create_vm(f"VM{i:03}", memory_startup_mb=32)
        api.start(f"VM{i:03}")
    api.create_vm("ONE-MORE", memory_startup_mb=32)
    with pytest.raises(ResourceLimitError, match="runs at most 192 virtual machines"):
        api.start("ONE-MORE")


def test_server_core_option_keeps_a_smaller_root_reserve_and_is_managed_remotely() -> None:
    """A Server Core root partition has no local shell and is managed remotely; its footprint
    is smaller (https://learn.microsoft.com/windows-server/administration/server-core/what-is-server-core;
    root reserve 384 MB + 30 MB per GB on a full installation:
    https://github.com/MicrosoftDocs/Virtualization-Documentation/tree/live/hyperv-tools/root-memory-reserve)."""
    full = make_api("ws2008", ram_gb=32).host()
    core = make_api("ws2008+core", ram_gb=32).host()
    assert (full.installation, full.remote_management_only) == ("Full", False)
    assert (core.installation, core.remote_management_only) == ("Server Core", True)
    assert full.memory_root_mb == 384 + 30 * 32
    assert core.memory_root_mb == 256 + 30 * 32
    assert core.memory_available_mb - full.memory_available_mb == 128


def test_a_profile_option_the_release_lacks_is_refused_by_name() -> None:
    """KB956710 is an update of Windows Server 2008 only (https://support.microsoft.com/kb/956710)."""
    with pytest.raises(NotFoundError, match="'ws2012r2' has no option 'kb956710'") as err:
        get_profile("ws2012r2+kb956710")
    assert err.value.details == ("Its options: core.",)
    assert get_profile("ws2008+core+kb956710").id == "ws2008+kb956710+core"


def test_switching_a_lab_between_2008_and_2012_r2_changes_words_and_features() -> None:
    """The same lab on another release offers that release's words and features; its VMs
    must be turned off and fit the release (Dynamic Memory needs 2008 R2 SP1:
    https://blogs.msdn.microsoft.com/virtual_pc_guy/2010/10/29/updates-to-dynamic-memory-ui-in-sp1-rc-part-1/)."""
    api = ManagementApi(seed=0)
    populate_demo(api, profile="ws2008")
    assert api.host().profile_id == "ws2008"
    assert api.host_profile().words.checkpoints == "Snapshots"
    with pytest.raises(InvalidStateError, match="cannot change to Windows Server 2012 R2"):
        api.set_host(profile="ws2012r2")  # demo VMs are running
    for vm in api.vms():
        if vm.state != "Off":
            api.turn_off(vm.id)
    api.advance(5)
    api.set_host(profile="ws2012r2")
    assert api.host().profile_name == "Windows Server 2012 R2"
    assert api.host_profile().words.checkpoints == "Checkpoints"
    api.set_vm("XP-CLIENT", dynamic_memory_enabled=True, memory_minimum_mb=256,
               memory_maximum_mb=1024)
    with pytest.raises(ValidationError, match=r"'XP-CLIENT': .* does not support Dynamic"):
        api.set_host(profile="ws2008")
    assert api.host().profile_id == "ws2012r2"  # refused: nothing changed


def test_a_library_made_on_a_profile_with_an_option_reopens_on_it(tmp_path: Path) -> None:
    """`hvctl --profile ws2008+kb956710` makes the lab on Windows Server 2008 with KB956710
    (https://support.microsoft.com/kb/956710); the choice survives a reopen."""
    with open_library(tmp_path / "lib", profile="ws2008+kb956710", empty=True) as lib:
        assert lib.api.host().max_running_vms == 192
    with open_library(tmp_path / "lib") as lib:
        assert lib.api.host().profile_id == "ws2008+kb956710"
        assert lib.api.host().max_logical_processors == 24
    with pytest.raises(NotFoundError, match="No host profile named 'ws2003'"):
        open_library(tmp_path / "other", profile="ws2003")
    assert not (tmp_path / "other").exists()


def test_hypervisorlaunchtype_off_keeps_the_role_but_no_vm_starts() -> None:
    """With ``bcdedit /set hypervisorlaunchtype off`` the role stays installed but the
    hypervisor does not launch at the next boot: System event 5, "Hyper-V launch aborted due
    to auto-launch being disabled in the registry."
    (https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-server-2008-R2-and-2008/dd581788(v=ws.10)),
    and a start fails because the hypervisor is not running
    (https://blogs.technet.microsoft.com/virtualization/2009/09/28/how-to-fix-hypervisor-not-running/)."""
    api = make_api("ws2008")
    new_vm(api, "VM")
    host = api.set_host(hypervisor_launch_type="off")
    assert host.pending_changes == ("hypervisorlaunchtype Off",)
    assert host.hypervisor_running  # applies at the restart
    api.wait(api.reboot_host())
    host = api.host()
    assert (host.hypervisor_running, host.hyper_v_role_installed,
            host.hypervisor_launch_type) == (False, True, "Off")
    event = api.event_log()[-1]
    assert (event.event_id, event.message) == (
        5, "Hyper-V launch aborted due to auto-launch being disabled in the registry.")
    with pytest.raises(HvError) as err:
        api.start("VM")
    assert err.value.details[0] == ("The virtual machine could not be started because the "
                                    "hypervisor is not running.")
    assert "hypervisorlaunchtype Off" in err.value.text
    api.set_host(hypervisor_launch_type="Auto")
    api.wait(api.reboot_host())
    api.start("VM")
    with pytest.raises(ValidationError, match="must be Auto or Off"):
        api.set_host(hypervisor_launch_type="sometimes")


def test_installing_the_hyper_v_role_needs_a_restart_that_puts_windows_on_the_hypervisor(
) -> None:
    """Installing the Hyper-V role restarts the server: the hypervisor then boots first and
    the existing Windows installation becomes the root (parent) partition on it
    (https://learn.microsoft.com/windows-server/virtualization/hyper-v/get-started/install-the-hyper-v-role-on-windows-server)."""
    api = make_api("ws2008")
    new_vm(api, "VM")
    api.set_host(hyper_v_role=False)
    api.wait(api.reboot_host())
    assert not api.host().hypervisor_running and not api.host().hyper_v_role_installed
    with pytest.raises(HvError, match="The Hyper-V role is not installed"):
        api.start("VM")
    host = api.set_host(hyper_v_role=True)
    assert host.pending_changes == ("Hyper-V role installed",)
    assert not host.hypervisor_running  # not before the restart
    api.wait(api.reboot_host())
    assert api.host().hypervisor_running and api.host().memory_hypervisor_mb == 300
    messages = [e.message for e in api.event_log()[-2:]]
    assert "runs on it as the root (parent) partition" in messages[0]
    api.start("VM")


def test_virtual_server_2005_vm_is_rebuilt_with_emulated_devices_and_no_is(
        tmp_path: Path) -> None:
    """Hyper-V has no importer for Virtual Server 2005 R2 machines: the .vhd is used
    unchanged, a SCSI boot disk must move to IDE (Hyper-V's SCSI is synthetic and cannot
    boot) and Virtual Machine Additions give way to integration services
    (https://www.microsoftpressstore.com/articles/article.aspx?p=2231765&seqNum=3)."""
    from hvlab.engine.resources import resources_dir

    sample = resources_dir() / "virtual-server" / "W2K3-WEB.vmc"
    api = ManagementApi(seed=0, storage_root=tmp_path / "lib")
    populate_demo(api, empty=True, profile="ws2008")
    changes = api.virtual_server_changes(str(sample))
    assert any("SCSI adapter" in c and "IDE controller 0, location 0" in c for c in changes)
    assert any("legacy network adapter" in c for c in changes)
    assert any("Virtual Machine Additions do not work on Hyper-V" in c for c in changes)
    job = api.wait(api.import_virtual_server(str(sample)))
    assert job.state.value == "Completed", job.error
    vm = api.vm("W2K3-WEB")
    cfg = vm.config
    assert (cfg.memory_startup_mb, cfg.guest_os, cfg.guest_is_installed) == (
        512, "ws2003sp2-x86", False)
    assert [(d.controller, d.controller_number, d.location, d.bootable)
            for d in cfg.hard_drives] == [("IDE", 0, 0, True)]
    assert [(n.legacy, n.switch) for n in cfg.network_adapters] == [(True, "External")]
    disk = api.vm_disks("W2K3-WEB")[0]
    assert disk.exists and "imports" in disk.path and disk.maximum_size // 1024**3 == 8
    api.start("W2K3-WEB")
    api.advance(120)
    assert api.vm("W2K3-WEB").heartbeat != "OK"  # no integration services yet
    assert sum("from Virtual Server 2005 R2" in e.message for e in api.event_log()) == len(
        changes)
    with pytest.raises(ValidationError, match="already exists"):
        api.virtual_server_changes(str(sample))
    broken = tmp_path / "broken.vmc"
    broken.write_text("<preferences><hardware/></preferences>", encoding="utf-8")
    with pytest.raises(ValidationError, match="gives no memory size"):
        api.import_virtual_server(str(broken))
