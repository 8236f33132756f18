"""hvlab's data files: host profiles, the guest OS catalogue, icons, and whatever else is
in this folder.  It is a package only so that an installed copy finds the folder through
importlib.resources (engine/resources.py); it holds no code.
"""
