"""Automation names: the objectName and accessibleName of every interactive widget and action.

GUI automation depends on these: pytest-qt finds widgets by ``objectName`` in process, and
AT-SPI clients (pyatspi, dogtail) find them by accessible name from outside. Renaming one is
a breaking change; add new names instead, and list them in docs/automation.md
(``python -m hvlab.gui.ids`` prints the table).

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


def set_accessible_name(obj: QWidget | QAction, text: str) -> None:
    """Rename an object whose text follows the host's release (gui/era.py)."""
    if isinstance(obj, QAction):
        obj.setProperty(ACCESSIBLE_NAME_PROPERTY, text)
    else:
        obj.setAccessibleName(text)


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
STATUS_WARNING = _n("statusWarning", "Newest warning")
STATUS_PROFILE = _n("statusHostProfile", "Host profile")
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
ACT_CLOCK_CUSTOM = _n("actionClockCustomSpeed", "Custom Speed…")
ACT_CLOCK_RUN_UNTIL = _n("actionClockRunUntil", "Run Until…")
ACT_CLOCK_PAUSE_ON_CHANGE = _n("actionClockPauseOnStateChange", "Pause on State Change")
ACT_CLOCK_REWIND = _n("actionClockRewind", "Rewind…")
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
HOST_PROFILE = _n("hostProfile", "Hyper-V release (host profile)")
HOST_LAUNCH_TYPE = _n("hostLaunchType", "Launch the hypervisor at boot (hypervisorlaunchtype)")
HOST_ROLE = _n("hostHyperVRole", "Hyper-V role installed")
HOST_RESTART = _n("hostRestart", "Restart Host…")
HOST_CRASH_ROOT = _n("hostCrashRoot", "Simulate Root Partition Crash…")
HOST_ROOT_LOAD = _n("hostRootLoad", "Root partition load (percent of its processors)")
HOST_BACKUP = _n("hostBackupRunning", "A backup is running in the root partition")
HOST_ROOT_CPU = _n("hostRootCpu", "Root partition CPU usage")
HOST_OK = _n("hostSettingsOk", "OK")
HOST_CANCEL = _n("hostSettingsCancel", "Cancel")
HOST_APPLY = _n("hostSettingsApply", "Apply")

# -- New Virtual Machine Wizard (the rest of its names are in its section below) ----------------
NEW_VM_DIALOG = _n("newVmDialog", "New Virtual Machine")
NEW_VM_NAME = _n("newVmName", "Name")
NEW_VM_GUEST_OS = _n("newVmGuestOs", "Guest operating system")
NEW_VM_MEMORY = _n("newVmMemory", "Startup memory (MB)")
NEW_VM_GROUP = _n("newVmGroup", "Group")
NEW_VM_GROUP_EDIT = _n("newVmGroupEdit", "Group name")
NEW_VM_CANCEL = _n("newVmCancel", "Cancel")

# -- VM Settings (the rest of its names are in its section below) --------------------------------
VM_SETTINGS_DIALOG = _n("vmSettingsDialog", "Virtual machine settings")
VM_SETTINGS_TREE = _n("vmSettingsTree", "Settings")

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

