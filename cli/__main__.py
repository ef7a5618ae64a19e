"""``python -m fastprobe.cli``: the same as the ``fastprobe`` command."""

import sys

from fastprobe.cli.app import main

sys.exit(main())
