"""`python -m octoprint_failwatch`: the standalone daemon."""

import sys

from .standalone import main

sys.exit(main())