# -- performance graphs (gui/graphs) --------------------------------------------------------------
# Main window: View ▸ Host Performance / Performance Monitor…, Help ▸ Demos.
ACT_SHOW_HOST_PERFORMANCE = _n("actionShowHostPerformance", "Host Performance")
ACT_PERFORMANCE_MONITOR = _n("actionPerformanceMonitor", "Performance Monitor…")
MENU_DEMOS = _n("menuDemos", "Demos")
MENU_DEMOS_ACTION = _n("menuDemosAction", "Demos")
ACT_DEMO_CONTENTION = _n("actionDemoCpuContention", "CPU Contention")
# The host dashboard (a dock of the main window).
HOST_PERF_DOCK = _n("hostPerformanceDock", "Host Performance")
HOST_PERF = _n("hostPerformance", "Host performance dashboard")
HOST_PERF_HOST = _n("hostPerformanceHost", "Host")
HOST_PERF_WINDOW = _n("hostPerformanceWindow", "Time window")
HOST_PERF_CPU = _n("hostPerformanceCpu", "Logical processor utilisation")
HOST_PERF_MEMORY = _n("hostPerformanceMemoryMap", "Memory map by owner")
HOST_PERF_RUNNING = _n("hostPerformanceRunning", "Running virtual machines")
# The details pane's Performance tab.
DETAILS_PERFORMANCE = _n("detailsPerformance", "Performance")
VM_PERF_CPU = _n("vmPerformanceCpu", "CPU per virtual processor")
VM_PERF_MEMORY = _n("vmPerformanceMemory", "Memory assigned and demand")
VM_PERF_DISK = _n("vmPerformanceDisk", "Disk operations per second")
VM_PERF_NETWORK = _n("vmPerformanceNetwork", "Network throughput")
# The Performance Monitor window.
PERFMON_WINDOW = _n("perfmonWindow", "Performance Monitor")
PERFMON_TOOLBAR = _n("perfmonToolBar", "Performance Monitor toolbar")
PERFMON_SHOW_TOOLBAR = _n("perfmonShowToolbar", "Performance Monitor toolbar")
PERFMON_ADD = _n("perfmonAdd", "Add Counters…")
PERFMON_DELETE = _n("perfmonDelete", "Delete")
PERFMON_HIGHLIGHT = _n("perfmonHighlight", "Highlight")
PERFMON_FREEZE = _n("perfmonFreeze", "Freeze Display")
PERFMON_SCALE_SELECTED = _n("perfmonScaleSelected", "Scale Selected Counters")
PERFMON_SAVE = _n("perfmonSaveData", "Save Data As…")
PERFMON_DURATION = _n("perfmonDuration", "Duration")
PERFMON_DURATION_ACTION = _n("perfmonDurationAction", "Duration")
PERFMON_SCALE = _n("perfmonScale", "Scale")
PERFMON_SCALE_ACTION = _n("perfmonScaleAction", "Scale")
PERFMON_GRAPH = _n("perfmonGraph", "Line graph")
PERFMON_LEGEND = _n("perfmonLegend", "Counters")
PERFMON_VALUES = _n("perfmonValues", "Values of the selected counter")
PERFMON_SPLIT = _n("perfmonSplitter", "Graph and legend")
# The Add Counters dialog.
ADD_COUNTERS_DIALOG = _n("addCountersDialog", "Add Counters")
ADD_COUNTERS_COMPUTER = _n("addCountersComputer", "Select counters from computer")
ADD_COUNTERS_AVAILABLE = _n("addCountersAvailable", "Available counters")
ADD_COUNTERS_INSTANCES = _n("addCountersInstances", "Instances of selected object")
ADD_COUNTERS_ADD = _n("addCountersAdd", "Add >>")
ADD_COUNTERS_REMOVE = _n("addCountersRemove", "<< Remove")
ADD_COUNTERS_ADDED = _n("addCountersAdded", "Added counters")
ADD_COUNTERS_OK = _n("addCountersOk", "OK")
ADD_COUNTERS_CANCEL = _n("addCountersCancel", "Cancel")


# -- lessons, presenter mode and help (gui/lessons) ---------------------------------------------
MENU_LESSONS = _n("menuLessons", "Lessons")
MENU_LESSONS_ACTION = _n("menuLessonsAction", "Lessons")
LESSON_DOCK = _n("lessonDock", "Lesson")
LESSON_TITLE = _n("lessonTitle", "Lesson title")
LESSON_STEP = _n("lessonStep", "Lesson step")
LESSON_NARRATION = _n("lessonNarration", "Narration")
LESSON_HINT_TEXT = _n("lessonHintText", "Hint")
LESSON_STATUS = _n("lessonStatus", "Step status")
LESSON_BACK = _n("lessonBack", "Back")
LESSON_HINT = _n("lessonHint", "Hint")
LESSON_SHOW_ME = _n("lessonShowMe", "Show me")
LESSON_NEXT = _n("lessonNext", "Next")
LESSON_RESET = _n("lessonReset", "Reset")
LESSON_PLAY = _n("lessonPlay", "Play by itself")
LESSON_HIGHLIGHT = _n("lessonHighlight", "Highlighted control")
ACT_PRESENTER = _n("actionPresenterMode", "Presenter Mode")
ACT_HIGH_CONTRAST = _n("actionHighContrast", "High Contrast")
ACT_ARCH_FULL_SCREEN = _n("actionArchitectureFullScreen", "Architecture, Full Screen")
PRESENTER_CAPTION = _n("presenterCaption", "Lesson caption")
PRESENTER_BLANK = _n("presenterBlank", "Blank screen")
ACT_CHECK_EXERCISE = _n("actionCheckExercise", "Check Exercise…")
ACT_NEW_EXERCISE = _n("actionNewExerciseFromLab", "New Exercise from This Lab…")
AUTHOR_DIALOG = _n("exerciseAuthoringDialog", "New Exercise from This Lab")
AUTHOR_TITLE = _n("exerciseTitle", "Title")
AUTHOR_STATEMENT = _n("exerciseStatement", "Statement")
AUTHOR_PROPERTIES = _n("exerciseProperties", "Properties that count")
AUTHOR_HINT = _n("exerciseHint", "Hint for the selected property")
AUTHOR_SAVE = _n("exerciseSave", "Save")
AUTHOR_CANCEL = _n("exerciseCancel", "Cancel")
GRADE_DIALOG = _n("gradeDialog", "Exercise grade")
GRADE_SCORE = _n("gradeScore", "Score")
GRADE_CHECKS = _n("gradeChecks", "Checks")
GRADE_HINTS = _n("gradeHints", "Show hints for the failed checks")
HELP_WINDOW = _n("helpWindow", "hvlab Help")
HELP_PAGES = _n("helpPages", "Help topics")
HELP_TEXT = _n("helpText", "Help text")
RUN_UNTIL_DIALOG = _n("runUntilDialog", "Run Until")
RUN_UNTIL_SECONDS = _n("runUntilSeconds", "Run for at most (simulated seconds)")
RUN_UNTIL_STOP = _n("runUntilStop", "Stop early when")
RUN_UNTIL_SUBJECT = _n("runUntilSubject", "Host or virtual machine")
RUN_UNTIL_PROPERTY = _n("runUntilProperty", "Value to watch")
RUN_UNTIL_DIRECTION = _n("runUntilDirection", "Rises above or falls below")
RUN_UNTIL_THRESHOLD = _n("runUntilThreshold", "Threshold")
RUN_UNTIL_OK = _n("runUntilOk", "OK")
RUN_UNTIL_CANCEL = _n("runUntilCancel", "Cancel")


