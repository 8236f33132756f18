"""``python -m hvctl``: the same as the ``hvctl`` command."""

import sys

from hvctl import main

sys.exit(main())
