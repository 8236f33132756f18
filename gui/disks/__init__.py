"""Virtual hard disks in the console: the New and Edit Virtual Hard Disk wizards, Inspect Disk,
and the Storage tab of the details pane. :mod:`hvlab.gui.disks.dialogs` is what other
parts of the console (the Hard Drive settings page) call.
"""