# == Devices, virtual switches, the architecture view ==============================================
# (gui/switch_manager.py, gui/device_manager.py, gui/architecture/). Hooks in the main window and
# the Connect window:
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


# == New Virtual Machine Wizard, VM Settings, Rename, Delete =======================================
# (gui/wizard/, gui/settings/). The wizard keeps the names of the one-page dialog it replaced
# (newVmDialog, newVmName, newVmGuestOs, newVmMemory, newVmGroup, newVmGroupEdit, newVmCancel)
# and the settings dialog keeps vmSettingsDialog and vmSettingsTree. The message a field shows
# under itself is named "<field objectName>_message" (docs/settings.md).
# -- New Virtual Machine Wizard -------------------------------------------------------------------
WIZARD_STEPS = _n("newVmSteps", "Wizard steps")
WIZARD_PREVIOUS = _n("newVmPrevious", "< Previous")
WIZARD_NEXT = _n("newVmNext", "Next >")
WIZARD_FINISH = _n("newVmFinish", "Finish")
WIZARD_EXPERT = _n("newVmExpertMode", "Expert Mode")
WIZARD_SKIP_INTRO = _n("newVmSkipIntro", "Do not show this page again")
WIZARD_STORE_ELSEWHERE = _n("newVmStoreElsewhere",
                            "Store the virtual machine in a different location")
WIZARD_LOCATION = _n("newVmLocation", "Location")
WIZARD_GENERATION_1 = _n("newVmGeneration1", "Generation 1")
WIZARD_GENERATION_2 = _n("newVmGeneration2", "Generation 2")
WIZARD_DYNAMIC_MEMORY = _n("newVmDynamicMemory", "Use Dynamic Memory for this virtual machine")
WIZARD_SWITCH = _n("newVmConnection", "Connection")
WIZARD_DISK_NEW = _n("newVmDiskCreate", "Create a virtual hard disk")
WIZARD_DISK_NAME = _n("newVmDiskName", "Virtual hard disk name")
WIZARD_DISK_LOCATION = _n("newVmDiskLocation", "Virtual hard disk location")
WIZARD_DISK_SIZE = _n("newVmDiskSize", "Size (GB)")
WIZARD_DISK_EXISTING = _n("newVmDiskExisting", "Use an existing virtual hard disk")
WIZARD_DISK_PATH = _n("newVmDiskPath", "Existing virtual hard disk path")
WIZARD_DISK_LATER = _n("newVmDiskLater", "Attach a virtual hard disk later")
WIZARD_INSTALL_LATER = _n("newVmInstallLater", "Install an operating system later")
WIZARD_INSTALL_IMAGE = _n("newVmInstallImage",
                          "Install an operating system from a bootable image file")
WIZARD_IMAGE_PATH = _n("newVmImagePath", "Image file (.iso)")
WIZARD_INSTALL_NETWORK = _n(
    "newVmInstallNetwork", "Install an operating system from a network-based installation server")
