"""`python -m octoprint_failwatch`: the standalone, seed-compatible daemon."""

import sys

from .standalone import main

sys.exit(main())
