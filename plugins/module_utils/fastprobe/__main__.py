"""``python -m fastprobe``: the same as the ``fastprobe`` command."""

import sys

from .cli import main

sys.exit(main())
