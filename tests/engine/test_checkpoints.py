"""Real disks, checkpoints, saved state files, export and import."""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hvlab.engine.api import ManagementApi
from hvlab.engine.api import storage as storage_api
from hvlab.engine.config import HardDrive
from hvlab.engine.errors import HvError, InvalidStateError, ValidationError
from hvlab.engine.lifecycle import Operation
from hvlab.engine.storage import inspect_disk

SECTOR = 512


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ManagementApi]:
    api = ManagementApi(seed=3, storage_root=tmp_path / "lib")
    api.add_host("HOST", "ws2008r2")
    yield api
    api.close()


def new(api: ManagementApi, name: str = "VM") -> str:
    return api.create_vm(name, hard_drives=[HardDrive("IDE", 0, 0, f"{name}.vhd")]).id


def block(tag: int, sectors: int = 8) -> bytes:
    return bytes([tag % 256]) * (SECTOR * sectors)


def test_a_new_vm_gets_a_real_dynamic_disk_with_its_os(api: ManagementApi) -> None:
    new(api)
    (disk,) = api.vm_disks("VM")
    assert disk.exists and disk.maximum_size >= 127 * 1024**3
    assert disk.file_size < 16 * 1024**2, "a new dynamic disk is small on disk"
    info = api.inspect_vhd(disk.path)
    assert info.blocks_allocated == 3  # boot, system files, page file
    assert api.guest_read("VM", "ide0:0", 0, 1) != bytes(SECTOR)


def test_workloads_really_write_and_disks_grow(api: ManagementApi) -> None:
    new(api)
    api.set_vm("VM", workload="file-server")
    size0 = api.vm_disks("VM")[0].file_size
    api.wait(api.start("VM"))
    api.advance(400)
    assert api.vm_disks("VM")[0].file_size > size0


def test_checkpoint_apply_and_delete_keep_the_right_bytes(api: ManagementApi) -> None:
    new(api)
    api.guest_write("VM", "ide0:0", 4096, block(0xA))
    api.checkpoint("VM", "A")
    (cp,) = api.checkpoints("VM")
    assert api.current_checkpoint("VM") == cp.id
    disk = api.vm_disks("VM")[0]
    assert disk.path.endswith(".avhd") and disk.chain_length == 2
    assert inspect_disk(disk.path).parent_path is not None
    api.guest_write("VM", "ide0:0", 4096, block(0xB))
    api.apply_checkpoint("VM", cp.id)
    assert api.guest_read("VM", "ide0:0", 4096, 8) == block(0xA)
    api.guest_write("VM", "ide0:0", 4096, block(0xC))
    api.delete_checkpoint("VM", cp.id)
    assert api.checkpoints("VM") == [] and api.current_checkpoint("VM") is None
    assert api.guest_read("VM", "ide0:0", 4096, 8) == block(0xC), "data after it is kept"
    disk = api.vm_disks("VM")[0]
    assert disk.path == disk.base_path and disk.chain_length == 1, "the chain was merged"
    leftovers = list((api.lab.storage_root / "vms").rglob("*.avhd"))
    assert leftovers == []


def test_checkpoint_of_a_running_vm_captures_its_saved_state(api: ManagementApi) -> None:
    new(api)
    api.wait(api.start("VM"))
    api.advance(90)
    api.checkpoint("VM", "live")
    api.advance(30)
    (cp,) = api.checkpoints("VM")
    assert cp.has_saved_state
    api.apply_checkpoint("VM", cp.id)
    assert api.vm("VM").state == "Saved"
    api.wait(api.start("VM"))
    assert api.vm("VM").guest_phase == "Running"


