"""Hyper-V's virtual machine states and which operation is legal in which state."""

from __future__ import annotations

import enum


class VmState(enum.StrEnum):
    """The State column of Hyper-V Manager (values are its display texts)."""

    OFF = "Off"
    STARTING = "Starting"
    RUNNING = "Running"
    STOPPING = "Stopping"
    SAVING = "Saving"
    SAVED = "Saved"
    PAUSING = "Pausing"
    PAUSED = "Paused"
    RESUMING = "Resuming"

    @property
    def transitional(self) -> bool:
        return self in TRANSITIONAL


TRANSITIONAL = frozenset(
    {VmState.STARTING, VmState.STOPPING, VmState.SAVING, VmState.PAUSING, VmState.RESUMING}
)
#: States in which the VM's child partition exists and holds memory.
PARTITION_STATES = frozenset(
    {
        VmState.STARTING,
        VmState.RUNNING,
        VmState.STOPPING,
        VmState.SAVING,
        VmState.PAUSING,
        VmState.PAUSED,
        VmState.RESUMING,
    }
)


class Operation(enum.StrEnum):
    START = "start"
    TURN_OFF = "turn-off"
    SHUT_DOWN = "shut-down"
    SAVE = "save"
    PAUSE = "pause"
    RESUME = "resume"
    RESET = "reset"
    DELETE_SAVED_STATE = "delete-saved-state"
    RENAME = "rename"
    DELETE = "delete"
    CHECKPOINT = "checkpoint"
    EXPORT = "export"
    REVERT = "revert"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Operation.START: "Start",
    Operation.TURN_OFF: "Turn Off",
    Operation.SHUT_DOWN: "Shut Down",
    Operation.SAVE: "Save",
    Operation.PAUSE: "Pause",
    Operation.RESUME: "Resume",
    Operation.RESET: "Reset",
    Operation.DELETE_SAVED_STATE: "Delete Saved State",
    Operation.RENAME: "Rename",
    Operation.DELETE: "Delete",
    Operation.CHECKPOINT: "Checkpoint",
    Operation.EXPORT: "Export",
    Operation.REVERT: "Revert",
}

S = VmState
#: The states in which each operation may be requested (Hyper-V Manager's action table).
LEGAL_STATES: dict[Operation, frozenset[VmState]] = {
    Operation.START: frozenset({S.OFF, S.SAVED}),
    Operation.TURN_OFF: frozenset({S.RUNNING, S.PAUSED}),
    Operation.SHUT_DOWN: frozenset({S.RUNNING}),
    Operation.SAVE: frozenset({S.RUNNING, S.PAUSED}),
    Operation.PAUSE: frozenset({S.RUNNING}),
    Operation.RESUME: frozenset({S.PAUSED}),
    Operation.RESET: frozenset({S.RUNNING, S.PAUSED}),
    Operation.DELETE_SAVED_STATE: frozenset({S.SAVED}),
    Operation.RENAME: frozenset({S.OFF, S.RUNNING, S.PAUSED, S.SAVED}),
    Operation.DELETE: frozenset({S.OFF, S.SAVED}),
    # Hyper-V 2008 R2 takes a snapshot in any steady state, and exports only a VM that is
    # Off or Saved (live export came with 2012 R2).
    Operation.CHECKPOINT: frozenset({S.OFF, S.RUNNING, S.PAUSED, S.SAVED}),
    Operation.EXPORT: frozenset({S.OFF, S.SAVED}),
    # Revert applies the checkpoint the VM runs from (Virtual Machine Connection's Action ▸
    # Revert), in any steady state, as Apply does.
    Operation.REVERT: frozenset({S.OFF, S.RUNNING, S.PAUSED, S.SAVED}),
}

#: Every (from, to) state change the engine may make.  Tests check each change against it.
LEGAL_TRANSITIONS: frozenset[tuple[VmState, VmState]] = frozenset(
    {
        (S.OFF, S.STARTING),
        (S.SAVED, S.STARTING),
        (S.STARTING, S.RUNNING),
        (S.RUNNING, S.STOPPING),
        (S.PAUSED, S.STOPPING),
        (S.STOPPING, S.OFF),
        (S.RUNNING, S.SAVING),
        (S.PAUSED, S.SAVING),
        (S.SAVING, S.SAVED),
        (S.SAVING, S.RUNNING),
        (S.SAVING, S.PAUSED),  # cancelled save
        (S.RUNNING, S.PAUSING),
        (S.PAUSING, S.PAUSED),
        (S.PAUSED, S.RESUMING),
        (S.RESUMING, S.RUNNING),
        (S.SAVED, S.OFF),  # Delete Saved State
        (S.PAUSED, S.RUNNING),  # Reset of a paused VM
        (S.STARTING, S.SAVED),  # a restore cut short: the saved state is still on disk
    (S.OFF, S.SAVED),  # a checkpoint with a saved state was applied
        # A job that failed part-way (an injected fail-job fault) is undone.
        (S.STOPPING, S.RUNNING),
        (S.STOPPING, S.PAUSED),
        (S.PAUSING, S.RUNNING),
        (S.RESUMING, S.PAUSED),
        # The root partition crashed or the host powered off: every partition is gone at once.
        *((s, S.OFF) for s in PARTITION_STATES),
    }
)


def state_reason(op: Operation, state: VmState) -> str | None:
    """None when ``op`` is legal in ``state``, else why not, in Hyper-V Manager's terms."""
    if state in LEGAL_STATES[op]:
        return None
    allowed = sorted(s.value for s in LEGAL_STATES[op])
    return (
        f"{op.label} is not available while the virtual machine is {state.value} "
        f"(it needs {' or '.join(allowed)})."
    )