WIZARD_SUMMARY = _n("newVmSummary", "Summary")

# -- VM Settings: the dialog ---------------------------------------------------------------------
VM_SETTINGS_OK = _n("vmSettingsOk", "OK")
VM_SETTINGS_CANCEL = _n("vmSettingsCancel", "Cancel")
VM_SETTINGS_APPLY = _n("vmSettingsApply", "Apply")
UNAPPLIED_DIALOG = _n("unappliedChangesDialog", "Apply changes")
# Hardware
ADD_HARDWARE_LIST = _n("vmSettingsAddHardwareList", "Select the devices you want to add")
ADD_HARDWARE_ADD = _n("vmSettingsAddHardwareAdd", "Add")
NUM_LOCK = _n("vmSettingsNumLock", "Num Lock")
STARTUP_ORDER = _n("vmSettingsStartupOrder", "Startup order")
BOOT_ORDER = _n("vmSettingsBootOrder", "Boot order")
BOOT_MOVE_UP = _n("vmSettingsBootMoveUp", "Move Up")
BOOT_MOVE_DOWN = _n("vmSettingsBootMoveDown", "Move Down")
SECURE_BOOT = _n("vmSettingsSecureBoot", "Enable Secure Boot")
STARTUP_RAM = _n("vmSettingsStartupRam", "Startup RAM (MB)")
DYNAMIC_MEMORY = _n("vmSettingsDynamicMemory", "Enable Dynamic Memory")
MINIMUM_RAM = _n("vmSettingsMinimumRam", "Minimum RAM (MB)")
MAXIMUM_RAM = _n("vmSettingsMaximumRam", "Maximum RAM (MB)")
MEMORY_BUFFER = _n("vmSettingsMemoryBuffer", "Memory buffer (%)")
MEMORY_WEIGHT = _n("vmSettingsMemoryWeight", "Memory weight")
PROCESSOR_COUNT = _n("vmSettingsProcessorCount", "Number of virtual processors")
PROCESSOR_RESERVE = _n("vmSettingsReserve", "Virtual machine reserve (percentage)")
PROCESSOR_LIMIT = _n("vmSettingsLimit", "Virtual machine limit (percentage)")
PROCESSOR_WEIGHT = _n("vmSettingsWeight", "Relative weight")
COMPATIBILITY = _n("vmSettingsCompatibility",
                   "Migrate to a physical computer with a different processor version")
DVD_NONE = _n("vmSettingsDvdNone", "None")
DVD_IMAGE = _n("vmSettingsDvdImage", "Image file")
DVD_PATH = _n("vmSettingsDvdPath", "Image file path")
COM1_NONE = _n("vmSettingsCom1None", "None")
COM1_PIPE = _n("vmSettingsCom1Pipe", "Named pipe")
COM1_PATH = _n("vmSettingsCom1Path", "Named pipe path")
COM2_NONE = _n("vmSettingsCom2None", "None")
COM2_PIPE = _n("vmSettingsCom2Pipe", "Named pipe")
COM2_PATH = _n("vmSettingsCom2Path", "Named pipe path")
DISKETTE_NONE = _n("vmSettingsDisketteNone", "None")
DISKETTE_FILE = _n("vmSettingsDisketteFile", "Virtual floppy disk (.vfd) file")
DISKETTE_PATH = _n("vmSettingsDiskettePath", "Virtual floppy disk path")
# Management
VM_NAME = _n("vmSettingsName", "Name")
VM_NOTES = _n("vmSettingsNotes", "Notes")
VM_GROUP = _n("vmSettingsGroup", "Group")
CHECKPOINT_LOCATION = _n("vmSettingsCheckpointLocation", "Checkpoint File Location")
SMART_PAGING_LOCATION = _n("vmSettingsSmartPagingLocation", "Smart Paging File Location")
START_NOTHING = _n("vmSettingsStartNothing", "Nothing")
START_IF_RUNNING = _n("vmSettingsStartIfRunning",
                      "Automatically start if it was running when the service stopped")
