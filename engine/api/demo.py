"""The demo lab a first start opens (``resources/labs/demo.json``): one host and VMs chosen
to teach.

LAB-HOST-01 is a Windows Server 2008 R2 SP1 server with 2 sockets x 4 cores and 32 GB, and
an External virtual switch on its first network adapter.  Its VMs show the contrasts
trainers need: an enlightened guest with integration services, a guest without them
installed, one on emulated devices only, a Linux guest, and SQL-BIG, which does not fit in
memory while the others run.
"""

from __future__ import annotations

from dataclasses import replace

from hvlab.engine.api.labs import build_lab, load_lab_definition
from hvlab.engine.api.management import ManagementApi


def populate_demo(api: ManagementApi, *, empty: bool = False,
                  settle_seconds: float | None = None, profile: str | None = None) -> None:
    """Add the demo host (and unless ``empty``, its VMs) to an empty lab.

    Running VMs are started and the clock advanced by ``settle_seconds`` (default: the
    definition's 90 s) so they have finished booting when the console first shows them.
    ``profile`` (a profile id, with options: ``ws2008+kb956710``) replaces the demo host's
    Windows Server 2008 R2 SP1; the demo VMs fit every shipped profile.
    """
    definition = load_lab_definition("demo")
    if profile is not None:
        definition = replace(definition, hosts=tuple({**h, "profile": profile}
                                                     for h in definition.hosts))
    build_lab(api, definition, hosts_only=empty, settle_seconds=settle_seconds)
