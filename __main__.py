"""``python -m backroom``: the same as the ``backroom`` command."""

import sys

from backroom.main import main

sys.exit(main())
