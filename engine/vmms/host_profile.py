"""Changing the release a host runs (its profile, with options such as KB956710 or a Server
Core installation): the lab is the same machine with another Hyper-V, so every VM must be
turned off and must fit what the new release allows.  The host restarts under the new
hypervisor at once (a lab shortcut for the reinstall).
"""

from __future__ import annotations

from hvlab.engine import events as ev
from hvlab.engine.config import FieldErrors, check_config
from hvlab.engine.errors import InvalidStateError, ValidationError
from hvlab.engine.events import Level
from hvlab.engine.guests import get_guest_os
from hvlab.engine.lifecycle import VmState
from hvlab.engine.profiles import HostProfile
from hvlab.engine.vmms import tables
from hvlab.engine.vmms.host import Host


def profile_change_errors(host: Host, profile: HostProfile) -> list[str]:
    """Why ``host`` cannot move to ``profile`` now, one sentence each (empty: it can)."""
    problems: list[str] = []
    if host.rebooting:
        problems.append(f"The host {host.name} is restarting.")
    busy = sorted(v.name for v in host.vms.values() if v.state is not VmState.OFF)
    if busy:
        problems.append("Every virtual machine must be turned off (and have no saved "
                        f"state) first: {', '.join(busy)}.")
    lps = host.logical_processors_under(profile)
    for vm in sorted(host.vms.values(), key=lambda v: v.name):
        errors = FieldErrors()
        check_config(errors, vm.config, profile, get_guest_os(vm.config.guest_os), lps,
                     host.other_names(vm.id))
        problems += [f"'{vm.name}': {message}" for message in errors.by_field.values()]
        if len(vm.checkpoints) > profile.limits.checkpoints_per_vm:
            problems.append(f"'{vm.name}' has more than {profile.limits.checkpoints_per_vm} "
                            + profile.words.checkpoints.lower() + ".")
    return problems


def change_profile(host: Host, profile: HostProfile) -> None:
    """Run ``profile`` on ``host`` from now on, or raise naming every reason it cannot."""
    if profile.id == host.profile.id:
        return
    problems = profile_change_errors(host, profile)
    if problems:
        title = f"The host {host.name} cannot change to {profile.name}."
        if host.rebooting or any(v.state is not VmState.OFF for v in host.vms.values()):
            raise InvalidStateError(title, problems)
        raise ValidationError("profile", title + " " + " ".join(problems))
    old = host.profile
    host.profile = profile
    host._boot()
    for vm in host.vms.values():
        tables.sync_table(host, vm)
    host.log(ev.CH_SYSTEM, ev.EV_HV_STARTED, Level.INFORMATION,
             f"The host {host.name} now runs {profile.name} (it ran {old.name}).")
    host.lab.publish(ev.HostChanged(host.lab.sim.now_us, host.id, "profile"))
