# Two commands for people: `make run` and `make test`. Everything else is set up by them.
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
# `make run PORT=5001 CAMERA_PORT=9081 ...` when these are taken
PORT ?= 5000
CAMERA_PORT ?= 8081
MODEL_PORT ?= 8082
RTSP_PORT ?= 8554

.PHONY: run test compat lint bench clean translations

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,local]'
	touch $@

# OctoPrint on http://127.0.0.1:5000 (admin/admin) with Failwatch, the virtual printer,
# the demo camera and a local stand-in for Bedrock.
run: $(VENV)/.installed
	bash scripts/install_system_deps.sh demo
	$(PY) -m demo.run --port $(PORT) --camera-port $(CAMERA_PORT) --model-port $(MODEL_PORT) --rtsp-port $(RTSP_PORT)

test: $(VENV)/.installed
	bash scripts/install_system_deps.sh test
	bash scripts/install_moonraker.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider --durations=15

# the declared minimum versions on Python 3.9 (with OctoPrint 1.9 and OctoPrint-MQTT) and the newest on 3.13
compat:
	bash scripts/install_system_deps.sh test
	bash scripts/install_moonraker.sh
	bash scripts/compat.sh

# figures for the README: everything below side by side with the baseline policy
bench: $(VENV)/.installed
	bash scripts/install_system_deps.sh test
	$(PY) -m bench.cost
	$(PY) -m bench.latency --runs 200 --hours 300
	$(PY) -m bench.growth
	$(PY) -m bench.endurance --hours 8
	$(PY) -m bench.camera --seconds 60
	$(PY) -m bench.overhead --seconds 120
	$(PY) -m bench.e2e --onsets 12 --latency 3
	$(PY) -m bench.farm --printers 50 --minutes 30
	$(PY) -m bench.farm_pacing --draws 12
	$(PY) -m bench.detector --onsets 8 --latency 3 --healthy 300
	$(PY) -m bench.judgment --minutes 20 --onset 10 --latency 3
	bash scripts/install_moonraker.sh
	$(PY) -m bench.klipper --onsets 8 --latency 3 --memory-seconds 60

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .run .compat .moonraker build dist *.egg-info

# the catalogue translators start from: every string of the Python, the templates and the browser
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k tr -k gettext -o translations/messages.pot .
