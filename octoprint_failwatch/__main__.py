"""`python -m octoprint_failwatch`: the standalone daemon and its commands."""

import sys

from .daemon.cli import main

sys.exit(main())
