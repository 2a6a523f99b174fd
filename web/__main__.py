"""``python -m web`` is ``pulsar``."""

import sys

from web.cli import main

sys.exit(main())
