"""The Virtual Switch Manager's pending edits for one host, and how Apply sends them.

The dialog (:mod:`hvlab.gui.switch_manager`) shows drafts: the engine's switches with the user's
edits, switches not created yet, and removed ones kept until Apply. :class:`SwitchEdits`
holds them with what the engine had when they were read, works out what Apply would send
(:class:`PendingEdits`), and sends it through the bridge: removals, then new switches, then
changes, then the MAC address range. The engine checks every field; a refusal stops Apply
at that step and says which draft it was about (:class:`ApplyRefused`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hvlab.engine.api import HvError

if TYPE_CHECKING:
    from hvlab.engine.api import SwitchInfoView
    from hvlab.gui.bridge import Bridge

TYPES = ("External", "Internal", "Private")
NEW_SWITCH_NAME = "New Virtual Switch"


@dataclass
class SwitchDraft:
    """One switch as the dialog shows it: the engine's switch with the user's edits."""

    original: str | None  # its name in the engine; None for a switch not created yet
    name: str
    type: str
    nic: str | None
    allow_management_os: bool
    vlan_enabled: bool
    vlan_id: int
    notes: str
    adapters: tuple[str, ...] = ()
    removed: bool = False

    @staticmethod
    def of(view: SwitchInfoView) -> SwitchDraft:
        return SwitchDraft(view.name, view.name, view.type, view.nic,
                           view.allow_management_os, view.management_vlan_id > 0,
                           view.management_vlan_id or 1, view.notes, tuple(view.adapters))

    @property
    def vlan(self) -> int:
        """The VLAN id the engine stores (0: none)."""
        return self.vlan_id if self.vlan_enabled else 0

    def fields(self) -> dict[str, object]:
        return {"name": self.name, "switch_type": self.type,
                "nic": self.nic if self.type == "External" else None,
                "allow_management_os": self.allow_management_os,
                "management_vlan_id": self.vlan, "notes": self.notes}

    def subtitle(self) -> str:
        if self.type == "External":
            return self.nic or "External"
        return "Internal only" if self.type == "Internal" else "Private virtual switch"


@dataclass
class PendingEdits:
    """What Apply would send, in the order it is sent."""

    remove: list[SwitchDraft] = field(default_factory=list)
    create: list[SwitchDraft] = field(default_factory=list)
    change: list[tuple[SwitchDraft, dict[str, object]]] = field(default_factory=list)
    mac: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.remove or self.create or self.change or self.mac)

    def touches_external(self, base: dict[str, SwitchInfoView]) -> bool:
        """Whether any pending edit affects an external switch (before or after)."""
        for d in self.remove:
            if d.original in base and base[d.original].type == "External":
                return True
        if any(d.type == "External" for d in self.create):
            return True
        for d, _changes in self.change:
            if d.type == "External" or base[str(d.original)].type == "External":
                return True
        return False


class ApplyRefused(Exception):
    """The engine refused one step of Apply: ``draft`` is the switch it was about (None
    for the MAC address range), ``step`` one of "remove", "create", "change", "mac"."""

    def __init__(self, error: HvError, draft: SwitchDraft | None, step: str) -> None:
        super().__init__(error.message)
        self.error, self.draft, self.step = error, draft, step


class SwitchEdits:
    """The drafts of one host's switches and its MAC range, against the engine's."""

    def __init__(self, bridge: Bridge, host_id: str) -> None:
        self._bridge = bridge
        self.host_id = host_id
        self.nics: tuple[str, ...] = ()
        self.base: dict[str, SwitchInfoView] = {}
        self.drafts: list[SwitchDraft] = []
        self.mac_base = ("", "")
        self.reload()

    def reload(self) -> None:
        """Read the switches and the MAC range from the engine, dropping every edit."""
        api = self._bridge.api
        self.base = {s.name: s for s in api.switches(self.host_id)}
        self.drafts = [SwitchDraft.of(s) for s in self.base.values()]
        info = api.host(self.host_id)
        self.nics = info.nics
        self.mac_base = (info.mac_minimum, info.mac_maximum)

    def shown(self) -> list[SwitchDraft]:
        """The drafts the list shows (removed ones are not)."""
        return [d for d in self.drafts if not d.removed]

    def free_nic(self, draft: SwitchDraft | None = None) -> str | None:
        """The first host NIC no other external switch is bound to."""
        taken = {d.nic for d in self.shown() if d is not draft and d.type == "External"}
        return next((n for n in self.nics if n not in taken), None)

    def new_draft(self, switch_type: str) -> SwitchDraft:
        """A pending switch of ``switch_type`` with a name no other switch has."""
        names = {d.name.casefold() for d in self.shown()}
        name, n = NEW_SWITCH_NAME, 2
        while name.casefold() in names:
            name, n = f"{NEW_SWITCH_NAME} {n}", n + 1
        draft = SwitchDraft(None, name, switch_type,
                            self.free_nic() if switch_type == "External" else None,
                            True, False, 1, "")
        self.drafts.append(draft)
        return draft

    def remove(self, draft: SwitchDraft) -> None:
        """A switch not created yet is forgotten; an existing one is deleted on Apply."""
        if draft.original is None:
            self.drafts.remove(draft)
        else:
            draft.removed = True

    def pending(self, mac_minimum: str, mac_maximum: str) -> PendingEdits:
        """What Apply would send, with the MAC range as typed."""
        pending = PendingEdits()
        for d in self.drafts:
            if d.removed:
                pending.remove.append(d)
            elif d.original is None:
                pending.create.append(d)
            else:
                base = SwitchDraft.of(self.base[d.original]).fields()
                changes = {k: v for k, v in d.fields().items() if base.get(k) != v}
                if changes:
                    pending.change.append((d, changes))
        lo, hi = mac_minimum.strip().upper(), mac_maximum.strip().upper()
        if lo != self.mac_base[0]:
            pending.mac["mac_minimum"] = lo
        if hi != self.mac_base[1]:
            pending.mac["mac_maximum"] = hi
        return pending

    def follow(self, views: dict[str, SwitchInfoView]) -> None:
        """Take the connected adapters of ``views`` (the engine's switches now)."""
        for d in self.drafts:
            if d.original in views:
                d.adapters = tuple(views[d.original].adapters)

    def apply(self, pending: PendingEdits) -> None:
        """Send ``pending``; raise :class:`ApplyRefused` at the first step the engine
        refuses (the steps before it stay applied, and their drafts settled)."""
        bridge, api, host = self._bridge, self._bridge.api, self.host_id
        step: tuple[SwitchDraft | None, str] = (None, "")
        try:
            for d in pending.remove:
                step = (d, "remove")
                bridge.call(api.remove_switch, str(d.original), host)
                self.drafts.remove(d)
                self.base.pop(str(d.original), None)
            for d in pending.create:
                step = (d, "create")
                self._settle(d, bridge.call(
                    api.create_switch, d.name, d.type, nic=d.fields()["nic"],
                    allow_management_os=d.allow_management_os, management_vlan_id=d.vlan,
                    notes=d.notes, host=host))
            for d, changes in pending.change:
                step = (d, "change")
                kwargs: dict[str, object] = {
                    ("new_name" if k == "name" else k): v for k, v in changes.items()}
                if d.type == "External":
                    kwargs["nic"] = d.nic
                self._settle(d, bridge.call(api.set_switch, str(d.original), host=host,
                                            **kwargs))
            if pending.mac:
                step = (None, "mac")
                bridge.call(api.set_host, host, **pending.mac)
                info = api.host(host)
                self.mac_base = (info.mac_minimum, info.mac_maximum)
        except HvError as err:
            raise ApplyRefused(err, *step) from err

    def _settle(self, d: SwitchDraft, view: SwitchInfoView) -> None:
        """A draft the engine accepted becomes the engine's switch."""
        if d.original is not None:
            self.base.pop(d.original, None)
        self.base[view.name] = view
        settled = SwitchDraft.of(view)
        for key in ("original", "name", "type", "nic", "allow_management_os", "notes",
                    "adapters"):
            setattr(d, key, getattr(settled, key))
        d.vlan_enabled = settled.vlan_enabled
        if settled.vlan_enabled:
            d.vlan_id = settled.vlan_id
