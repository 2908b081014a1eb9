#!/usr/bin/env bash
# Moonraker (Klipper's API server, by its author) in a virtual environment of its own, for the Klipper tests:
# it pins versions of its own (tornado, paho-mqtt) and needs Python >= 3.10. Made once, in .moonraker/.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.11.0
if [ -x .moonraker/bin/moonraker ] && .moonraker/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('moonraker') != '$VERSION')" 2>/dev/null; then
    exit 0
fi
rm -rf .moonraker
"${PYTHON:-python3}" -m venv .moonraker
.moonraker/bin/pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.moonraker/bin/pip install -q "moonraker==$VERSION" 2>&1 | grep -v "^WARNING: Location" || true
.moonraker/bin/moonraker --help >/dev/null
