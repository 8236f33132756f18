"""The architecture view: it follows the engine tick by tick, animates I/O, selects VMs and
exports PNG and SVG.

The clock is manual: each ``bridge.step`` is one tick, one read of the engine and one update
of the scene.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.architecture import ArchitectureWindow
from hvlab.gui.architecture import window as arch_window
from hvlab.gui.architecture.model import HostState, layout, read_host
from hvlab.gui.architecture.screenshots import build_demo
from hvlab.gui.main_window import MainWindow
from tests.gui.conftest import DialogRecorder


def _open(qtbot: QtBot, window: MainWindow) -> ArchitectureWindow:
    window.host_actions.architecture_action.trigger()  # View ▸ Architecture
    arch = window.findChild(ArchitectureWindow, ids.ARCH_WINDOW.object_name)
    assert isinstance(arch, ArchitectureWindow)
    qtbot.waitExposed(arch)
    return arch


def _vm(api: ManagementApi, name: str) -> str:
    return api.vm(name).id


def test_view_menu_opens_one_window(qtbot: QtBot, window: MainWindow) -> None:
    assert window.host_actions.architecture_action in window.menus.view_menu.actions()
    arch = _open(qtbot, window)
    # A second request raises the same window.
    assert window.host_actions.open_architecture() is arch
    assert arch.windowTitle() == "LAB-HOST-01 - Hyper-V Architecture"


def test_partitions_follow_start_and_stop(qtbot: QtBot, window: MainWindow,
                                          shown: DialogRecorder) -> None:
    api = window.bridge.api
    arch = _open(qtbot, window)
    scene = arch.scene
    running = {_vm(api, n) for n in ("W2K8-DC01", "W2K3-APP01", "NT4-LEGACY", "SLES10-WEB01")}
    assert {k.removeprefix("child:") for k in scene.partition_keys()} == running
    assert scene.box_item("root") is not None and scene.box_item("hypervisor") is not None
    assert scene.box_item("vmms") is not None
    for vm in running:  # one worker process per running VM
        assert scene.box_item(f"worker:{vm}") is not None
    root_item = scene.box_item("root")

    xp = _vm(api, "XP-CLIENT")
    api.start(xp)
    window.bridge.step(1)
    assert f"child:{xp}" in scene.partition_keys()
    assert scene.box_item(f"worker:{xp}") is not None
    assert scene.box_item("root") is root_item  # items are reused, not rebuilt

    nt4 = _vm(api, "NT4-LEGACY")
    api.turn_off(nt4)
    window.bridge.step(2)
    assert f"child:{nt4}" not in scene.partition_keys()
    assert scene.box_item(f"worker:{nt4}") is None
    assert scene.box_item(f"child:{nt4}:vsc") is None
    assert arch.diagram is not None
    assert [w.key for w in arch.diagram.wires if nt4 in w.key] == []
    assert shown.errors == []


def test_channels_open_when_integration_services_load(qtbot: QtBot,
                                                     window: MainWindow) -> None:
    api = window.bridge.api
    arch = _open(qtbot, window)
    w2k3, w2k8 = _vm(api, "W2K3-APP01"), _vm(api, "W2K8-DC01")
    assert arch.diagram is not None
    assert arch.diagram.box(f"child:{w2k3}:vsc").title == "No VSCs"
    assert arch.diagram.box(f"child:{w2k8}:vsc").title == "VSCs"
    assert arch.diagram.wire(f"channel:{w2k3}:storage").style == "channel-offered"
    assert arch.diagram.wire(f"channel:{w2k8}:storage").style == "channel-open"
    assert arch.diagram.box(f"child:{w2k8}:enl").style == "enlightened"
    assert arch.diagram.box(f"child:{w2k3}:enl").style == "muted-box"


def test_emulated_vs_synthetic_demo_shows_rates(qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    build_demo(api, settle_seconds=60)
    window.bridge.step(1)
    arch = _open(qtbot, window)
    window.bridge.step(1)
    nt4, w2k8 = _vm(api, "NT4-LEGACY"), _vm(api, "W2K8-DC01")
    diagram = arch.diagram
    assert diagram is not None
    emulated = f"io:{nt4}:emulated:network"
    synthetic = f"io:{w2k8}:synthetic:network"
    assert diagram.active_paths[emulated].endswith("Mbit/s")
    assert diagram.active_paths[synthetic].endswith("Mbit/s")
    assert diagram.active_paths[f"io:{w2k8}:synthetic:storage"].endswith("IOPS")
    # The legacy adapter's request bounces through the hypervisor and the worker process.
    emu = diagram.wire(emulated)
    hv = diagram.box("hypervisor")
    worker = diagram.box(f"worker:{nt4}")
    assert any(hv.y <= y <= hv.y + hv.h for _x, y in emu.points)
    assert any(y == worker.y + worker.h for _x, y in emu.points)
    # The synthetic one goes through VMBus and NetVSP, never into the hypervisor band.
    syn = diagram.wire(synthetic)
    bus, vsp = diagram.box("vmbus"), diagram.box("vsp:network")
    assert any(bus.y <= y <= bus.y + bus.h for _x, y in syn.points)
    assert any(vsp.x <= x <= vsp.x + vsp.w for x, _y in syn.points)
    assert not any(hv.y <= y <= hv.y + hv.h for _x, y in syn.points)
    # Rates are written on the paths, and the worker process shows what emulation costs.
    label = arch.scene.label_item(f"rate:{emulated}")
    assert label is not None and label.text.text().startswith("net ") and "Mbit/s" in \
        label.text.text()
    assert arch.scene.label_item(f"intercepts:{nt4}") is not None
    assert diagram.box(f"worker:{nt4}").style == "worker-busy"
    # The dots move one step per tick.
    item = arch.scene.wire_item(emulated)
    assert item is not None and item.dots
    before = [d.pos() for d in item.dots]
    window.bridge.step(1)
    assert [d.pos() for d in item.dots] != before


def test_click_a_partition_selects_its_vm(qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    arch = _open(qtbot, window)
    nt4 = _vm(api, "NT4-LEGACY")
    box = arch.scene.box_item(f"child:{nt4}:apps")
    assert box is not None
    centre = box.sceneBoundingRect().center()
    pos = arch.view.mapFromScene(centre)
    with qtbot.waitSignal(arch.vm_selected) as blocker:
        qtbot.mouseClick(arch.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [nt4]
    assert window.selected_vm_ids() == [nt4]


def test_export_png_and_svg(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    arch = _open(qtbot, window)
    png = arch.export_png(tmp_path / "arch.png")
    image = QImage(str(png))
    assert not image.isNull()
    rect = arch.scene.sceneRect()
    assert (image.width(), image.height()) == (round(rect.width() * 2),
                                               round(rect.height() * 2))
    svg = arch.export_svg(tmp_path / "arch.svg")
    assert svg.stat().st_size > 10_000
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = svg.read_text(encoding="utf-8")
    assert "LAB-HOST-01" in text and "NT4-LEGACY" in text and "VMBus" in text


def test_one_read_per_tick_and_none_while_hidden(qtbot: QtBot, window: MainWindow,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    arch = _open(qtbot, window)
    reads: list[HostState] = []
    real = arch_window.read_host

    def counting(*args: object, **kwargs: object) -> HostState:
        reads.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return reads[-1]

    monkeypatch.setattr(arch_window, "read_host", counting)
    window.bridge.step(1)
    assert len(reads) == 1
    arch.hide()
    window.bridge.step(1)
    window.bridge.step(1)
    assert len(reads) == 1


def test_layout_without_children_and_without_hypervisor(api: ManagementApi) -> None:
    for vm in api.vms():
        if vm.state == "Running":
            api.turn_off(vm.id)
    api.advance(5)
    empty = layout(read_host(api, None))
    assert empty.children == ()
    assert empty.box("no-children").style == "placeholder"
    api.set_host(virtualization_enabled=False)
    api.reboot_host()
    api.advance(300)
    down = layout(read_host(api, None))
    assert down.box("hypervisor").style == "warning"
    text = next(lb.text for lb in down.labels if lb.key == "hypervisor:text")
    assert text.startswith("not running")