START_ALWAYS = _n("vmSettingsStartAlways", "Always start this virtual machine automatically")
START_DELAY = _n("vmSettingsStartDelay", "Startup delay (seconds)")
STOP_SAVE = _n("vmSettingsStopSave", "Save the virtual machine state")
STOP_TURN_OFF = _n("vmSettingsStopTurnOff", "Turn off the virtual machine")
STOP_SHUT_DOWN = _n("vmSettingsStopShutDown", "Shut down the guest operating system")
# Guest (hvlab)
GUEST_OS = _n("vmSettingsGuestOs", "Guest operating system")
GUEST_INSTALLED = _n("vmSettingsGuestInstalled", "Integration services are installed in the guest")
WORKLOAD = _n("vmSettingsWorkload", "Workload")
WORKLOAD_CPU = _n("vmSettingsWorkloadCpu", "Processor use (%)")
WORKLOAD_DISK = _n("vmSettingsWorkloadDisk", "Disk operations (IOPS)")
WORKLOAD_NET = _n("vmSettingsWorkloadNetwork", "Network traffic (Mbit/s)")
WORKLOAD_DIRTY = _n("vmSettingsWorkloadDirtyPages", "Memory pages written per second")

# -- Rename and Delete ---------------------------------------------------------------------------
RENAME_DIALOG = _n("renameVmDialog", "Rename Virtual Machine")
RENAME_NAME = _n("renameVmName", "New name")
RENAME_OK = _n("renameVmOk", "Rename")
RENAME_CANCEL = _n("renameVmCancel", "Cancel")
DELETE_DIALOG = _n("deleteVmDialog", "Delete Selected Virtual Machine")
DELETE_DISKS = _n("deleteVmDisks", "Also delete the virtual hard disk files")
DELETE_DISK_FILES = _n("deleteVmDiskFiles", "Virtual hard disk files to delete")
DELETE_OK = _n("deleteVmOk", "Delete")
DELETE_CANCEL = _n("deleteVmCancel", "Cancel")


def settings_page(key: str, title: str) -> UiName:
    """A page of the VM Settings dialog (its tree item and page widget share the key)."""
    return UiName(f"vmSettingsPage_{key}", title)


def settings_device_field(device: str, field: str, label: str) -> UiName:
    """A field of a device page: ``device`` is the page key (``nic0``, ``legacyNic0``,
    ``disk_ide0_0``, ``scsi1``…), numbered in tree order."""
    return UiName(f"vmSettings_{device}_{field}", label)


def settings_service(key: str, label: str) -> UiName:
    """An Integration Services check box (``key`` as in
    hvlab.engine.guests.INTEGRATION_SERVICES)."""
    return UiName(f"vmSettingsService_{key}", label)


# == Disks, checkpoints, export and import =========================================================
# (gui/disks/, gui/checkpoints/, gui/disks/import_export.py). Each wizard names its frame the same
# way: "<prefix>Dialog", "<prefix>Steps", "<prefix>Previous", "<prefix>Next", "<prefix>Finish",
# "<prefix>Cancel", and its progress bar "<prefix>Progress".
ACT_NEW_HARD_DISK = _n("actionNewHardDisk", "Hard Disk…")
ACT_EDIT_DISK = _n("actionEditDisk", "Edit Disk…")
ACT_INSPECT_DISK = _n("actionInspectDisk", "Inspect Disk…")
ACT_IMPORT_VM = _n("actionImportVirtualMachine", "Import Virtual Machine…")
ACT_IMPORT_VIRTUAL_SERVER = _n("actionImportVirtualServerMachine",
                               "Import Virtual Server Machine…")
ACT_EXPORT = _n("actionExport", "Export…")


@dataclass(frozen=True)
class WizardNames:
    """The names of one wizard's frame (dialog, step list, buttons, progress bar)."""

    dialog: UiName
    steps: UiName
    previous: UiName
    next: UiName
    finish: UiName
    cancel: UiName
    progress: UiName


def _wizard(prefix: str, title: str) -> WizardNames:
    return WizardNames(
        _n(f"{prefix}Dialog", title), _n(f"{prefix}Steps", "Wizard steps"),
        _n(f"{prefix}Previous", "< Previous"), _n(f"{prefix}Next", "Next >"),
        _n(f"{prefix}Finish", "Finish"), _n(f"{prefix}Cancel", "Cancel"),
        _n(f"{prefix}Progress", "Progress"))


