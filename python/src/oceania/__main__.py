"""``python3 -m oceania``: the ``oceania`` command line."""

import sys

from .cli import main

sys.exit(main())
