"""The bundle's ``hvctl`` executable (packaging/hvlab.spec).

Not named hvlab.py: PyInstaller puts this folder on the module path, where a module
of that name would hide the hvlab package.
"""

import sys

from hvlab.hvctl import main

sys.exit(main())