# -- New Virtual Hard Disk Wizard ----------------------------------------------------------------
NEW_DISK = _wizard("newDisk", "New Virtual Hard Disk Wizard")
NEW_DISK_FORMAT_VHD = _n("newDiskFormatVhd", "VHD")
NEW_DISK_FORMAT_VHDX = _n("newDiskFormatVhdx", "VHDX")
NEW_DISK_TYPE_FIXED = _n("newDiskTypeFixed", "Fixed size")
NEW_DISK_TYPE_DYNAMIC = _n("newDiskTypeDynamic", "Dynamically expanding")
NEW_DISK_TYPE_DIFFERENCING = _n("newDiskTypeDifferencing", "Differencing")
NEW_DISK_NAME = _n("newDiskName", "Name")
NEW_DISK_LOCATION = _n("newDiskLocation", "Location")
NEW_DISK_LOCATION_BROWSE = _n("newDiskLocationBrowse", "Browse…")
NEW_DISK_BLANK = _n("newDiskBlank", "Create a new blank virtual hard disk")
NEW_DISK_SIZE = _n("newDiskSize", "Size (GB)")
NEW_DISK_BLOCK_SIZE = _n("newDiskBlockSize", "Block size")
NEW_DISK_PARENT = _n("newDiskParent", "Path to the parent virtual hard disk")
NEW_DISK_PARENT_BROWSE = _n("newDiskParentBrowse", "Browse…")
NEW_DISK_SUMMARY = _n("newDiskSummary", "Summary")

# -- Edit Virtual Hard Disk Wizard ---------------------------------------------------------------
EDIT_DISK = _wizard("editDisk", "Edit Virtual Hard Disk Wizard")
EDIT_DISK_PATH = _n("editDiskPath", "Path")
EDIT_DISK_BROWSE = _n("editDiskBrowse", "Browse…")
EDIT_DISK_COMPACT = _n("editDiskCompact", "Compact")
EDIT_DISK_CONVERT = _n("editDiskConvert", "Convert")
EDIT_DISK_EXPAND = _n("editDiskExpand", "Expand")
EDIT_DISK_MERGE = _n("editDiskMerge", "Merge")
EDIT_DISK_RECONNECT = _n("editDiskReconnect", "Reconnect")
EDIT_DISK_CONVERT_FIXED = _n("editDiskConvertFixed", "Fixed size")
EDIT_DISK_CONVERT_DYNAMIC = _n("editDiskConvertDynamic", "Dynamically expanding")
EDIT_DISK_CONVERT_PATH = _n("editDiskConvertPath", "Path of the new virtual hard disk")
EDIT_DISK_CONVERT_BROWSE = _n("editDiskConvertBrowse", "Browse…")
EDIT_DISK_EXPAND_SIZE = _n("editDiskExpandSize", "New size (GB)")
EDIT_DISK_MERGE_PARENT = _n("editDiskMergeIntoParent", "To the parent virtual hard disk")
EDIT_DISK_MERGE_NEW = _n("editDiskMergeIntoNew", "To a new virtual hard disk")
EDIT_DISK_MERGE_PATH = _n("editDiskMergePath", "Path of the new virtual hard disk")
EDIT_DISK_MERGE_BROWSE = _n("editDiskMergeBrowse", "Browse…")
EDIT_DISK_RECONNECT_PARENT = _n("editDiskReconnectParent", "Parent")
EDIT_DISK_RECONNECT_BROWSE = _n("editDiskReconnectBrowse", "Browse…")
EDIT_DISK_RECONNECT_IGNORE_ID = _n("editDiskReconnectIgnoreId", "Ignore ID mismatch")
EDIT_DISK_SUMMARY = _n("editDiskSummary", "Summary")

# -- Inspect Disk (Virtual Hard Disk Properties) -------------------------------------------------
INSPECT_DISK_DIALOG = _n("inspectDiskDialog", "Virtual Hard Disk Properties")
INSPECT_DISK_PICTURE = _n("inspectDiskBlockPicture", "Block allocation")
INSPECT_DISK_PARENT = _n("inspectDiskInspectParent", "Inspect Parent")
INSPECT_DISK_EDIT = _n("inspectDiskEdit", "Edit…")
INSPECT_DISK_CLOSE = _n("inspectDiskClose", "Close")

# -- Checkpoints pane ------------------------------------------------------------------------------
# The tree keeps the name checkpointTree. Its actions (context menu, Actions pane block):
ACT_CHECKPOINT_APPLY = _n("actionCheckpointApply", "Apply…")
ACT_CHECKPOINT_RENAME = _n("actionCheckpointRename", "Rename…")
ACT_CHECKPOINT_DELETE = _n("actionCheckpointDelete", "Delete Checkpoint…")
ACT_CHECKPOINT_DELETE_SUBTREE = _n("actionCheckpointDeleteSubtree",
                                   "Delete Checkpoint Subtree…")