def test_ten_checkpoints_match_a_shadow_model(api: ManagementApi) -> None:
    new(api)
    rng = random.Random(11)
    shadow: dict[int, bytes] = {}  # lba -> 4 KiB the guest sees now
    states: dict[str, dict[int, bytes]] = {}  # checkpoint id -> shadow at that time
    lbas = [8 * i for i in range(0, 4096, 37)]
    for step in range(60):
        roll = rng.random()
        cps = api.checkpoints("VM")
        if roll < 0.45:
            lba = rng.choice(lbas)
            data = bytes([rng.randrange(256)]) * 4096
            api.guest_write("VM", "ide0:0", 5000 * 8 + lba, data)
            shadow[lba] = data
        elif roll < 0.65 and len(cps) < 10:
            api.checkpoint("VM", f"c{step}")
            states[api.checkpoints("VM")[-1].id] = dict(shadow)
        elif roll < 0.8 and cps:
            cp = rng.choice(cps)
            api.apply_checkpoint("VM", cp.id)
            shadow = dict(states[cp.id])
        elif cps:
            cp = rng.choice(cps)
            api.delete_checkpoint("VM", cp.id, subtree=rng.random() < 0.3)
            alive = {c.id for c in api.checkpoints("VM")}
            states = {k: v for k, v in states.items() if k in alive}
        for lba in lbas:
            expect = shadow.get(lba, bytes(4096))
            assert api.guest_read("VM", "ide0:0", 5000 * 8 + lba, 8) == expect, (step, lba)
    for cp in api.checkpoints("VM"):
        api.apply_checkpoint("VM", cp.id)
        for lba in lbas:
            expect = states[cp.id].get(lba, bytes(4096))
            assert api.guest_read("VM", "ide0:0", 5000 * 8 + lba, 8) == expect


def test_at_most_50_checkpoints(api: ManagementApi) -> None:
    api.create_vm("NoDisk")
    for i in range(50):
        assert api.available_operations("NoDisk")[Operation.CHECKPOINT] is None
        api.checkpoint("NoDisk", f"c{i}")
    reason = api.available_operations("NoDisk")[Operation.CHECKPOINT]
    assert reason == "A virtual machine can have at most 50 checkpoints."
    with pytest.raises(HvError, match="at most 50 checkpoints"):
        api.checkpoint("NoDisk")


def test_checkpoint_and_export_are_listed_exactly_when_the_engine_takes_them(
        api: ManagementApi, tmp_path: Path) -> None:
    """available_operations is what the console enables Checkpoint and Export… from."""
    new(api)
    ops = api.available_operations("VM")
    assert ops[Operation.CHECKPOINT] is None and ops[Operation.EXPORT] is None  # Off
    api.start("VM")  # Starting: neither
    ops = api.available_operations("VM")
    assert ops[Operation.CHECKPOINT] and ops[Operation.EXPORT]
    with pytest.raises(InvalidStateError, match="Cannot create a checkpoint"):
        api.checkpoint("VM")
    with pytest.raises(InvalidStateError, match="cannot be exported"):
        api.export_vm("VM", str(tmp_path / "starting"))
    api.advance(95)  # Running: a checkpoint yes, an export no (2008 R2 exports Off or Saved)
    ops = api.available_operations("VM")
    assert ops[Operation.CHECKPOINT] is None
    assert ops[Operation.EXPORT] == ("Export is not available while the virtual machine is "
                                     "Running (it needs Off or Saved).")
    api.checkpoint("VM", "running")
    with pytest.raises(InvalidStateError, match="cannot be exported") as err:
        api.export_vm("VM", str(tmp_path / "running"))
    assert ops[Operation.EXPORT] in str(err.value)
    assert not (tmp_path / "running").exists()
    api.wait(api.save("VM"))
    assert api.available_operations("VM")[Operation.EXPORT] is None
    assert api.wait(api.export_vm("VM", str(tmp_path / "saved"))).error is None


def test_saved_state_file_round_trips_the_memory_record(api: ManagementApi) -> None:
    new(api)
    api.wait(api.start("VM"))
    api.advance(95)
    record = api.lab.find_vm(api.vm("VM").id)[1].memory_record
    assert record is not None and record["runs"], "the guest dirtied memory"
    api.wait(api.save("VM"))
    vsv = api.lab.storage_root / "vms" / api.vm("VM").id / f"{api.vm('VM').id}.vsv"
    assert vsv.exists()
    api.wait(api.start("VM"))
    assert api.lab.find_vm(api.vm("VM").id)[1].memory_record == record
    assert not vsv.exists()


