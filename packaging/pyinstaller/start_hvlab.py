"""The bundle's ``hvlab`` executable (packaging/hvlab.spec).

Not named hvlab.py: PyInstaller puts this folder on the module path, where a module
of that name would hide the hvlab package.
"""

import sys

from hvlab.gui.app import main

sys.exit(main())