ACT_CHECKPOINT_EXPORT = _n("actionCheckpointExport", "Export…")
CHECKPOINT_CONTEXT_MENU = _n("checkpointContextMenu", "Checkpoint actions")
CHECKPOINT_CONTEXT_MENU_ACTION = _n("checkpointContextMenuAction", "Checkpoint actions")
CHECKPOINT_APPLY_DIALOG = _n("applyCheckpointDialog", "Apply Checkpoint")
CHECKPOINT_APPLY_TAKE = _n("applyCheckpointTakeAndApply", "Take Checkpoint and Apply")
CHECKPOINT_APPLY_ONLY = _n("applyCheckpointApply", "Apply")
CHECKPOINT_APPLY_CANCEL = _n("applyCheckpointCancel", "Cancel")

# -- Details pane: Storage tab -------------------------------------------------------------------
DETAILS_STORAGE = _n("detailsStorage", "Storage")

# -- Export and Import ---------------------------------------------------------------------------
EXPORT_DIALOG = _n("exportVmDialog", "Export Virtual Machine")
EXPORT_FOLDER = _n("exportVmFolder", "Location")
EXPORT_BROWSE = _n("exportVmBrowse", "Browse…")
EXPORT_OK = _n("exportVmExport", "Export")
EXPORT_CANCEL = _n("exportVmCancel", "Cancel")
EXPORT_PROGRESS = _n("exportVmProgress", "Progress")
IMPORT = _wizard("importVm", "Import Virtual Machine")
IMPORT_FOLDER = _n("importVmFolder", "Folder")
IMPORT_BROWSE = _n("importVmBrowse", "Browse…")
IMPORT_VM_LIST = _n("importVmList", "Select the virtual machine to import")
IMPORT_REGISTER = _n("importVmRegister",
                     "Register the virtual machine in-place (use the existing unique ID)")
IMPORT_RESTORE = _n("importVmRestore", "Restore the virtual machine (use the existing unique ID)")
IMPORT_COPY = _n("importVmCopy", "Copy the virtual machine (create a new unique ID)")
IMPORT_SUMMARY = _n("importVmSummary", "Summary")

# -- the failover cluster (gui/cluster_actions.py, gui/migration_dialog.py) --------------------
ACT_LIVE_MIGRATE = _n("actionLiveMigrate", "Live Migrate to another node…")
ACT_QUICK_MIGRATE = _n("actionQuickMigrate", "Quick Migrate…")
ACT_FAIL_NODE = _n("actionFailNode", "Simulate Node Failure…")
ACT_RESTORE_NODE = _n("actionRestoreNode", "Start Node")
MIGRATE_DIALOG = _n("migrateDialog", "Move Virtual Machine")
MIGRATE_TARGET = _n("migrateTarget", "Move to node")
MIGRATE_REASON = _n("migrateReason", "Why a node cannot take the virtual machine")
MIGRATE_START = _n("migrateStart", "Move")
MIGRATE_CANCEL = _n("migrateCancel", "Cancel migration")
MIGRATE_CLOSE = _n("migrateClose", "Close")
MIGRATE_PHASE = _n("migratePhase", "Migration phase")
MIGRATE_PROGRESS = _n("migrateProgress", "Migration progress")
MIGRATE_RESULT = _n("migrateResult", "Migration result")
MIGRATE_CHART = _n("migrateChart", "Memory sent per pass")


# -- VM Connection: Media, Clipboard, View, checkpoints -----------------------------------------
ACT_REVERT = _n("actionRevert", "Revert…")
CONNECT_CHECKPOINT = _n("connectCheckpoint", "Checkpoint")
CONNECT_REVERT = _n("connectRevert", "Revert…")
CONNECT_MENU_MEDIA = _n("connectMenuMedia", "Media")
CONNECT_MENU_DVD = _n("connectMenuDvd", "DVD Drive")
CONNECT_DVD_INSERT = _n("connectDvdInsert", "Insert Disk…")
CONNECT_DVD_EJECT = _n("connectDvdEject", "Eject")
CONNECT_MENU_DISKETTE = _n("connectMenuDiskette", "Diskette Drive")
CONNECT_DISKETTE_INSERT = _n("connectDisketteInsert", "Insert Disk…")
CONNECT_DISKETTE_EJECT = _n("connectDisketteEject", "Eject")
CONNECT_MENU_CLIPBOARD = _n("connectMenuClipboard", "Clipboard")
CONNECT_TYPE_CLIPBOARD = _n("connectTypeClipboard", "Type clipboard text")
CONNECT_FULL_SCREEN = _n("connectFullScreen", "Full Screen Mode")
CONNECT_ZOOM_RESET = _n("connectZoomReset", "Zoom to 100%")


# -- Settings: the VM selector --------------------------------------------------------------------
VM_SETTINGS_SELECTOR = _n("vmSettingsVmSelector", "Virtual machine")


