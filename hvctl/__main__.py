"""``python -m hvlab.hvctl``: the same as the ``hvctl`` command."""

import sys

from hvlab.hvctl import main

sys.exit(main())