def _saved_after_five_seconds(api: ManagementApi) -> Path:
    """VM, run for five seconds and saved: its saved-state file."""
    new(api)
    api.wait(api.start("VM"))
    api.advance(5)
    api.wait(api.save("VM"))
    return next((api.lab.storage_root / "vms").rglob("*.vsv"))


def test_a_corrupt_saved_state_gives_a_clear_error(api: ManagementApi) -> None:
    vsv = _saved_after_five_seconds(api)
    vsv.write_text(vsv.read_text()[:-20])
    with pytest.raises(InvalidStateError) as err:
        api.start("VM")
    assert "is corrupt" in str(err.value) and "Delete Saved State" in str(err.value)
    assert api.vm("VM").state == "Saved"
    api.delete_saved_state("VM")
    api.wait(api.start("VM"))
    assert api.vm("VM").state == "Running"


def _rewrite_saved_state(vsv: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the record inside a saved-state file and seal it with a matching checksum."""
    body = json.loads(json.loads(vsv.read_text())["body"])
    change(body["state"])
    text = json.dumps(body)
    vsv.write_text(json.dumps({"sha256": hashlib.sha256(text.encode()).hexdigest(),
                               "body": text}))


def test_a_well_sealed_but_wrong_saved_state_is_refused_by_field(api: ManagementApi) -> None:
    vsv = _saved_after_five_seconds(api)
    _rewrite_saved_state(vsv, lambda state: state.update(phase=99))
    with pytest.raises(InvalidStateError) as err:
        api.start("VM")
    assert "no valid guest phase" in str(err.value)
    assert api.vm("VM").state == "Saved"


def test_a_saved_state_from_before_boot_numbers_restores_into_the_current_boot(
        api: ManagementApi) -> None:
    vsv = _saved_after_five_seconds(api)
    boot = api.lab.find_vm(api.vm("VM").id)[1].boot_number
    _rewrite_saved_state(vsv, lambda state: state.pop("boot_number"))
    api.wait(api.start("VM"))
    assert api.vm("VM").state == "Running"
    assert api.lab.find_vm(api.vm("VM").id)[1].boot_number == boot


def test_disk_jobs_refuse_disks_in_use_or_with_checkpoints(api: ManagementApi) -> None:
    new(api)
    path = api.vm_disks("VM")[0].path
    api.wait(api.start("VM"))
    with pytest.raises(InvalidStateError, match="in use by the virtual machine 'VM'"):
        api.compact_vhd(path)
    api.wait(api.turn_off("VM"))
    api.checkpoint("VM")
    with pytest.raises(InvalidStateError, match="part of the checkpoints"):
        api.expand_vhd(path, 200 * 1024**3)


def test_vhd_jobs_run_off_thread_with_progress_and_cancel(
        api: ManagementApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = api.new_vhd(str(tmp_path / "d.vhd"), 1024**3)
    done = api.wait(job)
    assert done.state.value == "Completed" and (tmp_path / "d.vhd").exists()

    # Hold the fixed disk's writer at its first progress report until Cancel is requested,
    # so that Cancel always arrives while the file is half written.
    halfway = threading.Event()
    real_new_disk = storage_api.vhds.new_disk

    def held(*args: Any, progress: Callable[[float], None], cancelled: Callable[[], bool],
             **kwargs: Any) -> Any:
        def report(percent: float) -> None:
            progress(percent)
            if 1 <= percent < 100 and not halfway.is_set():
                halfway.set()
                deadline = time.monotonic() + 30
                while not cancelled() and time.monotonic() < deadline:
                    time.sleep(0.001)
        return real_new_disk(*args, progress=report, cancelled=cancelled, **kwargs)

    monkeypatch.setattr(storage_api.vhds, "new_disk", held)
    job = api.new_vhd(str(tmp_path / "f.vhd"), 2 * 1024**3, disk_type="fixed")
    assert halfway.wait(30)
    api.poll()  # progress is read on the engine's thread
    running = api.job(job.id)
    assert running.state.value == "Running" and 0 < running.percent < 100, running
    assert len(list(tmp_path.iterdir())) == 2  # d.vhd, and f.vhd being written
    cancelled = api.cancel_job(job.id)
    assert cancelled.state.value == "Cancelled", cancelled
    assert [f.name for f in tmp_path.iterdir()] == ["d.vhd"], "a cancelled creation leaves nothing"
    with pytest.raises(ValidationError, match="already exists"):
        api.new_vhd(str(tmp_path / "d.vhd"), 1024**3)
    assert api.wait(api.expand_vhd(str(tmp_path / "d.vhd"), 2 * 1024**3)).error is None
    assert api.inspect_vhd(str(tmp_path / "d.vhd")).maximum_size >= 2 * 1024**3


def test_export_and_import_as_a_copy(api: ManagementApi, tmp_path: Path) -> None:
    new(api)
    api.guest_write("VM", "ide0:0", 4096, block(0x5A))
    api.checkpoint("VM", "before")
    api.guest_write("VM", "ide0:0", 4096, block(0x6B))
    assert api.wait(api.export_vm("VM", str(tmp_path / "out"))).error is None
    exported = tmp_path / "out" / "VM"
    assert (exported / "Virtual Machines").is_dir() and list(exported.rglob("*.avhd"))
    done = api.wait(api.import_vm(str(exported), "copy"))
    assert done.error is None, done.error
    copy = next(v for v in api.vms() if v.name == "VM (2)")
    assert copy.id != api.vm("VM").id
    assert api.guest_read(copy.id, "ide0:0", 4096, 8) == block(0x6B)
    (cp,) = api.checkpoints(copy.id)
    api.apply_checkpoint(copy.id, cp.id)
    assert api.guest_read(copy.id, "ide0:0", 4096, 8) == block(0x5A)
    assert api.guest_read("VM", "ide0:0", 4096, 8) == block(0x6B), "the original is intact"


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "Virtual Hard Disks/../../x",
                                 "C:/Windows/x.vhd"])
def test_import_refuses_paths_outside_the_folder_and_writes_nothing(
        api: ManagementApi, tmp_path: Path, bad: str) -> None:
    new(api)
    api.wait(api.export_vm("VM", str(tmp_path / "out")))
    exported = tmp_path / "out" / "VM"
    manifest_path = next((exported / "Virtual Machines").glob("*.json"))
    manifest = json.loads(manifest_path.read_text())
    manifest["config"]["hard_drives"][0]["path"] = bad
    manifest_path.write_text(json.dumps(manifest))
    before = sorted(p for p in api.lab.storage_root.rglob("*"))
    with pytest.raises(ValidationError, match="outside the import folder"):
        api.import_vm(str(exported), "copy")
    assert sorted(p for p in api.lab.storage_root.rglob("*")) == before
    assert [v.name for v in api.vms()] == ["VM"]


def test_import_reports_unknown_fields(api: ManagementApi, tmp_path: Path) -> None:
    new(api)
    api.wait(api.export_vm("VM", str(tmp_path / "out")))
    manifest_path = next((tmp_path / "out" / "VM" / "Virtual Machines").glob("*.json"))
    manifest = json.loads(manifest_path.read_text())
    manifest["config"]["warp_drive"] = True
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ValidationError, match="warp_drive"):
        api.import_vm(str(tmp_path / "out" / "VM"), "copy")
    assert os.path.exists(tmp_path / "out" / "VM")


def test_a_library_commits_after_each_checkpoint_command(tmp_path: Path) -> None:
    from hvlab.engine.api import open_library

    lib = open_library(tmp_path / "lab", program="test", empty=True)
    try:
        api = lib.api
        api.create_vm("VM", hard_drives=[HardDrive("IDE", 0, 0, "VM.vhd")])
        before = lib.commit_number
        api.checkpoint("VM", "one")
        assert lib.commit_number > before, "durable when the command returns"
        before = lib.commit_number
        api.rename_checkpoint("VM", "one", "renamed")
        assert lib.commit_number > before
    finally:
        lib.close()
    reopened = open_library(tmp_path / "lab", program="test")
    try:
        assert [c.name for c in reopened.api.checkpoints("VM")] == ["renamed"]
        assert reopened.api.vm_disks("VM")[0].chain_length == 2
    finally:
        reopened.close()
