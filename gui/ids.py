"""Automation names: the objectName and accessibleName of every interactive widget and action.

GUI automation depends on these: pytest-qt finds widgets by ``objectName`` in process, and
AT-SPI clients (pyatspi, dogtail) find them by accessible name from outside. Renaming one is
a breaking change; add new names instead, and list them in docs/automation.md
(``python -m gui.ids`` prints the table).

Conventions: objectNames are camelCase and unique within their window; accessible names are
the text a user sees, without the ``&`` mnemonic, so that a menu item, the toolbar button and
the Actions pane button of one action share the accessible name (their roles differ: menu
item, push button).  Actions keep their accessible name in the dynamic property
``accessibleName`` (QAction has no such property of its own).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class UiName:
    object_name: str
    accessible_name: str


#: Dynamic property under which a QAction keeps its accessible name.
ACCESSIBLE_NAME_PROPERTY = "accessibleName"

_REGISTRY: dict[str, UiName] = {}


def _n(object_name: str, accessible_name: str) -> UiName:
    if object_name in _REGISTRY:  # pragma: no cover - a duplicate is a programming error
        raise ValueError(f"duplicate objectName {object_name!r}")
    name = UiName(object_name, accessible_name)
    _REGISTRY[object_name] = name
    return name


def apply(obj: QWidget | QAction, name: UiName) -> None:
    """Give a widget or action its objectName and accessible name."""
    obj.setObjectName(name.object_name)
    if isinstance(obj, QAction):
        obj.setProperty(ACCESSIBLE_NAME_PROPERTY, name.accessible_name)
    else:
        obj.setAccessibleName(name.accessible_name)


def accessible_name(obj: QWidget | QAction) -> str:
    if isinstance(obj, QAction):
        value = obj.property(ACCESSIBLE_NAME_PROPERTY)
        return value if isinstance(value, str) else ""
    return obj.accessibleName()


def all_names() -> list[UiName]:
    """Every static name, in definition order (dynamic ones come from the functions below)."""
    return list(_REGISTRY.values())


# -- main window -------------------------------------------------------------------------------
MAIN_WINDOW = _n("mainWindow", "Hyper-V Manager")
MENU_BAR = _n("menuBar", "Menu bar")
MENU_FILE = _n("menuFile", "File")
MENU_NEW = _n("menuNew", "New")
MENU_ACTION = _n("menuAction", "Action")
MENU_HOST = _n("menuHost", "Host")
MENU_VIEW = _n("menuView", "View")
MENU_COLUMNS = _n("menuColumns", "Add/Remove Columns")
MENU_THEME = _n("menuTheme", "Theme")
MENU_CLOCK = _n("menuClock", "Clock")
MENU_HELP = _n("menuHelp", "Help")
MENU_VM_CONTEXT = _n("vmContextMenu", "Virtual machine actions")
MENU_VM_CONTEXT_ACTION = _n("vmContextMenuAction", "Virtual machine actions")

MENU_HEADER_CONTEXT = _n("vmListHeaderMenu", "Columns")
MAIN_TOOLBAR = _n("mainToolBar", "Virtual machine toolbar")
CLOCK_TOOLBAR = _n("clockToolBar", "Simulated clock")
CLOCK_TIME = _n("clockTime", "Simulated time")
CLOCK_TIME_ACTION = _n("clockTimeAction", "Simulated time")
HOST_TREE = _n("hostTree", "Hosts and groups")
VM_SEARCH = _n("vmSearch", "Search virtual machines")
VM_LIST = _n("vmList", "Virtual Machines")
VM_LIST_HEADER = _n("vmListHeader", "Virtual Machines columns")
VM_LIST_COUNT = _n("vmListCount", "Virtual machines shown")
CHECKPOINT_TREE = _n("checkpointTree", "Checkpoints")
DETAILS_TABS = _n("detailsTabs", "Details")
DETAILS_TAB_BAR = _n("detailsTabBar", "Details pages")
DETAILS_SUMMARY = _n("detailsSummary", "Summary")
DETAILS_MEMORY = _n("detailsMemory", "Memory")
DETAILS_NETWORKING = _n("detailsNetworking", "Networking")
ACTIONS_PANE = _n("actionsPane", "Actions")
STATUS_BAR = _n("statusBar", "Status bar")
JOBS_BUTTON = _n("jobsButton", "Jobs")
JOBS_PANEL = _n("jobsPanel", "Jobs panel")
JOBS_LIST = _n("jobsList", "Running and recent jobs")
SPLIT_MAIN = _n("mainSplitter", "Panes")
SPLIT_CENTRE = _n("centreSplitter", "Centre panes")

# -- actions (main window; the Connect window has its own, prefixed "connect") -------------------
# Host block
ACT_NEW_VM = _n("actionNewVirtualMachine", "Virtual Machine…")
ACT_HOST_SETTINGS = _n("actionHyperVSettings", "Hyper-V Settings…")
ACT_REFRESH = _n("actionRefresh", "Refresh")
ACT_RESTART_HOST = _n("actionRestartHost", "Restart Host…")
ACT_CRASH_ROOT = _n("actionSimulateRootCrash", "Simulate Root Partition Crash…")
ACT_EXIT = _n("actionExit", "Exit")
# VM block
ACT_CONNECT = _n("actionConnect", "Connect…")
ACT_SETTINGS = _n("actionSettings", "Settings…")
ACT_START = _n("actionStart", "Start")
ACT_TURN_OFF = _n("actionTurnOff", "Turn Off…")
ACT_SHUT_DOWN = _n("actionShutDown", "Shut Down…")
ACT_SAVE = _n("actionSave", "Save")
ACT_PAUSE = _n("actionPause", "Pause")
ACT_RESUME = _n("actionResume", "Resume")
ACT_RESET = _n("actionReset", "Reset")
ACT_DELETE_SAVED_STATE = _n("actionDeleteSavedState", "Delete Saved State…")
ACT_CHECKPOINT = _n("actionCheckpoint", "Checkpoint")
ACT_RENAME = _n("actionRename", "Rename…")
ACT_DELETE = _n("actionDelete", "Delete…")
# View
ACT_SEARCH = _n("actionFind", "Find")
ACT_SHOW_TOOLBAR = _n("actionShowToolbar", "Toolbar")
ACT_SHOW_CLOCK_TOOLBAR = _n("actionShowClockToolbar", "Clock Toolbar")
ACT_SHOW_ACTIONS = _n("actionShowActionsPane", "Action Pane")
ACT_SHOW_JOBS = _n("actionShowJobs", "Jobs Panel")
ACT_THEME_SYSTEM = _n("actionThemeSystem", "Follow System")
ACT_THEME_LIGHT = _n("actionThemeLight", "Light")
ACT_THEME_DARK = _n("actionThemeDark", "Dark")
# Clock
ACT_CLOCK_PAUSE = _n("actionClockPause", "Pause Clock")
ACT_CLOCK_1X = _n("actionClock1x", "1x")
ACT_CLOCK_10X = _n("actionClock10x", "10x")
ACT_CLOCK_60X = _n("actionClock60x", "60x")
ACT_CLOCK_STEP = _n("actionClockStep", "Step 1 Second")
ACT_CLOCK_STEP_MINUTE = _n("actionClockStepMinute", "Step 1 Minute")
ACT_CLOCK_MANUAL = _n("actionClockManual", "Manual Clock")
# Help
ACT_HELP = _n("actionHelpTopics", "Help Topics")
ACT_ABOUT = _n("actionAbout", "About hvlab")

# -- Hyper-V Settings dialog ----------------------------------------------------------------------
HOST_SETTINGS_DIALOG = _n("hostSettingsDialog", "Hyper-V Settings")
HOST_SETTINGS_PAGES = _n("hostSettingsPages", "Settings pages")
HOST_VHD_FOLDER = _n("hostVhdFolder", "Virtual hard disks folder")
HOST_VM_FOLDER = _n("hostVmFolder", "Virtual machines folder")
HOST_NUMA_SPANNING = _n("hostNumaSpanning", "Allow virtual machines to span physical NUMA nodes")
HOST_SUMMARY = _n("hostSummary", "Host hardware and hypervisor")
HOST_VIRTUALIZATION = _n("hostVirtualization", "Hardware virtualization enabled in the BIOS")
HOST_NX = _n("hostNx", "No-execute (NX/XD) enabled in the BIOS")
HOST_RESTART = _n("hostRestart", "Restart Host…")
HOST_CRASH_ROOT = _n("hostCrashRoot", "Simulate Root Partition Crash…")
HOST_OK = _n("hostSettingsOk", "OK")
HOST_CANCEL = _n("hostSettingsCancel", "Cancel")
HOST_APPLY = _n("hostSettingsApply", "Apply")

# -- New Virtual Machine dialog ------------------------------------------------------------------
NEW_VM_DIALOG = _n("newVmDialog", "New Virtual Machine")
NEW_VM_NAME = _n("newVmName", "Name")
NEW_VM_GUEST_OS = _n("newVmGuestOs", "Guest operating system")
NEW_VM_GENERATION = _n("newVmGeneration", "Generation")
NEW_VM_MEMORY = _n("newVmMemory", "Startup memory (MB)")
NEW_VM_CPUS = _n("newVmProcessors", "Virtual processors")
NEW_VM_GROUP = _n("newVmGroup", "Group")
NEW_VM_GROUP_EDIT = _n("newVmGroupEdit", "Group name")
NEW_VM_OK = _n("newVmCreate", "Create")
NEW_VM_CANCEL = _n("newVmCancel", "Cancel")

# -- VM Settings (read-only until the settings issue) --------------------------------------------
VM_SETTINGS_DIALOG = _n("vmSettingsDialog", "Virtual machine settings")
VM_SETTINGS_TREE = _n("vmSettingsTree", "Settings")
VM_SETTINGS_CLOSE = _n("vmSettingsClose", "Close")

# -- message boxes -------------------------------------------------------------------------------
ERROR_DIALOG = _n("errorDialog", "Hyper-V Manager error")
CONFIRM_DIALOG = _n("confirmDialog", "Confirm")
ABOUT_DIALOG = _n("aboutDialog", "About hvlab")

# -- Virtual Machine Connection window -----------------------------------------------------------
CONNECT_WINDOW = _n("connectWindow", "Virtual Machine Connection")
CONNECT_MENU_BAR = _n("connectMenuBar", "Menu bar")

CONNECT_MENU_FILE = _n("connectMenuFile", "File")
CONNECT_MENU_ACTION = _n("connectMenuAction", "Action")
CONNECT_MENU_VIEW = _n("connectMenuView", "View")
CONNECT_TOOLBAR = _n("connectToolBar", "Virtual machine toolbar")
CONNECT_CONSOLE = _n("connectConsole", "Console")
CONNECT_STATUS = _n("connectStatus", "Status")
CONNECT_STATUS_BAR = _n("connectStatusBar", "Status bar")
CONNECT_CTRL_ALT_DEL = _n("connectCtrlAltDel", "Ctrl+Alt+Delete")
CONNECT_START = _n("connectStart", "Start")
CONNECT_TURN_OFF = _n("connectTurnOff", "Turn Off…")
CONNECT_SHUT_DOWN = _n("connectShutDown", "Shut Down…")
CONNECT_SAVE = _n("connectSave", "Save")
CONNECT_PAUSE = _n("connectPause", "Pause")
CONNECT_RESUME = _n("connectResume", "Resume")
CONNECT_RESET = _n("connectReset", "Reset")
CONNECT_SETTINGS = _n("connectSettings", "Settings…")
CONNECT_CLOSE = _n("connectClose", "Exit")
CONNECT_SHOW_TOOLBAR = _n("connectShowToolbar", "Toolbar")
CONNECT_ZOOM_IN = _n("connectZoomIn", "Zoom In")
CONNECT_ZOOM_OUT = _n("connectZoomOut", "Zoom Out")


# == Issue 7: devices, virtual switches, the architecture view ===================================
# (owned by the devices/architecture work; gui/switch_manager.py, gui/device_manager.py,
# gui/architecture/). Hooks in the main window and the Connect window:
ACT_SWITCH_MANAGER = _n("actionVirtualSwitchManager", "Virtual Switch Manager…")
ACT_ARCHITECTURE = _n("actionArchitectureView", "Architecture")
ACT_INSERT_IS_DISK = _n("actionInsertIntegrationServicesDisk",
                        "Insert Integration Services Setup Disk")
CONNECT_INSERT_IS_DISK = _n("connectInsertIntegrationServicesDisk",
                            "Insert Integration Services Setup Disk")
CONNECT_SHOW_DEVICE_MANAGER = _n("connectShowDeviceManager", "Device Manager")

# -- Device Manager (a dock in the Connect window) ------------------------------------------------
DEVICE_MANAGER_DOCK = _n("deviceManagerDock", "Device Manager")
DEVICE_MANAGER_TREE = _n("deviceManagerTree", "Devices by type")

# -- Virtual Switch Manager ------------------------------------------------------------------------
SWITCH_DIALOG = _n("switchManagerDialog", "Virtual Switch Manager")
SWITCH_TREE = _n("switchManagerTree", "Virtual switches and global network settings")
SWITCH_NEW_TYPE = _n("switchNewType", "What type of virtual switch do you want to create?")
SWITCH_CREATE = _n("switchCreate", "Create Virtual Switch")
SWITCH_NAME = _n("switchName", "Name")
SWITCH_NOTES = _n("switchNotes", "Notes")
SWITCH_EXTERNAL = _n("switchExternal", "External network")
SWITCH_NIC = _n("switchNic", "Physical network adapter")
SWITCH_ALLOW_MANAGEMENT_OS = _n(
    "switchAllowManagementOs", "Allow management operating system to share this network adapter")
SWITCH_INTERNAL = _n("switchInternal", "Internal network")
SWITCH_PRIVATE = _n("switchPrivate", "Private network")
SWITCH_VLAN_ENABLED = _n(
    "switchVlanEnabled", "Enable virtual LAN identification for management operating system")
SWITCH_VLAN_ID = _n("switchVlanId", "VLAN ID")
SWITCH_ADAPTERS = _n("switchAdapters", "Connected network adapters")
SWITCH_REMOVE = _n("switchRemove", "Remove")
SWITCH_MAC_MINIMUM = _n("switchMacMinimum", "Minimum")
SWITCH_MAC_MAXIMUM = _n("switchMacMaximum", "Maximum")
SWITCH_OK = _n("switchManagerOk", "OK")
SWITCH_CANCEL = _n("switchManagerCancel", "Cancel")
SWITCH_APPLY = _n("switchManagerApply", "Apply")

# -- Architecture view ----------------------------------------------------------------------------
ARCH_WINDOW = _n("architectureWindow", "Hyper-V Architecture")
ARCH_VIEW = _n("architectureView", "Architecture diagram")
ARCH_MENU_BAR = _n("architectureMenuBar", "Menu bar")
ARCH_MENU_FILE = _n("architectureMenuFile", "File")
ARCH_MENU_FILE_ACTION = _n("architectureMenuFileAction", "File")
ARCH_MENU_VIEW = _n("architectureMenuView", "View")
ARCH_MENU_VIEW_ACTION = _n("architectureMenuViewAction", "View")
ARCH_TOOLBAR = _n("architectureToolBar", "Architecture toolbar")
ARCH_SHOW_TOOLBAR = _n("architectureShowToolbar", "Toolbar")
ARCH_HOST = _n("architectureHost", "Host")
ARCH_EXPORT_PNG = _n("architectureExportPng", "Export as PNG…")
ARCH_EXPORT_SVG = _n("architectureExportSvg", "Export as SVG…")
ARCH_FIT = _n("architectureFit", "Fit to Window")
ARCH_ZOOM_IN = _n("architectureZoomIn", "Zoom In")
ARCH_ZOOM_OUT = _n("architectureZoomOut", "Zoom Out")
ARCH_CLOSE = _n("architectureClose", "Close")
# == end of issue 7 ================================================================================


# -- names made from data -------------------------------------------------------------------------
def tool_button(action: UiName) -> UiName:
    """The toolbar button of an action: same accessible name, its own objectName."""
    return UiName(f"toolbar_{action.object_name}", action.accessible_name)


def pane_button(action: UiName) -> UiName:
    """The Actions pane button of an action."""
    return UiName(f"actionsPane_{action.object_name}", action.accessible_name)


def column_action(column_key: str, title: str) -> UiName:
    """View ▸ Add/Remove Columns ▸ <title>."""
    return UiName(f"actionColumn_{column_key}", title)


def job_cancel(job_id: int, description: str) -> UiName:
    """The Cancel button of one job in the jobs panel."""
    return UiName(f"jobCancel_{job_id}", f"Cancel {description}")


def host_page(key: str, title: str) -> UiName:
    return UiName(f"hostSettingsPage_{key}", title)


def markdown_table() -> str:
    """The table of static names for docs/automation.md."""
    lines = ["| objectName | accessible name |", "|---|---|"]
    lines += [f"| `{n.object_name}` | {n.accessible_name} |" for n in all_names()]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown_table())
