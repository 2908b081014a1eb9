#!/usr/bin/env bash
# make compat: Failwatch installed with its declared minimum versions on the oldest Python these machines carry
# (with OctoPrint 1.9 and OctoPrint-MQTT beside it), and with the newest versions on the newest Python; in each,
# the tests that need no browser, including the MQTT suite and one real-OctoPrint test. Each environment is made
# afresh in .compat/.
set -euo pipefail
cd "$(dirname "$0")/.."
PYENV_ROOT="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
VENDOR="${FAILWATCH_VENDOR:-../shared/vendor}"  # test fixtures no registry serves (OctoPrint-MQTT)
OLDEST="$PYENV_ROOT/versions/3.9.18/bin/python"
NEWEST="$PYENV_ROOT/versions/3.13.0/bin/python"
# the declared floors of pyproject.toml, pinned (OctoPrint 1.9 runs up to Python 3.11)
MINIMUMS=("OctoPrint==1.9.3" "boto3==1.34.116" "botocore==1.34.116" "paho-mqtt==1.6.1" "requests==2.28.2"
          "Pillow==9.1.0" "opencv-python-headless==4.10.0.84" "apprise==1.6.0" "ai-edge-litert==2.1.0"
          "websocket-client==1.8.0")
# no browser here (test_browser) and no package build (test_packaging): the main test run has both
# in each, the real parts once: OctoPrint, and the daemon through a real Moonraker (the rest of both in the main run)
# nor the eight simulated print hours of tests/test_reliability.py (two minutes each run): the main run keeps them
TESTS=(tests -p no:cacheprovider -q --ignore=tests/test_browser.py --ignore=tests/test_packaging.py
       --ignore=tests/test_restart.py --ignore=tests/test_fleet.py --ignore=tests/test_klipper.py -m "not octoprint"
       --deselect tests/test_reliability.py::test_eight_print_hours_with_a_fault_mix_keep_threads_sockets_and_memory_flat)
REAL_PARTS=(tests/test_octoprint_plugin.py::test_a_failure_on_camera_is_verified_then_the_print_is_paused
            tests/test_klipper.py::test_a_klipper_print_is_watched_while_it_prints_and_a_failure_pauses_it_through_moonraker)

environment() {  # name python pins...
    local name=$1 python=$2
    shift 2
    local venv=".compat/$name"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
    # a path-style editable install: OctoPrint 1.9 finds plugin modules on sys.path, not through import hooks
    "$venv/bin/pip" install -q "$@" -e ".[local]" --config-settings editable_mode=compat pytest hypothesis aiosmtpd 2>&1 | grep -v "^WARNING: Location" || true
    "$venv/bin/python" -c "import octoprint, boto3, paho.mqtt, PIL, cv2, requests
print('$name:', 'Python', '.'.join(map(str, __import__('sys').version_info[:3])), 'OctoPrint', octoprint.__version__,
      'boto3', boto3.__version__, 'paho-mqtt', paho.mqtt.__version__, 'Pillow', PIL.__version__,
      'OpenCV', cv2.__version__, 'requests', requests.__version__)"
}

echo "== oldest: Python 3.9, the declared minimums, OctoPrint-MQTT beside Failwatch"
environment oldest "$OLDEST" "${MINIMUMS[@]}"
if [ -f "$VENDOR/OctoPrint-MQTT-0.8.16.tar.gz" ]; then
    .compat/oldest/bin/pip install -q --no-build-isolation "$VENDOR/OctoPrint-MQTT-0.8.16.tar.gz" 2>&1 \
        | grep -v "^WARNING: Location" || true
else
    echo "OctoPrint-MQTT not found in $VENDOR: its test is skipped"
fi
.compat/oldest/bin/python -m pytest "${TESTS[@]}"
.compat/oldest/bin/python -m pytest -q -p no:cacheprovider "${REAL_PARTS[@]}" tests/test_octoprint_mqtt.py

echo "== newest: Python 3.13, the newest versions"
environment newest "$NEWEST"
.compat/newest/bin/python -m pytest "${TESTS[@]}"
.compat/newest/bin/python -m pytest -q -p no:cacheprovider "${REAL_PARTS[@]}"