# -- Hyper-V Settings: the user's pages -----------------------------------------------------------
HOST_KEYBOARD_PHYSICAL = _n("hostKeyboardPhysical", "Use on the physical computer")
HOST_KEYBOARD_VM = _n("hostKeyboardVm", "Use on the virtual machine")
HOST_KEYBOARD_FULL_SCREEN = _n("hostKeyboardFullScreen",
                               "Use on the virtual machine only when running full-screen")
HOST_MOUSE_RELEASE_KEY = _n("hostMouseReleaseKey", "Release key")
HOST_RESET_CHECK_BOXES = _n("hostResetCheckBoxes", "Reset")


# -- Event Viewer ---------------------------------------------------------------------------------
ACT_EVENT_VIEWER = _n("actionEventViewer", "Event Viewer…")
MENU_HOST_CONTEXT = _n("menuHostContext", "Host")
MENU_HOST_CONTEXT_ACTION = _n("menuHostContextAction", "Host")
EVENT_VIEWER_WINDOW = _n("eventViewer", "Event Viewer")
EVENT_VIEWER_LOGS = _n("eventViewerLogs", "Logs")
EVENT_VIEWER_LEVEL = _n("eventViewerLevel", "Level")
EVENT_VIEWER_SEARCH = _n("eventViewerSearch", "Find")
EVENT_VIEWER_TABLE = _n("eventViewerEvents", "Events")
EVENT_VIEWER_DETAILS = _n("eventViewerDetails", "Event details")
EVENT_VIEWER_EXPORT = _n("eventViewerExport", "Save Filtered Log File As…")
EVENT_VIEWER_CLOSE = _n("eventViewerClose", "Close")
# File ▸ Connect to Server… (gui/servers.py, docs/remote.md)
ACT_CONNECT_SERVER = _n("actionConnectServer", "Connect to Server…")
CONNECT_SERVER = _n("connectServerDialog", "Select Computer")
CONNECT_SERVER_ADDRESS = _n("connectServerAddress", "Another computer")
CONNECT_SERVER_TOKEN = _n("connectServerToken", "Access token")
CONNECT_SERVER_FINGERPRINT = _n("connectServerFingerprint", "Certificate fingerprint")
CONNECT_SERVER_STATUS = _n("connectServerStatus", "Connection status")
CONNECT_SERVER_OK = _n("connectServerOk", "OK")
CONNECT_SERVER_CANCEL = _n("connectServerCancel", "Cancel")
SERVER_STATUS = _n("serverStatus", "Server connection")
# File ▸ New Lab… (gui/new_lab.py, docs/console.md)
ACT_NEW_LAB = _n("actionNewLab", "New Lab…")
NEW_LAB = _n("newLabDialog", "New Lab")
NEW_LAB_PROFILE = _n("newLabProfile", "Hyper-V release")
NEW_LAB_FOLDER = _n("newLabFolder", "Library folder")
NEW_LAB_BROWSE = _n("newLabBrowse", "Browse for the library folder")
NEW_LAB_DEMO = _n("newLabDemo", "The demo virtual machines")
NEW_LAB_EMPTY = _n("newLabEmpty", "The host only")
NEW_LAB_SEED = _n("newLabSeed", "Seed")
NEW_LAB_STATUS = _n("newLabStatus", "New lab status")
NEW_LAB_OK = _n("newLabOk", "OK")
NEW_LAB_CANCEL = _n("newLabCancel", "Cancel")


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


def clock_speed_action(speed: float) -> UiName:
    """Clock ▸ Slow Motion at ``speed`` (0.1 → ``actionClockSlow0_1``)."""
    return UiName(f"actionClockSlow{speed:g}".replace(".", "_"), f"Slow Motion {speed:g}x")


def exercise_action(exercise: str, title: str) -> UiName:
    """Help ▸ Lessons ▸ Practise: one shipped exercise (its file name without .json)."""
    return UiName(f"actionExercise_{exercise}", f"Practise: {title}")


def lesson_action(lesson: str, title: str) -> UiName:
    """Help ▸ Lessons ▸ one lesson (``lesson``: its file name without .json)."""
    return UiName(f"actionLesson_{lesson}", title)


def job_cancel(job_id: int, description: str) -> UiName:
    """The Cancel button of one job in the jobs panel."""
    return UiName(f"jobCancel_{job_id}", f"Cancel {description}")


def markdown_table() -> str:
    """The table of static names for docs/automation.md."""
    lines = ["| objectName | accessible name |", "|---|---|"]
    lines += [f"| `{n.object_name}` | {n.accessible_name} |" for n in all_names()]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown_table())
